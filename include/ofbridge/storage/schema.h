// The database's schema as compiled into this binary: the scripts under schemas/sqlite/ (the one
// ordered list of migrations for every table), embedded at build time (src/storage/
// embed_sql.cmake) so a deployed binary never reads the source tree; and the two ways to open
// the database, for reading and for writing.
#pragma once

#include <chrono>
#include <filesystem>
#include <span>
#include <string_view>

#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/migrations.h"

namespace ofbridge::storage {

// Every migration in schemas/sqlite/, ordered by version.
std::span<const sqlite::Migration> embedded_migrations();

// The newest schema version this binary can read and write.
int latest_schema_version();

// Opens the broker's database for a reader (CLI, admin): SQLITE_OPEN_READONLY, which never
// creates the file, plus query_only, so a reader can never write whatever path SQLite offers.
// The schema must be at least `minimum_version` (else "no <missing> in this database (schema
// version N; <hint>)") and not newer than this binary. Errors are std::runtime_error naming the
// path.
sqlite::Database open_read_only(const std::filesystem::path& path, int minimum_version,
                                std::string_view missing, std::string_view hint);

// Opens the broker's database for a writer, creating the file when it is missing, in WAL
// journal mode. `extra_flags` are added to SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE. The
// caller sets its own synchronous level and migrates. Throws (naming the path) when WAL mode is
// refused. Owner-only: the file is created 0600, and an existing database, -wal or -shm file
// that others may read is made 0600 (see writable.cpp). Its directory must exist.
sqlite::Database open_writable(const std::filesystem::path& path, int extra_flags,
                               std::chrono::milliseconds busy_timeout);

// The data directory of the database (the writer, at start-up): missing directories are
// created 0700; an existing one that group or others may enter is warned about, not changed.
void create_data_directory(const std::filesystem::path& dir);

}  // namespace ofbridge::storage
