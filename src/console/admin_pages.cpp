// The audit log, the users and the effective configuration.
#include "console_impl.h"

namespace ofbridge::console {

http::Response Console::Impl::audit_page(const AdminSession& session, const Params& query) {
    const auto rows = admin.audit(positive(query, "before").value_or(0), kPageSize);
    mustache::data list{mustache::data::type::list};
    for (const auto& e : rows) {
        mustache::data row;
        row.set("id", str(e.id));
        row.set("at", e.at);
        row.set("username", e.username);
        row.set("action", e.action);
        row.set("target", e.target);
        row.set("outcome", e.outcome);
        row.set("remote_address", e.remote_address);
        list.push_back(row);
    }
    mustache::data d;
    d.set("rows", list);
    if (rows.size() == kPageSize) d.set("next", next_link("/audit", query, rows.back().id));
    return page(200, "Audit log", render("audit", d), &session);
}

http::Response Console::Impl::users_page(const AdminSession& session) {
    mustache::data list{mustache::data::type::list};
    for (const auto& u : admin.users(storage::unix_seconds(now()))) {
        mustache::data row;
        row.set("name", u.name);
        row.set("created_at", u.created_at);
        row.set("password_changed_at", u.password_changed_at);
        row.set("sessions", str(u.sessions));
        list.push_back(row);
    }
    mustache::data d;
    d.set("rows", list);
    return page(200, "Users", render("users", d), &session);
}

http::Response Console::Impl::config_page(const AdminSession& session) {
    mustache::data d;
    d.set("text", options.configuration_text);
    return page(200, "Configuration", render("config", d), &session);
}

}  // namespace ofbridge::console
