// The console's tables (schemas/sqlite/009_admin.sql): users, login sessions, the audit log.
// AdminRepository writes on a connection whose transaction the caller holds: in `serve` a job
// on the one writer (storage::Writer), in the CLI its own connection, as `exports reset` does.
// AdminReader reads through a read-only connection of its own, so what the CLI changes while a
// broker runs (a removed user, a new password) counts at the console's next request.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::console {

struct AdminUser {
    std::int64_t id = 0;
    std::string name;
    std::string created_at;  // ISO-8601 UTC
    std::string password_changed_at;
    std::int64_t sessions = 0;  // logins still valid
};

struct AdminSession {
    std::int64_t user_id = 0;
    std::string username;
    std::string csrf_token;
    std::int64_t expires_at = 0;  // unix seconds
};

struct AuditEntry {
    std::int64_t id = 0;
    std::string at;  // ISO-8601 UTC
    std::string username;
    std::string action;
    std::string target;
    std::string outcome;
    std::string remote_address;
};

// A user name: 1 to 64 of letters, digits and . _ @ -. Returns the reason it is not, or "".
std::string user_name_problem(std::string_view name);

class AdminRepository {
public:
    explicit AdminRepository(storage::sqlite::Database& db) : db_(db) {}

    // Throws std::invalid_argument when the name is taken or not valid.
    std::int64_t add_user(const std::string& name, const std::string& password_hash,
                          const std::string& now);
    // Both end every session of the user. False: no such user.
    bool set_password(const std::string& name, const std::string& password_hash,
                      const std::string& now);
    bool remove_user(const std::string& name);

    void create_session(const std::string& token_hash, std::int64_t user_id,
                        const std::string& csrf_token, std::int64_t now, std::int64_t expires_at,
                        const std::string& remote_address);
    void delete_session(const std::string& token_hash);
    void purge_expired_sessions(std::int64_t now);
    void audit(const AuditEntry& entry);

private:
    storage::sqlite::Database& db_;
};

class AdminReader {
public:
    // Throws std::runtime_error naming the path when the database cannot be read or lacks 009.
    explicit AdminReader(const std::filesystem::path& db_path);
    ~AdminReader();
    AdminReader(const AdminReader&) = delete;
    AdminReader& operator=(const AdminReader&) = delete;

    std::vector<AdminUser> users(std::int64_t now) const;
    // The user's id and password hash.
    std::optional<std::pair<std::int64_t, std::string>> credentials(const std::string& name) const;
    // A session that has not expired at `now`.
    std::optional<AdminSession> session(const std::string& token_hash, std::int64_t now) const;
    // Newest first; before_id = 0: from the newest.
    std::vector<AuditEntry> audit(std::int64_t before_id, std::size_t limit) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::console
