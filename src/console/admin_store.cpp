// AdminRepository and AdminReader: every SQL statement on the console's tables (see the header).
#include "ofbridge/console/admin_store.h"

#include <limits>
#include <mutex>
#include <stdexcept>

#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::console {

using storage::sqlite::Database;
using storage::sqlite::Statement;

std::string user_name_problem(std::string_view name) {
    if (name.empty() || name.size() > 64) return "a user name has 1 to 64 characters";
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' || c == '-';
        if (!ok) return "a user name takes only letters, digits and . _ @ -";
    }
    return "";
}

std::int64_t AdminRepository::add_user(const std::string& name, const std::string& password_hash,
                                       const std::string& now) {
    if (auto problem = user_name_problem(name); !problem.empty())
        throw std::invalid_argument(problem);
    {
        Statement exists(db_, "SELECT 1 FROM admin_users WHERE name = ?1");
        exists.bind(1, name);
        if (exists.step()) throw std::invalid_argument("user " + name + " already exists");
    }
    Statement s(db_,
                "INSERT INTO admin_users (name, password_hash, created_at, password_changed_at)"
                " VALUES (?1, ?2, ?3, ?3)");
    s.bind(1, name).bind(2, password_hash).bind(3, now);
    s.run();
    return db_.last_insert_rowid();
}

bool AdminRepository::set_password(const std::string& name, const std::string& password_hash,
                                   const std::string& now) {
    Statement s(db_,
                "UPDATE admin_users SET password_hash = ?2, password_changed_at = ?3"
                " WHERE name = ?1");
    s.bind(1, name).bind(2, password_hash).bind(3, now);
    s.run();
    if (db_.changes() == 0) return false;
    Statement drop(db_,
                   "DELETE FROM admin_sessions WHERE user_id ="
                   " (SELECT id FROM admin_users WHERE name = ?1)");
    drop.bind(1, name);
    drop.run();
    return true;
}

bool AdminRepository::remove_user(const std::string& name) {
    // Sessions first: the CLI's connection may not enforce foreign keys.
    Statement drop(db_,
                   "DELETE FROM admin_sessions WHERE user_id ="
                   " (SELECT id FROM admin_users WHERE name = ?1)");
    drop.bind(1, name);
    drop.run();
    Statement s(db_, "DELETE FROM admin_users WHERE name = ?1");
    s.bind(1, name);
    s.run();
    return db_.changes() > 0;
}

void AdminRepository::create_session(const std::string& token_hash, std::int64_t user_id,
                                     const std::string& csrf_token, std::int64_t now,
                                     std::int64_t expires_at, const std::string& remote_address) {
    Statement s(db_,
                "INSERT INTO admin_sessions (token_hash, user_id, csrf_token, created_at,"
                " expires_at, remote_address) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    s.bind(1, token_hash).bind(2, user_id).bind(3, csrf_token).bind(4, now).bind(5, expires_at);
    s.bind(6, remote_address);
    s.run();
}

void AdminRepository::delete_session(const std::string& token_hash) {
    Statement s(db_, "DELETE FROM admin_sessions WHERE token_hash = ?1");
    s.bind(1, token_hash);
    s.run();
}

void AdminRepository::purge_expired_sessions(std::int64_t now) {
    Statement s(db_, "DELETE FROM admin_sessions WHERE expires_at <= ?1");
    s.bind(1, now);
    s.run();
}

void AdminRepository::audit(const AuditEntry& e) {
    Statement s(db_,
                "INSERT INTO admin_audit (at, username, action, target, outcome, remote_address)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    s.bind(1, e.at).bind(2, e.username).bind(3, e.action).bind(4, e.target).bind(5, e.outcome);
    s.bind(6, e.remote_address);
    s.run();
}

struct AdminReader::Impl {
    explicit Impl(const std::filesystem::path& path)
        : db(storage::open_read_only(path, 9, "admin console tables",
                                     "start the broker once to upgrade it")) {}
    Database db;
    std::mutex mutex;  // one connection: requests on several threads take turns
};

AdminReader::AdminReader(const std::filesystem::path& db_path)
    : impl_(std::make_unique<Impl>(db_path)) {}

AdminReader::~AdminReader() = default;

std::vector<AdminUser> AdminReader::users(std::int64_t now) const {
    std::lock_guard lock(impl_->mutex);
    Statement s(impl_->db,
                "SELECT id, name, created_at, password_changed_at,"
                " (SELECT count(*) FROM admin_sessions WHERE user_id = admin_users.id"
                "  AND expires_at > ?1)"
                " FROM admin_users ORDER BY name");
    s.bind(1, now);
    std::vector<AdminUser> out;
    while (s.step())
        out.push_back({s.column_int64(0), s.column_text(1), s.column_text(2), s.column_text(3),
                       s.column_int64(4)});
    return out;
}

std::optional<std::pair<std::int64_t, std::string>> AdminReader::credentials(
    const std::string& name) const {
    std::lock_guard lock(impl_->mutex);
    Statement s(impl_->db, "SELECT id, password_hash FROM admin_users WHERE name = ?1");
    s.bind(1, name);
    if (!s.step()) return std::nullopt;
    return std::make_pair(s.column_int64(0), s.column_text(1));
}

std::optional<AdminSession> AdminReader::session(const std::string& token_hash,
                                                 std::int64_t now) const {
    std::lock_guard lock(impl_->mutex);
    Statement s(impl_->db,
                "SELECT s.user_id, u.name, s.csrf_token, s.expires_at FROM admin_sessions s"
                " JOIN admin_users u ON u.id = s.user_id"
                " WHERE s.token_hash = ?1 AND s.expires_at > ?2");
    s.bind(1, token_hash).bind(2, now);
    if (!s.step()) return std::nullopt;
    return AdminSession{s.column_int64(0), s.column_text(1), s.column_text(2), s.column_int64(3)};
}

std::vector<AuditEntry> AdminReader::audit(std::int64_t before_id, std::size_t limit) const {
    std::lock_guard lock(impl_->mutex);
    Statement s(impl_->db,
                "SELECT id, at, username, action, target, outcome, remote_address FROM admin_audit"
                " WHERE id < ?1 ORDER BY id DESC LIMIT ?2");
    s.bind(1, before_id > 0 ? before_id : std::numeric_limits<std::int64_t>::max());
    s.bind(2, static_cast<std::int64_t>(limit));
    std::vector<AuditEntry> out;
    while (s.step())
        out.push_back({s.column_int64(0), s.column_text(1), s.column_text(2), s.column_text(3),
                       s.column_text(4), s.column_text(5), s.column_text(6)});
    return out;
}

}  // namespace ofbridge::console
