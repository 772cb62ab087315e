// `ofbridge admin user add|passwd|remove|list`: the console's users. Writes go straight to the
// store on a connection of their own, as `exports reset` does; beside a running broker they take
// turns with it on SQLite's write lock. A new password is asked twice on a terminal (no echo) or
// read as one line from stdin otherwise (for scripts); each change is in the audit log.
#include <termios.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <iostream>

#include "commands.h"
#include "ofbridge/admin/text_table.h"
#include "ofbridge/console/admin_store.h"
#include "ofbridge/console/passwords.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/transaction.h"
#include "ofbridge/storage/time_format.h"

namespace ofbridge::app {
namespace {

std::string read_line_without_echo(const std::string& prompt) {
    std::cerr << prompt << std::flush;
    termios old_mode{};
    const bool tty = ::tcgetattr(STDIN_FILENO, &old_mode) == 0;
    if (tty) {
        termios quiet = old_mode;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
        std::cerr << "\n";
    }
    return line;
}

// From the terminal (asked twice) or one line of stdin; throws with the reason when unusable.
std::string new_password(const std::string& name) {
    std::string password;
    if (::isatty(STDIN_FILENO)) {
        password = read_line_without_echo("New password for " + name + ": ");
        if (read_line_without_echo("Again: ") != password)
            throw std::runtime_error("the two passwords differ");
    } else {
        if (!std::getline(std::cin, password))
            throw std::runtime_error("no password on stdin (one line expected)");
        if (!password.empty() && password.back() == '\r') password.pop_back();
    }
    if (auto problem = console::password_problem(password); !problem.empty())
        throw std::runtime_error(problem);
    return password;
}

storage::sqlite::Database open_store(const config::Config& config) {
    storage::create_data_directory(config.server.data_dir);
    auto db = storage::open_writable(config.database_path(), 0, std::chrono::seconds(10));
    db.exec("PRAGMA synchronous=FULL");
    storage::sqlite::migrate(db, storage::embedded_migrations());
    return db;
}

console::AuditEntry cli_audit(const std::string& user, std::string action) {
    const char* who = ::getlogin();
    return {0,
            storage::format_utc_millis(std::chrono::system_clock::now()),
            user,
            std::move(action),
            "user " + user,
            std::string("by ") + (who ? who : "?"),
            "cli"};
}

}  // namespace

int admin_user_add(const CommonOptions& common, const std::string& name) {
    const auto config = load(common);
    if (auto problem = console::user_name_problem(name); !problem.empty())
        throw std::runtime_error(problem);
    const auto hash = console::hash_password(new_password(name));
    auto db = open_store(config);
    storage::sqlite::Transaction transaction(db);
    console::AdminRepository repository(db);
    repository.add_user(name, hash, storage::format_utc_millis(std::chrono::system_clock::now()));
    repository.audit(cli_audit(name, "user_add"));
    transaction.commit();
    std::cout << "user " << name << " added\n";
    return 0;
}

int admin_user_passwd(const CommonOptions& common, const std::string& name) {
    const auto config = load(common);
    const auto hash = console::hash_password(new_password(name));
    auto db = open_store(config);
    storage::sqlite::Transaction transaction(db);
    console::AdminRepository repository(db);
    if (!repository.set_password(name, hash,
                                 storage::format_utc_millis(std::chrono::system_clock::now()))) {
        std::cerr << "ofbridge: no user " << name << "\n";
        return 3;
    }
    repository.audit(cli_audit(name, "user_passwd"));
    transaction.commit();
    std::cout << "password of " << name << " changed; its sessions ended\n";
    return 0;
}

int admin_user_remove(const CommonOptions& common, const std::string& name) {
    const auto config = load(common);
    auto db = open_store(config);
    storage::sqlite::Transaction transaction(db);
    console::AdminRepository repository(db);
    if (!repository.remove_user(name)) {
        std::cerr << "ofbridge: no user " << name << "\n";
        return 3;
    }
    repository.audit(cli_audit(name, "user_remove"));
    transaction.commit();
    std::cout << "user " << name << " removed\n";
    return 0;
}

int admin_user_list(const CommonOptions& common, bool json) {
    const auto config = load(common);
    console::AdminReader reader(config.database_path());
    const auto users = reader.users(storage::unix_seconds(std::chrono::system_clock::now()));
    if (json) {
        boost::json::array out;
        for (const auto& u : users)
            out.push_back({{"name", u.name},
                           {"created_at", u.created_at},
                           {"password_changed_at", u.password_changed_at},
                           {"sessions", u.sessions}});
        std::cout << boost::json::serialize(boost::json::object{{"users", std::move(out)}}) << "\n";
        return 0;
    }
    admin::TextTable table({"NAME", "CREATED", "PASSWORD CHANGED", "SESSIONS"});
    for (const auto& u : users)
        table.add_row({u.name, u.created_at, u.password_changed_at, std::to_string(u.sessions)});
    std::cout << table.render();
    return 0;
}

}  // namespace ofbridge::app
