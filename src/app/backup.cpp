// `ofbridge backup FILE`: a consistent copy of the store while the broker runs.
//
// SQLite's online backup API copies every page in one step, inside one read transaction on a
// read-only connection: the copy is the database as of that transaction's start (every request
// acknowledged before it is in, nothing half-committed is), and in WAL mode the broker's writer
// goes on meanwhile (only checkpoints wait for the copy to end). The copy is written to
// FILE.partial (created 0600: it holds customer data and credentials' hashes), switched to
// journal_mode=DELETE so it is one self-contained file, checked with PRAGMA integrity_check,
// fsynced and only then renamed to FILE. An existing FILE is never overwritten.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <system_error>

#include "commands.h"
#include "ofbridge/storage/sqlite/database.h"

namespace ofbridge::app {
namespace {

void fsync_path(const std::filesystem::path& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const int error = errno;
        if (fd >= 0) ::close(fd);
        throw std::system_error(error, std::generic_category(), "cannot fsync " + path.string());
    }
    ::close(fd);
}

}  // namespace

int backup(const CommonOptions& common, const std::filesystem::path& file) {
    namespace fs = std::filesystem;
    using storage::sqlite::Database;
    const auto config = load(common);
    const auto source_path = config.database_path();
    std::error_code ec;
    if (!fs::is_regular_file(source_path, ec))
        throw std::runtime_error("backup: no store at " + source_path.string());
    if (fs::exists(file, ec))
        throw std::runtime_error("backup: " + file.string() +
                                 " exists; a backup never overwrites a file (name a new one)");
    auto partial = file;
    partial += ".partial";
    const int fd = ::open(partial.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(),
                                "backup: cannot create " + partial.string());
    ::close(fd);

    std::int64_t pages = 0;
    try {
        {
            Database source(source_path, SQLITE_OPEN_READONLY, std::chrono::seconds(10));
            Database copy(partial, SQLITE_OPEN_READWRITE, std::chrono::seconds(10));
            sqlite3_backup* backup =
                sqlite3_backup_init(copy.handle(), "main", source.handle(), "main");
            if (backup == nullptr)
                copy.throw_error(sqlite3_errcode(copy.handle()), "backup: starting the copy");
            const int rc = sqlite3_backup_step(backup, -1);  // all pages, one read transaction
            pages = sqlite3_backup_pagecount(backup);
            sqlite3_backup_finish(backup);
            if (rc != SQLITE_DONE) copy.throw_error(rc, "backup: copying " + source_path.string());
            copy.exec("PRAGMA journal_mode=DELETE");
            const auto integrity = copy.query_text("PRAGMA integrity_check");
            if (integrity != "ok")
                throw std::runtime_error("backup: the copy fails integrity_check: " + integrity);
        }
        fsync_path(partial, O_RDONLY);
        fs::rename(partial, file);
        auto directory = file.parent_path();
        fsync_path(directory.empty() ? fs::path(".") : directory, O_RDONLY | O_DIRECTORY);
    } catch (...) {
        fs::remove(partial, ec);
        throw;
    }
    std::cout << "backup of " << source_path.string() << " written to " << file.string() << " ("
              << pages << " pages, integrity ok)\n";
    return 0;
}

}  // namespace ofbridge::app
