// Versioned schema changes. Each migration is a numbered SQL script; the versions applied are
// recorded in schema_migrations(version, applied_at). Opening a database written by a newer
// binary is refused, because an older binary cannot know what the new columns mean.
#pragma once

#include <span>
#include <stdexcept>
#include <string_view>

#include "ofbridge/storage/sqlite/database.h"

namespace ofbridge::storage::sqlite {

struct Migration {
    int version = 0;        // from the file name: 001_requests.sql -> 1
    std::string_view name;  // "001_requests"
    std::string_view sql;
};

class SchemaTooNewError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Highest version recorded in schema_migrations, 0 when the table does not exist.
int schema_version(Database& db);

// Applies, in one BEGIN IMMEDIATE transaction, every migration newer than the recorded version,
// in ascending order. Returns the version afterwards. Throws SchemaTooNewError when the database
// is newer than the last migration given, std::invalid_argument when `migrations` has duplicate
// or non-positive versions, SqliteError when a script fails (nothing of the run is kept).
int migrate(Database& db, std::span<const Migration> migrations);

}  // namespace ofbridge::storage::sqlite
