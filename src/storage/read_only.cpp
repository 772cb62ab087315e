// One way to open the database for reading, shared by every reader (requests, imports, stock,
// shipments, orders) so they agree on what a usable database is.
#include <sqlite3.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/error.h"

namespace ofbridge::storage {

sqlite::Database open_read_only(const std::filesystem::path& path, int minimum_version,
                                std::string_view missing, std::string_view hint) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw std::runtime_error("database " + path.string() + " does not exist");
    try {
        sqlite::Database db(path, SQLITE_OPEN_READONLY, std::chrono::seconds(5));
        db.exec("PRAGMA query_only=ON");
        const int version = sqlite::schema_version(db);
        if (version < minimum_version)
            throw std::runtime_error("no " + std::string(missing) +
                                     " in this database (schema version " +
                                     std::to_string(version) + "; " + std::string(hint) + ")");
        if (version > latest_schema_version())
            throw std::runtime_error("schema version " + std::to_string(version) +
                                     " is newer than this binary supports (" +
                                     std::to_string(latest_schema_version()) + ")");
        return db;
    } catch (const sqlite::SqliteError& e) {
        throw std::runtime_error("cannot read database: " + std::string{e.what()});
    } catch (const std::runtime_error& e) {
        throw std::runtime_error("cannot read database " + path.string() + ": " + e.what());
    }
}

}  // namespace ofbridge::storage
