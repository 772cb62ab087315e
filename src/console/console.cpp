// The console's routes, its security checks and its responses (see console.h for the order in
// which a request is checked; console_impl.h for the files of its pages).
#include "console_impl.h"

namespace ofbridge::console {

void add_security_headers(http::Response& response) {
    auto& h = response.headers;
    h.emplace_back(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'");
    h.emplace_back("X-Frame-Options", "DENY");
    h.emplace_back("X-Content-Type-Options", "nosniff");
    h.emplace_back("Referrer-Policy", "same-origin");
    h.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
}

http::Response redirect(std::string location) {
    http::Response r;
    r.status = 303;
    r.headers.emplace_back("Location", std::move(location));
    r.body = "";
    return r;
}

http::Response json_response(unsigned status, std::string body) {
    http::Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
}

http::Response json_error(unsigned status, const std::string& message) {
    return json_response(status,
                         boost::json::serialize(boost::json::object{{"message", message}}) + "\n");
}

std::string header(const http::Request& request, std::string_view name) {
    for (const auto& [key, value] : request.headers)
        if (key.size() == name.size() &&
            std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            }))
            return value;
    return "";
}

std::string render(std::string_view template_name, const mustache::data& data) {
    mustache::mustache tmpl{std::string(embedded_file(std::string(template_name) + ".mustache"))};
    if (!tmpl.is_valid())
        throw std::logic_error("template " + std::string(template_name) + ": " +
                               tmpl.error_message());
    return tmpl.render(data);
}

mustache::data options_list(const std::vector<std::string>& values, const std::string& selected) {
    mustache::data list{mustache::data::type::list};
    for (const auto& v : values) {
        mustache::data item;
        item.set("value", v);
        item.set("selected", v == selected);
        list.push_back(item);
    }
    return list;
}

std::string str(std::int64_t v) {
    return std::to_string(v);
}

std::string str(const std::optional<std::int64_t>& v) {
    return v ? std::to_string(*v) : "";
}

const std::string& Console::Impl::dummy() {
    std::call_once(dummy_once, [this] { dummy_hash = hash_password(random_token()); });
    return dummy_hash;
}

Clock::time_point Console::Impl::now() const {
    return options.clock ? options.clock() : Clock::now();
}

void Console::Impl::write(std::function<void(AdminRepository&)> task) {
    std::promise<std::error_code> done;
    auto result = done.get_future();
    storage::WriteJob job;
    job.run = [task = std::move(task)](storage::sqlite::Database& db, std::uint64_t) {
        AdminRepository repository(db);
        task(repository);
        return false;
    };
    job.done = [&done](std::error_code ec) { done.set_value(ec); };
    options.writer->submit(std::move(job));
    if (const auto ec = result.get())
        throw std::system_error(ec, "the store did not take the write");
}

void Console::Impl::audit(const std::string& user, std::string action, std::string target,
                          std::string outcome, const std::string& remote) {
    AuditEntry entry{0,
                     storage::format_utc_millis(now()),
                     user,
                     std::move(action),
                     std::move(target),
                     std::move(outcome),
                     remote};
    try {
        write([&](AdminRepository& r) { r.audit(entry); });
    } catch (const std::exception& e) {
        spdlog::error("admin audit entry not stored: {}", e.what());
    }
}

http::Response Console::Impl::page(unsigned status, const std::string& title,
                                   const std::string& content, const AdminSession* session,
                                   const std::string& notice, const std::string& error) {
    mustache::data d;
    d.set("title", title);
    d.set("content", content);
    if (session) {
        d.set("user", session->username);
        d.set("csrf", session->csrf_token);
    }
    if (!notice.empty()) d.set("notice", notice);
    if (!error.empty()) d.set("error", error);
    http::Response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body = render("layout", d);
    return r;
}

http::Response Console::Impl::message_page(unsigned status, const std::string& title,
                                           const std::string& message,
                                           const AdminSession* session) {
    mustache::data d;
    d.set("message", message);
    return page(status, title, render("message", d), session);
}

std::optional<AdminSession> Console::Impl::session_of(const http::Request& request) {
    const auto token = cookie_value(header(request, "Cookie"), kCookie);
    if (token.size() != 64) return std::nullopt;
    return admin.session(storage::sha256_hex(token), storage::unix_seconds(now()));
}

bool Console::Impl::same_origin(const http::Request& request) const {
    const std::string own = std::string(options.tls ? "https://" : "http://") + request.host;
    if (request.host.empty()) return false;
    const auto origin = header(request, "Origin");
    if (!origin.empty()) return origin == own;
    const auto referer = header(request, "Referer");
    return referer == own || referer.starts_with(own + "/");
}

