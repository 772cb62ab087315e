// RAII owner of one sqlite3 connection. Everything that talks to SQLite goes through this and
// Statement, so a handle is always closed, and every failure becomes a SqliteError that names the
// file and SQLite's own message instead of a bare integer.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "ofbridge/storage/sqlite/error.h"

struct sqlite3;

namespace ofbridge::storage::sqlite {

class Database {
public:
    // `flags` are sqlite3_open_v2 flags (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, ...).
    // Extended result codes are always enabled. Throws SqliteError when the open fails.
    Database(const std::filesystem::path& path, int flags,
             std::chrono::milliseconds busy_timeout = std::chrono::seconds(5));
    ~Database();
    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs one or more SQL statements, discarding any rows. Throws SqliteError.
    void exec(std::string_view sql);

    // First column of the first row of `sql` as an integer / text (PRAGMAs, counts).
    // Throws SqliteError, or std::runtime_error when the statement returns no row.
    std::int64_t query_int64(std::string_view sql);
    std::string query_text(std::string_view sql);

    // How long a statement waits for another connection's write lock before SQLITE_BUSY.
    // The wait polls in sub-millisecond steps: SQLite's own busy timeout sleeps in steps of up
    // to 100 ms, which shows up directly as acknowledgement latency when another process (the
    // CLI's reprocess or orders import) and the broker's writer take turns on the write lock.
    void set_busy_timeout(std::chrono::milliseconds timeout);

    std::int64_t last_insert_rowid() const noexcept;
    std::int64_t changes() const noexcept;
    // True between BEGIN and COMMIT/ROLLBACK. SQLite may roll a transaction back on its own
    // (SQLITE_FULL, SQLITE_IOERR, ...); this is how callers notice.
    bool in_transaction() const noexcept;

    sqlite3* handle() const noexcept { return db_; }
    const std::filesystem::path& path() const noexcept { return path_; }

    // Throws a SqliteError for `rc` with this connection's current error message.
    [[noreturn]] void throw_error(int rc, std::string_view context) const;

private:
    void close() noexcept;

    struct BusyWait {
        std::chrono::milliseconds timeout{0};
        std::chrono::steady_clock::time_point started;
    };
    static int on_busy(void* wait, int attempt);

    sqlite3* db_ = nullptr;
    std::filesystem::path path_;
    std::unique_ptr<BusyWait> busy_ = std::make_unique<BusyWait>();  // stable address for SQLite
};

}  // namespace ofbridge::storage::sqlite
