// How SQLite failures leave storage: as an exception (SqliteError) inside the storage code, and
// as a std::error_code in category "sqlite" at the edges where exceptions must not cross (writer
// callbacks, the event loop). Both carry SQLite's extended result code so a caller can tell
// "disk full" from "I/O error" from "constraint" without parsing text.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace ofbridge::storage::sqlite {

// value() = SQLite extended result code, message() = sqlite3_errstr() of it.
const std::error_category& sqlite_category() noexcept;

inline std::error_code make_sqlite_error(int extended_code) noexcept {
    return {extended_code, sqlite_category()};
}

class SqliteError : public std::runtime_error {
public:
    // `what()` reads "<path>: <context>: <sqlite message> (code N)".
    SqliteError(int extended_code, const std::string& sqlite_message, std::filesystem::path path,
                const std::string& context);

    int extended_code() const noexcept { return extended_code_; }
    int primary_code() const noexcept { return extended_code_ & 0xff; }
    const std::string& sqlite_message() const noexcept { return sqlite_message_; }
    const std::filesystem::path& path() const noexcept { return path_; }
    std::error_code code() const noexcept { return make_sqlite_error(extended_code_); }

private:
    int extended_code_;
    std::string sqlite_message_;
    std::filesystem::path path_;
};

// Errors after which a connection (or the file under it) is suspect: the transaction fails as a
// whole and the handle is replaced rather than reused (I/O error, corruption, disk full, ...).
bool is_connection_fatal(int primary_code) noexcept;

}  // namespace ofbridge::storage::sqlite
