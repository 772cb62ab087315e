// Connection lifetime and error reporting for Database (see the header for why it exists).
#include "ofbridge/storage/sqlite/database.h"

#include <sqlite3.h>

#include <limits>
#include <stdexcept>
#include <thread>
#include <utility>

#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage::sqlite {
namespace {

// Process-wide settings, applied once before SQLite initialises itself on the first open.
// Memory statistics are off: with them every allocation SQLite makes takes a global mutex,
// which every connection (writer, workers, readers) would contend on; nothing here reads them.
// A no-op (SQLITE_MISUSE, ignored) if something in the process initialised SQLite first.
void configure_library_once() {
    static const bool configured = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    (void)configured;
}

}  // namespace

Database::Database(const std::filesystem::path& path, int flags,
                   std::chrono::milliseconds busy_timeout)
    : path_(path) {
    configure_library_once();
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        // sqlite3_open_v2 may hand back a handle even on failure; it carries the message.
        std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        const int code = db_ ? sqlite3_extended_errcode(db_) : rc;
        close();
        throw SqliteError(code, message, path_, "open");
    }
    sqlite3_extended_result_codes(db_, 1);
    set_busy_timeout(busy_timeout);
}

Database::~Database() {
    close();
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      busy_(std::move(other.busy_)) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        close();
        db_ = std::exchange(other.db_, nullptr);
        path_ = std::move(other.path_);
        busy_ = std::move(other.busy_);
    }
    return *this;
}

void Database::close() noexcept {
    // close_v2 defers the real close until statements still alive elsewhere are finalized,
    // so a forgotten Statement cannot make the close fail and leak the handle.
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
}

void Database::exec(std::string_view sql) {
    const std::string text{sql};
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string what = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw SqliteError(sqlite3_extended_errcode(db_), what, path_,
                          text.size() > 80 ? text.substr(0, 80) + "..." : text);
    }
}

std::int64_t Database::query_int64(std::string_view sql) {
    Statement statement(*this, sql);
    if (!statement.step())
        throw std::runtime_error(path_.string() + ": no row from " + std::string{sql});
    return statement.column_int64(0);
}

std::string Database::query_text(std::string_view sql) {
    Statement statement(*this, sql);
    if (!statement.step())
        throw std::runtime_error(path_.string() + ": no row from " + std::string{sql});
    return statement.column_text(0);
}

void Database::set_busy_timeout(std::chrono::milliseconds timeout) {
    busy_->timeout = timeout;
    sqlite3_busy_handler(db_, timeout.count() > 0 ? &Database::on_busy : nullptr, busy_.get());
}

// SQLite calls this with attempt = 0, 1, 2, ... while the lock is held elsewhere; returning 0
// gives up (SQLITE_BUSY). Short sleeps first, since a group commit holds the lock for about a
// millisecond.
int Database::on_busy(void* wait, int attempt) {
    auto& busy = *static_cast<BusyWait*>(wait);
    const auto now = std::chrono::steady_clock::now();
    if (attempt == 0) busy.started = now;
    if (now - busy.started >= busy.timeout) return 0;
    std::this_thread::sleep_for(attempt < 10 ? std::chrono::microseconds(200)
                                             : std::chrono::microseconds(1000));
    return 1;
}

std::int64_t Database::last_insert_rowid() const noexcept {
    return sqlite3_last_insert_rowid(db_);
}

std::int64_t Database::changes() const noexcept {
    return sqlite3_changes64(db_);
}

bool Database::in_transaction() const noexcept {
    return db_ && sqlite3_get_autocommit(db_) == 0;
}

void Database::throw_error(int rc, std::string_view context) const {
    const int code = db_ ? sqlite3_extended_errcode(db_) : rc;
    // The connection's last error can belong to an earlier call when `rc` came from an API that
    // does not set it (bind errors do, but be safe): prefer rc's own code when they disagree.
    const bool same = (code & 0xff) == (rc & 0xff);
    throw SqliteError(same ? code : rc, same && db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc),
                      path_, std::string{context});
}

}  // namespace ofbridge::storage::sqlite
