// GrantStore: the auth_grants table (see grant_store.h). Grants are rare (a login, a token), so
// each job prepares its statements on the writer's connection instead of keeping them.
#include "ofbridge/ingest/grant_store.h"

#include <sqlite3.h>

#include <chrono>

#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/time_format.h"

namespace ofbridge::ingest {

using storage::sqlite::Database;
using storage::sqlite::Statement;

GrantStore::GrantStore(storage::Writer& writer) : writer_(writer) {}

void GrantStore::save(AuthGrant grant, std::function<void(std::error_code)> done) {
    const auto now = std::chrono::system_clock::now();
    storage::WriteJob job;
    job.run = [grant = std::move(grant), created_at = storage::format_utc_millis(now),
               now_s = storage::unix_seconds(now)](Database& db, std::uint64_t) {
        // Expired grants are useless; dropping them here keeps the table from growing.
        Statement(db, "DELETE FROM auth_grants WHERE expires_at <= ?1").bind(1, now_s).run();
        Statement upsert(db,
                         "INSERT INTO auth_grants (secret_hash, kind, store_code, username,"
                         " created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                         " ON CONFLICT (secret_hash) DO UPDATE SET kind = excluded.kind,"
                         " store_code = excluded.store_code, username = excluded.username,"
                         " expires_at = excluded.expires_at");
        upsert.bind(1, grant.secret_hash)
            .bind(2, grant.kind)
            .bind(3, grant.store_code)
            .bind(4, grant.username)
            .bind(5, created_at)
            .bind(6, grant.expires_at)
            .run();
        return false;
    };
    job.done = std::move(done);
    writer_.submit(std::move(job));
}

void GrantStore::remove(std::string secret_hash, std::function<void(std::error_code)> done) {
    storage::WriteJob job;
    job.run = [secret_hash = std::move(secret_hash)](Database& db, std::uint64_t) {
        Statement(db, "DELETE FROM auth_grants WHERE secret_hash = ?1").bind(1, secret_hash).run();
        return false;
    };
    job.done = std::move(done);
    writer_.submit(std::move(job));
}

std::vector<AuthGrant> GrantStore::load(std::int64_t now) const {
    Database db(writer_.path(), SQLITE_OPEN_READONLY, std::chrono::seconds(5));
    Statement s(db,
                "SELECT secret_hash, kind, store_code, username, expires_at FROM auth_grants"
                " WHERE expires_at > ?1 ORDER BY expires_at");
    s.bind(1, now);
    std::vector<AuthGrant> grants;
    while (s.step()) {
        grants.push_back(AuthGrant{s.column_text(0), s.column_text(1), s.column_text(2),
                                   s.column_text(3), s.column_int64(4)});
    }
    return grants;
}

}  // namespace ofbridge::ingest
