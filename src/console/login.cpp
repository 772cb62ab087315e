// Logging in and out: the throttle, Argon2id, the session cookie, the audit entries.
#include "console_impl.h"

namespace ofbridge::console {

http::Response Console::Impl::login_page(unsigned status, const std::string& name,
                                         const std::string& error) {
    mustache::data d;
    d.set("name", name);
    return page(status, "Log in", render("login", d), nullptr, "", error);
}

http::Response Console::Impl::login(const http::Request& request) {
    if (!same_origin(request))
        return login_page(403, "", "This form did not come from this console.");
    if (request.body.size() > kMaxFormBytes) return login_page(413, "", "The form is too large.");
    const auto form = parse_form(request.body);
    const auto name = param(form, "user");
    const auto password = param(form, "password");
    const auto& remote = request.remote_address;
    const auto steady = LoginThrottle::Clock::now();
    if (const auto wait = throttle.wait(remote, name, steady); wait.count() > 0) {
        auto r = login_page(
            429, name,
            "Too many failed logins. Try again in " + std::to_string(wait.count()) + " s.");
        r.headers.emplace_back("Retry-After", std::to_string(wait.count()));
        return r;
    }
    const auto credentials =
        user_name_problem(name).empty() ? admin.credentials(name) : std::nullopt;
    const bool ok = verify_password(credentials ? credentials->second : dummy(), password) &&
                    credentials.has_value();
    if (!ok) {
        throttle.failed(remote, name, steady);
        audit(domain::log_text(name), "login_refused", "", "wrong user name or password", remote);
        return login_page(401, name, "Wrong user name or password.");
    }
    throttle.succeeded(remote, name);
    const auto token = random_token();
    const auto csrf = random_token();
    const auto now_s = storage::unix_seconds(now());
    const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(options.session_ttl);
    const auto expires = now_s + ttl.count();
    const AuditEntry entry{0, storage::format_utc_millis(now()), name, "login", "", "ok", remote};
    try {
        write([&](AdminRepository& r) {
            r.purge_expired_sessions(now_s);
            r.create_session(storage::sha256_hex(token), credentials->first, csrf, now_s, expires,
                             remote);
            r.audit(entry);
        });
    } catch (const std::exception& e) {
        spdlog::error("admin login of {} not stored: {}", name, e.what());
        return login_page(503, name, "The store is not available; try again.");
    }
    auto r = redirect("/");
    r.headers.emplace_back("Set-Cookie", cookie(token, ttl.count()));
    return r;
}

http::Response Console::Impl::logout(const http::Request& request, const AdminSession& session) {
    const auto token = cookie_value(header(request, "Cookie"), kCookie);
    const AuditEntry entry{0,
                           storage::format_utc_millis(now()),
                           session.username,
                           "logout",
                           "",
                           "ok",
                           request.remote_address};
    try {
        write([&](AdminRepository& r) {
            r.delete_session(storage::sha256_hex(token));
            r.audit(entry);
        });
    } catch (const std::exception& e) {
        return message_page(503, "Not logged out", "The store is not available; try again.",
                            &session);
    }
    auto r = redirect("/login");
    r.headers.emplace_back("Set-Cookie", cookie("", 0));
    return r;
}

}  // namespace ofbridge::console
