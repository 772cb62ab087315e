// The "sqlite" error category and SqliteError: one place that turns SQLite result codes into
// text, so every caller reports storage failures the same way.
#include "ofbridge/storage/sqlite/error.h"

#include <sqlite3.h>

namespace ofbridge::storage::sqlite {
namespace {

class SqliteCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "sqlite"; }
    std::string message(int value) const override {
        const char* text = sqlite3_errstr(value);
        return text ? text : "unknown sqlite error";
    }
};

std::string describe(int code, const std::string& message, const std::filesystem::path& path,
                     const std::string& context) {
    std::string out = path.empty() ? std::string{"sqlite"} : path.string();
    if (!context.empty()) out += ": " + context;
    out += ": " + message + " (code " + std::to_string(code) + ")";
    return out;
}

}  // namespace

const std::error_category& sqlite_category() noexcept {
    static const SqliteCategory category;
    return category;
}

SqliteError::SqliteError(int extended_code, const std::string& sqlite_message,
                         std::filesystem::path path, const std::string& context)
    : std::runtime_error(describe(extended_code, sqlite_message, path, context)),
      extended_code_(extended_code),
      sqlite_message_(sqlite_message),
      path_(std::move(path)) {}

bool is_connection_fatal(int primary_code) noexcept {
    switch (primary_code) {
        case SQLITE_IOERR:
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
        case SQLITE_FULL:
        case SQLITE_NOMEM:
        case SQLITE_CANTOPEN:
        case SQLITE_PROTOCOL:
        case SQLITE_READONLY:
            return true;
        default:
            return false;
    }
}

}  // namespace ofbridge::storage::sqlite
