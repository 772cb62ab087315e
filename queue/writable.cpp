// One way to open the database for writing, shared by every writer (the store's writer, the
// workers, the CLI's imports), so whichever of them creates the file creates it the same way.
// Page size: SQLite's 4 KiB. 8 KiB applied 10-15% more lines per second in worker_bench, but
// made ingest's p99 at 16 connections 3-7x worse in alternating runs (bigger WAL frames per
// commit and per checkpoint), so it was left alone.
#include <sqlite3.h>

#include <stdexcept>
#include <string>

#include "ofbridge/queue/schema.h"

namespace ofbridge::queue {

sqlite::Database open_writable(const std::filesystem::path& path, int extra_flags,
                               std::chrono::milliseconds busy_timeout) {
    sqlite::Database db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | extra_flags,
                        busy_timeout);
    const std::string mode = db.query_text("PRAGMA journal_mode=WAL");
    if (mode != "wal")
        throw std::runtime_error(path.string() + ": cannot use WAL journal mode (got '" + mode +
                                 "')");
    return db;
}

}  // namespace ofbridge::queue
