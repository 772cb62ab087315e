// One way to open the database for writing, shared by every writer (the store's writer, the
// workers, the CLI's imports), so whichever of them creates the file creates it the same way.
// Page size: SQLite's 4 KiB. 8 KiB applied 10-15% more lines per second in worker_bench, but
// made ingest's p99 at 16 connections 3-7x worse in alternating runs (bigger WAL frames per
// commit and per checkpoint), so it was left alone.
//
// Permissions: the database holds customer data (addresses in orders, stock, shipments). A
// data directory create_data_directory makes is 0700 and the database file 0600 whatever the umask;
// SQLite gives the -wal and -shm files the database file's mode when it creates them. An existing
// database, -wal or -shm file that group or others may read is tightened to 0600 (with a warning):
// those files are the broker's alone. An existing directory is left as it is, with a warning when
// group or others may enter it: it may be shared with other things (a database put straight into
// /var/lib), which are not the broker's to change.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "ofbridge/storage/schema.h"

namespace ofbridge::storage {
namespace {

constexpr mode_t private_directory_mode = 0700;
constexpr mode_t private_file_mode = 0600;
constexpr mode_t group_or_other = 0077;

std::string errno_text(int error) {
    return std::string{std::strerror(error)};
}

std::string octal(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

}  // namespace

// Creates every missing directory of `dir` with mode 0700 (mkdir's mode is cut by the umask;
// chmod sets it exactly); warns about an existing one that group or others may enter.
void create_data_directory(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> missing;
    for (auto d = dir; !d.empty(); d = d.parent_path()) {
        struct stat st {};
        if (::stat(d.c_str(), &st) == 0) {
            if (d == dir && (st.st_mode & group_or_other) != 0)
                spdlog::warn(
                    "data directory {} is mode {}: group or others may enter it; "
                    "chmod 700 it unless it is shared on purpose",
                    dir.string(), octal(st.st_mode));
            break;
        }
        missing.push_back(d);
        if (d == d.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), private_directory_mode) != 0 && errno != EEXIST)
            throw std::runtime_error("cannot create directory " + it->string() + ": " +
                                     errno_text(errno));
        if (::chmod(it->c_str(), private_directory_mode) != 0)
            throw std::runtime_error("cannot set mode 0700 on " + it->string() + ": " +
                                     errno_text(errno));
    }
}

namespace {

// Makes `file` 0600 when it exists and group or others may use it.
void tighten(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
        (st.st_mode & group_or_other) == 0)
        return;
    if (::chmod(file.c_str(), private_file_mode) == 0)
        spdlog::warn("{} was mode {}; now 0600 (it holds customer data)", file.string(),
                     octal(st.st_mode));
    else
        spdlog::warn("{} is mode {} and cannot be made 0600: {}", file.string(), octal(st.st_mode),
                     errno_text(errno));
}

// Creates the database file empty and 0600 before SQLite opens it (an empty file is an empty
// database), so SQLite never creates it with its own 0644; tightens existing files.
void prepare_files(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, private_file_mode);
    if (fd >= 0) {
        const int rc = ::fchmod(fd, private_file_mode);  // the umask may have cut the mode
        const int error = errno;
        ::close(fd);
        if (rc != 0)
            throw std::runtime_error("cannot set mode 0600 on " + path.string() + ": " +
                                     errno_text(error));
        return;
    }
    if (errno != EEXIST)
        throw std::runtime_error("cannot create database " + path.string() + ": " +
                                 errno_text(errno));
    for (const char* suffix : {"", "-wal", "-shm"}) tighten(path.string() + suffix);
}

}  // namespace

sqlite::Database open_writable(const std::filesystem::path& path, int extra_flags,
                               std::chrono::milliseconds busy_timeout) {
    prepare_files(path);
    sqlite::Database db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | extra_flags,
                        busy_timeout);
    // Freed pages go back to the file system through `PRAGMA incremental_vacuum` (retention,
    // src/retention). SQLite takes this only before the first table exists, so it holds for
    // stores created from this version on; on an older store it is a no-op (README "Retention").
    db.exec("PRAGMA auto_vacuum=INCREMENTAL");
    const std::string mode = db.query_text("PRAGMA journal_mode=WAL");
    if (mode != "wal")
        throw std::runtime_error(path.string() + ": cannot use WAL journal mode (got '" + mode +
                                 "')");
    return db;
}

}  // namespace ofbridge::storage