std::string Console::Impl::cookie(const std::string& value,
                                  std::optional<std::int64_t> max_age) const {
    std::string c = std::string(kCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
    if (options.tls) c += "; Secure";
    if (max_age) c += "; Max-Age=" + std::to_string(*max_age);
    return c;
}

http::Response Console::Impl::route(const http::Request& request) {
    const auto question = request.target.find('?');
    const std::string path = request.target.substr(0, question);
    const Params query = question == std::string::npos
                             ? Params{}
                             : parse_form(std::string_view(request.target).substr(question + 1));
    const bool get = request.method == "GET" || request.method == "HEAD";
    const bool post = request.method == "POST";
    if (!get && !post) {
        http::Response r = message_page(405, "Method not allowed", "GET or POST only.", nullptr);
        r.headers.emplace_back("Allow", "GET, HEAD, POST");
        return r;
    }

    if (path.starts_with("/assets/") && get) return asset(path.substr(8));
    if (path == "/healthz" && get) return json_response(200, "{\"status\":\"ok\"}\n");
    if (path == "/readyz" && get) return readiness();
    if (path == "/metrics" && get) return metrics();
    if (path == "/login") return post ? login(request) : login_page(200, "", "");

    const bool api = path.starts_with("/admin/api/");
    auto session = session_of(request);
    if (!session) {
        if (api) return json_error(401, "log in first (POST /login)");
        return redirect("/login");
    }

    Params form;
    if (post) {
        if (!same_origin(request)) {
            audit(session->username, "refused", path, "foreign or missing Origin",
                  request.remote_address);
            return message_page(403, "Forbidden", "This form did not come from this console.",
                                &*session);
        }
        if (request.body.size() > kMaxFormBytes)
            return message_page(413, "Too large", "The form is too large.", &*session);
        form = parse_form(request.body);
        if (!equal_in_constant_time(param(form, "csrf"), session->csrf_token)) {
            audit(session->username, "refused", path, "missing or wrong CSRF token",
                  request.remote_address);
            return message_page(403, "Forbidden",
                                "The form has expired; reload the page and try again.", &*session);
        }
    }

    if (api && get) return api_route(path.substr(10), query);
    if (post) {
        if (path == "/logout") return logout(request, *session);
        if (path == "/dead/reprocess") return reprocess_many(request, *session, form);
        if (path.starts_with("/requests/") && path.ends_with("/reprocess")) {
            const auto id = id_in(path.substr(10, path.size() - 10 - 10));
            if (id) return reprocess_one(request, *session, *id);
        }
        return message_page(404, "Not found", "No such action.", &*session);
    }
    if (path == "/") return dashboard(*session);
    if (path == "/requests") return requests_page(*session, query, false);
    if (path == "/dead") return requests_page(*session, query, true);
    if (path.starts_with("/requests/"))
        if (const auto id = id_in(path.substr(10))) return request_page(*session, *id, query);
    if (path == "/imports") return imports_page(*session, query);
    if (path.starts_with("/imports/"))
        if (const auto id = id_in(path.substr(9))) return import_page(*session, *id);
    if (path == "/stock") return stock_page(*session, query);
    if (path == "/audit") return audit_page(*session, query);
    if (path == "/orders" || path.starts_with("/orders/") || path == "/shipments" ||
        path.starts_with("/shipments/") || path == "/exports" || path.starts_with("/exports/"))
        if (auto document = document_page(path, query)) {
            auto& [title, data] = *document;
            return page(200, title, render("document", data), &*session);
        }
    if (path == "/users") return users_page(*session);
    if (path == "/config") return config_page(*session);
    return message_page(404, "Not found", "No such page.", &*session);
}

std::optional<std::int64_t> Console::Impl::id_in(std::string_view text) {
    Params p{{"id", std::string(text)}};
    return positive(p, "id");
}

http::Response Console::Impl::asset(const std::string& name) {
    const auto body = name.find('/') == std::string::npos && !name.ends_with(".mustache")
                          ? embedded_file(name)
                          : std::string_view{};
    if (body.empty()) return message_page(404, "Not found", "No such file.", nullptr);
    http::Response r;
    r.content_type =
        name.ends_with(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
    r.body = std::string(body);
    r.headers.emplace_back("Cache-Control", "max-age=300");
    return r;
}

std::string Console::Impl::next_link(const std::string& base, const Params& query,
                                     std::int64_t last_id, std::string_view cursor) {
    return next_cursor_link(base, query, cursor, std::to_string(last_id));
}

std::string Console::Impl::next_cursor_link(const std::string& base, const Params& query,
                                            std::string_view cursor, const std::string& encoded) {
    std::string link = base + "?";
    for (const auto& [key, value] : query)
        if (key != "before" && key != "after" && !value.empty())
            link += domain::percent_encode(key) + "=" + domain::percent_encode(value) + "&";
    return link + std::string(cursor) + "=" + encoded;
}

Console::Console(ConsoleOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Console::~Console() = default;

void Console::handle(http::Request request, http::Responder respond) {
    http::Response response;
    try {
        response = impl_->route(request);
    } catch (const std::exception& e) {
        spdlog::error("admin console: {} {}: {}", request.method,
                      domain::log_text(request.target.substr(0, 200)), e.what());
        response = json_error(500, "internal error; see the broker's log");
    }
    add_security_headers(response);
    if (std::none_of(response.headers.begin(), response.headers.end(),
                     [](const auto& h) { return h.first == "Cache-Control"; }))
        response.headers.emplace_back("Cache-Control", "no-store");
    if (request.method == "HEAD") response.body.clear();
    respond(std::move(response));
}

}  // namespace ofbridge::console
