// Applies numbered schema scripts once each, in order, and refuses databases from the future.
#include "ofbridge/storage/sqlite/migrations.h"

#include <algorithm>
#include <string>
#include <vector>

#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/sqlite/transaction.h"
#include "ofbridge/storage/time_format.h"

namespace ofbridge::storage::sqlite {
namespace {

constexpr std::string_view create_migrations_table =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " applied_at TEXT NOT NULL)";

bool has_migrations_table(Database& db) {
    Statement statement(db,
                        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
                        "'schema_migrations'");
    return statement.step();
}

int recorded_version(Database& db) {
    return static_cast<int>(
        db.query_int64("SELECT coalesce(max(version), 0) FROM schema_migrations"));
}

}  // namespace

int schema_version(Database& db) {
    if (!has_migrations_table(db)) return 0;
    return recorded_version(db);
}

int migrate(Database& db, std::span<const Migration> migrations) {
    std::vector<const Migration*> ordered;
    for (const auto& m : migrations) {
        if (m.version <= 0)
            throw std::invalid_argument("migration " + std::string{m.name} +
                                        ": version must be positive");
        ordered.push_back(&m);
    }
    std::sort(ordered.begin(), ordered.end(),
              [](const Migration* a, const Migration* b) { return a->version < b->version; });
    for (std::size_t i = 1; i < ordered.size(); ++i) {
        if (ordered[i]->version == ordered[i - 1]->version)
            throw std::invalid_argument("two migrations with version " +
                                        std::to_string(ordered[i]->version));
    }
    const int known = ordered.empty() ? 0 : ordered.back()->version;

    // IMMEDIATE: two processes starting at once serialise here instead of both applying.
    Transaction transaction(db, Transaction::Mode::immediate);
    db.exec(create_migrations_table);
    int current = recorded_version(db);
    if (current > known) {
        throw SchemaTooNewError(db.path().string() + ": database schema version " +
                                std::to_string(current) + " is newer than this binary supports (" +
                                std::to_string(known) +
                                "); run a newer ofbridge or restore a matching backup");
    }
    Statement record(db, "INSERT INTO schema_migrations(version, applied_at) VALUES (?1, ?2)");
    for (const Migration* m : ordered) {
        if (m->version <= current) continue;
        db.exec(m->sql);
        record.bind(1, m->version).bind(2, format_utc_millis(std::chrono::system_clock::now()));
        record.run();
        current = m->version;
    }
    transaction.commit();
    return current;
}

}  // namespace ofbridge::storage::sqlite
