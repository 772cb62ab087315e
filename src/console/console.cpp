// The console's routes, its security checks and its pages (see console.h for the order in
// which a request is checked).
#include "ofbridge/console/console.h"
#include "ofbridge/domain/percent_encoding.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <future>
#include <kainjow/mustache.hpp>
#include <map>
#include <mutex>
#include <stdexcept>

#include "ofbridge/admin/export_views.h"
#include "ofbridge/admin/import_views.h"
#include "ofbridge/admin/order_views.h"
#include "ofbridge/admin/request_views.h"
#include "ofbridge/console/admin_store.h"
#include "ofbridge/console/login_throttle.h"
#include "ofbridge/console/passwords.h"
#include "ofbridge/domain/log_text.h"
#include "ofbridge/export/export_reader.h"
#include "ofbridge/imports/import_reader.h"
#include "ofbridge/inventory/stock_reader.h"
#include "ofbridge/orders/order_store.h"
#include "ofbridge/orders/shipment_reader.h"
#include "ofbridge/outbox/outbox_reader.h"
#include "ofbridge/queue/request_reader.h"
#include "ofbridge/storage/sha256.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/time_format.h"
#include "ofbridge/storage/writer.h"
#include "web.h"

namespace ofbridge::console {

std::string_view embedded_file(std::string_view name);  // embedded_files.cpp (generated)

namespace {

namespace mustache = kainjow::mustache;
using Clock = std::chrono::system_clock;

constexpr std::string_view kCookie = "ofbridge_session";
constexpr std::size_t kPageSize = 50;
constexpr std::size_t kMaxFormBytes = 64 * 1024;

const std::vector<std::string> kEntities{"inventory", "shipment", "product_export", "order_export"};
const std::vector<std::string> kStates{"pending", "processing", "done", "failed", "dead"};
const std::vector<std::string> kResults{"Success", "Duplicate", "Superseded", "Failure"};

// Every reply: nothing inline may run, nothing may frame the console, no sniffing, no caching
// of pages that show customer data.
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

std::string age_text(double seconds) {
    const auto s = static_cast<std::int64_t>(seconds);
    if (s < 120) return std::to_string(s) + " s";
    if (s < 7200) return std::to_string(s / 60) + " min";
    if (s < 172800) return std::to_string(s / 3600) + " h";
    return std::to_string(s / 86400) + " days";
}

// Seconds from an ISO-8601 UTC stamp ("2026-11-23T09:00:00.123Z") to `now`; nullopt when the
// text is not one.
std::optional<double> seconds_since(const std::string& iso, Clock::time_point now) {
    std::tm tm{};
    if (iso.size() < 19 || !strptime(iso.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm))
        return std::nullopt;
    const auto then = Clock::from_time_t(timegm(&tm));
    return std::chrono::duration<double>(now - then).count();
}

// A bar chart per entity: received, applied, failed (server-side SVG, no script, no style).
std::string activity_svg(const std::vector<queue::EntityActivity>& rows) {
    std::int64_t top = 1;
    for (const auto& r : rows) top = std::max({top, r.received, r.applied, r.failed});
    const int bar = 18, gap = 40, height = 120, label = 30;
    const int width = std::max<int>(1, static_cast<int>(rows.size())) * (3 * bar + gap) + gap;
    std::string svg = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                      std::to_string(width) + "\" height=\"" + std::to_string(height + label) +
                      "\" role=\"img\">";
    int x = gap;
    for (const auto& r : rows) {
        const std::pair<const char*, std::int64_t> bars[] = {
            {"received", r.received}, {"applied", r.applied}, {"failed", r.failed}};
        for (const auto& [cls, value] : bars) {
            const int h = static_cast<int>(value * (height - 15) / top);
            svg += "<rect class=\"" + std::string(cls) + "\" x=\"" + std::to_string(x) + "\" y=\"" +
                   std::to_string(height - h) + "\" width=\"" + std::to_string(bar) +
                   "\" height=\"" + std::to_string(h) + "\"><title>" + cls + ": " +
                   std::to_string(value) + "</title></rect>";
            svg += "<text x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(height - h - 3) +
                   "\">" + std::to_string(value) + "</text>";
            x += bar;
        }
        // Entity names are one of kEntities (the queue's CHECKed spellings), never wire text.
        svg += "<text x=\"" + std::to_string(x - 3 * bar) + "\" y=\"" +
               std::to_string(height + 18) + "\">" + mustache::html_escape(r.entity) + "</text>";
        x += gap;
    }
    return svg + "</svg>";
}

std::string scalar_text(const boost::json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_null()) return "";
    return boost::json::serialize(v);
}

bool is_scalar(const boost::json::value& v) {
    return !v.is_object() && !v.is_array();
}

// Links from a grid cell: column name -> URL prefix (the cell's text is appended, encoded).
using Links = std::map<std::string, std::string>;

mustache::data grid(const std::string& id, const std::string& heading,
                    const boost::json::array& items, const Links& links) {
    std::vector<std::string> columns;
    for (const auto& item : items) {
        if (!item.is_object()) continue;
        for (const auto& [key, value] : item.get_object())
            if (is_scalar(value) &&
                std::find(columns.begin(), columns.end(), std::string(key)) == columns.end())
                columns.emplace_back(key);
    }
    mustache::data column_list{mustache::data::type::list};
    for (const auto& c : columns) column_list.push_back(mustache::data(c));
    mustache::data rows{mustache::data::type::list};
    for (const auto& item : items) {
        if (!item.is_object()) continue;
        mustache::data cells{mustache::data::type::list};
        for (const auto& c : columns) {
            const auto* value = item.get_object().if_contains(c);
            const auto text = value ? scalar_text(*value) : std::string();
            mustache::data cell;
            cell.set("text", text);
            const auto link = links.find(c);
            if (link != links.end() && !text.empty())
                cell.set("link", link->second + domain::percent_encode(text));
            else
                cell.set("link", false);
            cells.push_back(cell);
        }
        mustache::data row;
        row.set("cells", cells);
        rows.push_back(row);
    }
    mustache::data table;
    table.set("id", id);
    if (heading.empty())
        table.set("heading", false);
    else
        table.set("heading", heading);
    table.set("columns", column_list);
    table.set("rows", rows);
    return table;
}

// A page from one of the admin JSON documents (what the CLI's --json prints): its scalar
// fields as a table, each array of objects as a grid, anything else as JSON text. So the page
// shows exactly what the JSON API answers.
mustache::data document_data(const std::string& json, const Links& links) {
    const auto document = boost::json::parse(json);
    mustache::data scalars{mustache::data::type::list};
    mustache::data tables{mustache::data::type::list};
    mustache::data texts{mustache::data::type::list};
    bool has_scalars = false;
    // A document that is a bare array (export runs) is one grid.
    if (document.is_array()) tables.push_back(grid("rows", "", document.get_array(), links));
    if (document.is_object()) {
        for (const auto& [key, value] : document.get_object()) {
            const std::string name(key);
            if (is_scalar(value)) {
                mustache::data f;
                f.set("name", name);
                f.set("value", scalar_text(value));
                scalars.push_back(f);
                has_scalars = true;
            } else if (value.is_array() &&
                       (value.get_array().empty() || value.get_array().front().is_object())) {
                tables.push_back(grid(name, document.get_object().size() > 1 ? name : "",
                                      value.get_array(), links));
            } else {
                mustache::data t;
                t.set("name", name);
                t.set("value", boost::json::serialize(value));
                texts.push_back(t);
            }
        }
    }
    mustache::data d;
    d.set("scalars", scalars);
    d.set("has_scalars", has_scalars);
    d.set("tables", tables);
    d.set("texts", texts);
    return d;
}

}  // namespace

struct Console::Impl {
    explicit Impl(ConsoleOptions o)
        : options(std::move(o)),
          admin(options.database),
          requests(options.database),
          imports(options.database),
          stock(options.database),
          orders(options.database),
          shipments(options.database),
          exports(options.database),
          outbox(options.database) {
        if (!options.writer) throw std::invalid_argument("the console needs the store's writer");
    }

    ConsoleOptions options;
    AdminReader admin;
    queue::RequestReader requests;
    imports::ImportReader imports;
    inventory::StockReader stock;
    orders::OrderReader orders;
    orders::ShipmentReader shipments;
    exporting::ExportReader exports;
    outbox::OutboxReader outbox;
    LoginThrottle throttle;
    // Verified against for unknown users, so the time a refusal takes tells nothing; made on
    // first use, which keeps the broker's start-up quick.
    std::once_flag dummy_once;
    std::string dummy_hash;
    const std::string& dummy() {
        std::call_once(dummy_once, [this] { dummy_hash = hash_password(random_token()); });
        return dummy_hash;
    }

    Clock::time_point now() const { return options.clock ? options.clock() : Clock::now(); }

    // Runs `task` on the one writer and waits for it to be durable; throws on failure.
    void write(std::function<void(AdminRepository&)> task) {
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

    void audit(const std::string& user, std::string action, std::string target, std::string outcome,
               const std::string& remote) {
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

    // Ready: the store answers a read and the writer commits (and syncs) a job that writes
    // nothing, both within 2 s.
    http::Response readiness() {
        try {
            (void)requests.queue_stats();
            auto done = std::make_shared<std::promise<std::error_code>>();
            auto result = done->get_future();
            storage::WriteJob job;
            job.run = [](storage::sqlite::Database&, std::uint64_t) { return false; };
            job.done = [done](std::error_code ec) { done->set_value(ec); };
            options.writer->submit(std::move(job));
            if (result.wait_for(std::chrono::seconds(2)) != std::future_status::ready)
                return json_error(503, "the writer did not commit within 2 s");
            if (const auto ec = result.get()) return json_error(503, "the writer: " + ec.message());
        } catch (const std::exception& e) {
            return json_error(503, std::string("the store: ") + e.what());
        }
        return json_response(200, "{\"status\":\"ready\"}\n");
    }

    http::Response metrics() {
        const auto stats = requests.queue_stats();
        std::string text =
            "# HELP ofbridge_queue_requests Stored requests by state.\n"
            "# TYPE ofbridge_queue_requests gauge\n";
        const std::pair<const char*, std::int64_t> states[] = {{"pending", stats.pending},
                                                               {"processing", stats.processing},
                                                               {"failed", stats.failed},
                                                               {"dead", stats.dead}};
        for (const auto& [state, count] : states)
            text += "ofbridge_queue_requests{state=\"" + std::string(state) + "\"} " +
                    std::to_string(count) + "\n";
        text +=
            "# HELP ofbridge_queue_oldest_pending_seconds Age of the oldest pending request.\n"
            "# TYPE ofbridge_queue_oldest_pending_seconds gauge\n"
            "ofbridge_queue_oldest_pending_seconds " +
            std::to_string(stats.oldest_pending_age_seconds.value_or(0.0)) + "\n";
        std::error_code ec;
        const auto wal = std::filesystem::file_size(options.database.string() + "-wal", ec);
        text +=
            "# HELP ofbridge_wal_bytes Size of the database's write-ahead log.\n"
            "# TYPE ofbridge_wal_bytes gauge\n"
            "ofbridge_wal_bytes " +
            std::to_string(ec ? 0 : wal) + "\n";
        if (options.process_metrics) text += options.process_metrics();
        http::Response r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = std::move(text);
        return r;
    }

    // ---- responses ------------------------------------------------------------------------
    http::Response page(unsigned status, const std::string& title, const std::string& content,
                        const AdminSession* session, const std::string& notice = "",
                        const std::string& error = "") {
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

    http::Response message_page(unsigned status, const std::string& title,
                                const std::string& message, const AdminSession* session) {
        mustache::data d;
        d.set("message", message);
        return page(status, title, render("message", d), session);
    }

    http::Response login_page(unsigned status, const std::string& name, const std::string& error) {
        mustache::data d;
        d.set("name", name);
        return page(status, "Log in", render("login", d), nullptr, "", error);
    }

    // ---- checks ---------------------------------------------------------------------------
    std::optional<AdminSession> session_of(const http::Request& request) {
        const auto token = cookie_value(header(request, "Cookie"), kCookie);
        if (token.size() != 64) return std::nullopt;
        return admin.session(storage::sha256_hex(token), storage::unix_seconds(now()));
    }

    // A state-changing request must come from a page of this console: its Origin (or, when a
    // browser sends none, its Referer) names this console's scheme and host.
    bool same_origin(const http::Request& request) const {
        const std::string own = std::string(options.tls ? "https://" : "http://") + request.host;
        if (request.host.empty()) return false;
        const auto origin = header(request, "Origin");
        if (!origin.empty()) return origin == own;
        const auto referer = header(request, "Referer");
        return referer == own || referer.starts_with(own + "/");
    }

    std::string cookie(const std::string& value, std::optional<std::int64_t> max_age) const {
        std::string c = std::string(kCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
        if (options.tls) c += "; Secure";
        if (max_age) c += "; Max-Age=" + std::to_string(*max_age);
        return c;
    }

    // ---- routes ---------------------------------------------------------------------------
    http::Response route(const http::Request& request) {
        const auto question = request.target.find('?');
        const std::string path = request.target.substr(0, question);
        const Params query =
            question == std::string::npos
                ? Params{}
                : parse_form(std::string_view(request.target).substr(question + 1));
        const bool get = request.method == "GET" || request.method == "HEAD";
        const bool post = request.method == "POST";
        if (!get && !post) {
            http::Response r =
                message_page(405, "Method not allowed", "GET or POST only.", nullptr);
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
                                    "The form has expired; reload the page and try again.",
                                    &*session);
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

    static std::optional<std::int64_t> id_in(std::string_view text) {
        Params p{{"id", std::string(text)}};
        return positive(p, "id");
    }

    http::Response asset(const std::string& name) {
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

    http::Response login(const http::Request& request) {
        if (!same_origin(request))
            return login_page(403, "", "This form did not come from this console.");
        if (request.body.size() > kMaxFormBytes)
            return login_page(413, "", "The form is too large.");
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
            audit(domain::log_text(name), "login_refused", "", "wrong user name or password",
                  remote);
            return login_page(401, name, "Wrong user name or password.");
        }
        throttle.succeeded(remote, name);
        const auto token = random_token();
        const auto csrf = random_token();
        const auto now_s = storage::unix_seconds(now());
        const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(options.session_ttl);
        const auto expires = now_s + ttl.count();
        const AuditEntry entry{0,     storage::format_utc_millis(now()), name, "login", "", "ok",
                               remote};
        try {
            write([&](AdminRepository& r) {
                r.purge_expired_sessions(now_s);
                r.create_session(storage::sha256_hex(token), credentials->first, csrf, now_s,
                                 expires, remote);
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

    http::Response logout(const http::Request& request, const AdminSession& session) {
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

    // Through the app's callback: the same claim and apply path as `requests reprocess`.
    std::string reprocess(const http::Request& request, const AdminSession& session,
                          std::int64_t id, bool& ok) {
        std::string outcome;
        try {
            const auto result = options.reprocess(id);
            outcome =
                "state " + result.state + ", import report " + std::to_string(result.report_id);
            ok = true;
        } catch (const std::exception& e) {
            outcome = e.what();
            ok = false;
        }
        audit(session.username, "reprocess", "request " + std::to_string(id), outcome,
              request.remote_address);
        return outcome;
    }

    http::Response reprocess_one(const http::Request& request, const AdminSession& session,
                                 std::int64_t id) {
        bool ok = false;
        const auto outcome = reprocess(request, session, id, ok);
        if (!ok) return message_page(409, "Not reprocessed", outcome, &session);
        return redirect("/requests/" + std::to_string(id) + "?reprocessed=1");
    }

    http::Response reprocess_many(const http::Request& request, const AdminSession& session,
                                  const Params& form) {
        std::size_t done = 0, failed = 0;
        for (const auto& text : params(form, "id")) {
            const auto id = id_in(text);
            if (!id) continue;
            bool ok = false;
            reprocess(request, session, *id, ok);
            ++(ok ? done : failed);
        }
        return redirect("/dead?reprocessed=" + std::to_string(done) +
                        "&refused=" + std::to_string(failed));
    }

    // ---- pages ----------------------------------------------------------------------------
    http::Response dashboard(const AdminSession& session) {
        const auto now_tp = now();
        const auto stats = requests.queue_stats();
        mustache::data d;
        d.set("pending", str(stats.pending));
        d.set("processing", str(stats.processing));
        d.set("failed", str(stats.failed));
        d.set("dead", str(stats.dead));
        d.set("oldest",
              stats.oldest_pending_age_seconds ? age_text(*stats.oldest_pending_age_seconds) : "-");
        mustache::data alerts{mustache::data::type::list};
        if (stats.dead > 0)
            alerts.push_back(
                mustache::data(std::to_string(stats.dead) + " dead request(s): see Dead letters."));
        mustache::data last{mustache::data::type::list};
        std::optional<double> newest_age;
        for (const auto& r : requests.last_per_entity()) {
            const auto age = seconds_since(r.received_at, now_tp);
            if (age && (!newest_age || *age < *newest_age)) newest_age = age;
            mustache::data row;
            row.set("entity", r.entity);
            row.set("id", str(r.id));
            row.set("received_at", r.received_at);
            row.set("age", age ? age_text(*age) : "?");
            last.push_back(row);
        }
        if (options.quiet_minutes > 0 &&
            (!newest_age || *newest_age > options.quiet_minutes * 60.0))
            alerts.push_back(mustache::data("No WMS message for " +
                                            std::to_string(options.quiet_minutes) +
                                            " minutes or more."));
        mustache::data activity{mustache::data::type::list};
        mustache::data charts{mustache::data::type::list};
        const std::pair<const char*, std::chrono::hours> windows[] = {
            {"last hour", std::chrono::hours{1}}, {"last day", std::chrono::hours{24}}};
        for (const auto& [window, span] : windows) {
            const auto rows = requests.activity_since(storage::format_utc_millis(now_tp - span));
            for (const auto& r : rows) {
                mustache::data row;
                row.set("window", window);
                row.set("entity", r.entity);
                row.set("received", str(r.received));
                row.set("applied", str(r.applied));
                row.set("failed", str(r.failed));
                activity.push_back(row);
            }
            mustache::data chart;
            chart.set("caption", std::string("Received, applied, failed: ") + window);
            chart.set("svg", activity_svg(rows));
            charts.push_back(chart);
        }
        // Export queue: shown once anything was ever queued for export.
        mustache::data export_rows{mustache::data::type::list};
        std::int64_t failed_exports = 0;
        for (const auto& c : exports.queue_counts()) {
            if (c.pending + c.queued + c.exported + c.failed + c.cancelled == 0) continue;
            mustache::data row;
            row.set("entity", c.entity);
            row.set("pending", str(c.pending));
            row.set("queued", str(c.queued));
            row.set("exported", str(c.exported));
            row.set("failed", str(c.failed));
            row.set("cancelled", str(c.cancelled));
            export_rows.push_back(row);
            failed_exports += c.failed;
        }
        if (!export_rows.is_empty_list()) {
            mustache::data section;
            section.set("rows", export_rows);
            d.set("export_queue", section);
        }
        if (failed_exports > 0)
            alerts.push_back(
                mustache::data(std::to_string(failed_exports) + " failed export(s): see Exports."));
        // Magento delivery: shown once a magento2 store staged its first delivery.
        mustache::data delivery_rows{mustache::data::type::list};
        for (const auto& s : outbox.delivery_state()) {
            mustache::data row;
            row.set("store", s.store_code);
            row.set("waiting", str(s.waiting));
            row.set("failed", str(s.failed));
            row.set("max_attempts", str(s.max_attempts));
            std::string due = "-";
            if (!s.oldest_due_at.empty()) {
                const auto age = seconds_since(s.oldest_due_at, now_tp);
                due = !age ? s.oldest_due_at : *age >= 0 ? age_text(*age) : "not yet due";
            }
            row.set("oldest_due", due);
            delivery_rows.push_back(row);
            if (s.failed > 0)
                alerts.push_back(mustache::data(
                    std::to_string(s.failed) + " Magento deliver" + (s.failed == 1 ? "y" : "ies") +
                    " of store " + s.store_code + " refused: see `ofbridge outbox list`."));
        }
        if (!delivery_rows.is_empty_list()) {
            mustache::data section;
            section.set("rows", delivery_rows);
            d.set("magento", section);
        }
        d.set("alerts", alerts);
        d.set("last", last);
        d.set("activity", activity);
        d.set("charts", charts);
        return page(200, "Dashboard", render("dashboard", d), &session);
    }

    static queue::RequestPage request_page_of(const Params& query) {
        queue::RequestPage page;
        if (const auto message = param(query, "message"); !message.empty())
            page.message_key = message;
        page.before_id = positive(query, "before").value_or(0);
        if (const auto from = param(query, "from"); !from.empty()) page.received_from = from;
        if (const auto to = param(query, "to"); !to.empty()) page.received_before = to;
        if (const auto sku = param(query, "sku"); !sku.empty()) page.sku = sku;
        page.oldest_first = param(query, "sort") == "oldest";
        page.after_id = positive(query, "after").value_or(0);
        return page;
    }

    static queue::RequestFilter request_filter(const Params& query, bool dead) {
        queue::RequestFilter f;
        const auto entity = param(query, "entity");
        const auto state = param(query, "state");
        if (std::find(kEntities.begin(), kEntities.end(), entity) != kEntities.end())
            f.entity = entity;
        if (dead)
            f.state = "dead";
        else if (std::find(kStates.begin(), kStates.end(), state) != kStates.end())
            f.state = state;
        f.limit = kPageSize;
        return f;
    }

    // The next keyset page: the same query with the cursor (`before`, or `after` when the grid
    // runs oldest first) set to the last id shown.
    static std::string next_link(const std::string& base, const Params& query, std::int64_t last_id,
                                 std::string_view cursor = "before") {
        return next_cursor_link(base, query, cursor, std::to_string(last_id));
    }
    static std::string next_cursor_link(const std::string& base, const Params& query,
                                        std::string_view cursor, const std::string& encoded) {
        std::string link = base + "?";
        for (const auto& [key, value] : query)
            if (key != "before" && key != "after" && !value.empty())
                link += domain::percent_encode(key) + "=" + domain::percent_encode(value) + "&";
        return link + std::string(cursor) + "=" + encoded;
    }

    http::Response requests_page(const AdminSession& session, const Params& query, bool dead) {
        const auto filter = request_filter(query, dead);
        const auto page_of = request_page_of(query);
        const auto rows = requests.list(filter, page_of);
        mustache::data d;
        d.set("entities", options_list(kEntities, filter.entity.value_or("")));
        d.set("states", options_list(kStates, filter.state.value_or("")));
        d.set("message", page_of.message_key.value_or(""));
        d.set("from", page_of.received_from.value_or(""));
        d.set("to", page_of.received_before.value_or(""));
        d.set("sku", page_of.sku.value_or(""));
        d.set("sorts", options_list({"newest", "oldest"}, page_of.oldest_first ? "oldest" : ""));
        d.set("csrf", session.csrf_token);
        mustache::data list{mustache::data::type::list};
        for (const auto& r : rows) {
            mustache::data row;
            row.set("id", str(r.id));
            row.set("entity", r.entity);
            row.set("store", r.store_code);
            row.set("wire", r.wire);
            row.set("message_key", r.message_key);
            row.set("state", r.state);
            row.set("lines", str(r.line_count));
            row.set("deliveries", str(r.deliveries));
            row.set("attempts", str(r.attempts));
            row.set("received_at", r.received_at);
            list.push_back(row);
        }
        d.set("rows", list);
        d.set("any", !rows.empty());
        if (rows.size() == kPageSize)
            d.set("next", next_link(dead ? "/dead" : "/requests", query, rows.back().id,
                                    page_of.oldest_first ? "after" : "before"));
        d.set("next_text", page_of.oldest_first ? "Newer requests" : "Older requests");
        std::string notice;
        if (dead && !param(query, "reprocessed").empty())
            notice = "Reprocessed " + param(query, "reprocessed") + " request(s)" +
                     (param(query, "refused") == "0" || param(query, "refused").empty()
                          ? "."
                          : "; " + param(query, "refused") + " refused (see the audit log).");
        return page(200, dead ? "Dead letters" : "Import requests",
                    render(dead ? "dead" : "requests", d), &session, notice);
    }

    http::Response request_page(const AdminSession& session, std::int64_t id, const Params& query) {
        const auto request = requests.get(id);
        if (!request)
            return message_page(404, "Not found", "No request " + str(id) + ".", &session);
        const auto& s = request->summary;
        mustache::data fields{mustache::data::type::list};
        auto field = [&](const std::string& name, const std::string& value) {
            mustache::data f;
            f.set("name", name);
            f.set("value", value);
            fields.push_back(f);
        };
        field("id", str(s.id));
        field("entity", s.entity);
        field("store", s.store_code);
        field("wire", s.wire);
        field("message", s.message_key);
        field("state", s.state);
        field("attempts", str(s.attempts));
        field("last error", request->last_error);
        field("deliveries", str(s.deliveries));
        field("received", s.received_at);
        field("last delivered", request->last_delivered_at);
        field("remote address", request->remote_address);
        field("reply", request->reply);
        for (const auto& [name, value] : request->fields) field(name, value);
        for (const auto& tracking : request->tracking_numbers) field("tracking", tracking);
        mustache::data lines{mustache::data::type::list};
        for (const auto& l : request->lines) {
            mustache::data row;
            row.set("line_no", str(l.line_no));
            row.set("sku", l.sku);
            row.set("sku_q", domain::percent_encode(l.sku));
            row.set("source", l.source);
            row.set("qty", str(l.qty));
            row.set("seq", str(l.seq));
            row.set("last_order_exported", l.last_order_exported);
            lines.push_back(row);
        }
        mustache::data d;
        d.set("id", str(id));
        d.set("csrf", session.csrf_token);
        d.set("fields", fields);
        d.set("lines", lines);
        d.set("raw", pretty_xml(request->raw_body));
        const auto reports = imports.report_ids_of_request(id);
        if (!reports.empty()) {
            mustache::data ids{mustache::data::type::list};
            for (const auto r : reports) ids.push_back(mustache::data(str(r)));
            mustache::data group;
            group.set("ids", ids);
            d.set("reports", group);
        }
        return page(200, "Request " + str(id), render("request", d), &session,
                    param(query, "reprocessed").empty() ? "" : "Reprocessed.");
    }

    http::Response imports_page(const AdminSession& session, const Params& query) {
        imports::ImportFilter filter;
        const auto entity = param(query, "entity");
        const auto result = param(query, "result");
        if (entity == "inventory" || entity == "shipment") filter.entity = entity;
        if (std::find(kResults.begin(), kResults.end(), result) != kResults.end())
            filter.result = result;
        filter.limit = kPageSize;
        const auto rows = imports.list_imports(filter, positive(query, "before").value_or(0));
        mustache::data d;
        d.set("entities", options_list({"inventory", "shipment"}, filter.entity.value_or("")));
        d.set("results", options_list(kResults, filter.result.value_or("")));
        mustache::data list{mustache::data::type::list};
        for (const auto& r : rows) {
            mustache::data row;
            row.set("id", str(r.id));
            row.set("request_id", str(r.request_id));
            row.set("entity", r.entity);
            row.set("message_key", r.message_key);
            row.set("successes", str(r.successes));
            row.set("duplicates", str(r.duplicates));
            row.set("superseded", str(r.superseded));
            row.set("failures", str(r.failures));
            row.set("created_at", r.created_at);
            list.push_back(row);
        }
        d.set("rows", list);
        if (rows.size() == kPageSize) d.set("next", next_link("/imports", query, rows.back().id));
        return page(200, "Import reports", render("imports", d), &session);
    }

    http::Response import_page(const AdminSession& session, std::int64_t id) {
        const auto report = imports.get_import(id);
        if (!report)
            return message_page(404, "Not found", "No import report " + str(id) + ".", &session);
        const auto& s = report->summary;
        mustache::data d;
        d.set("request_id", str(s.request_id));
        d.set("entity", s.entity);
        d.set("message_key", s.message_key);
        d.set("created_at", s.created_at);
        d.set("successes", str(s.successes));
        d.set("duplicates", str(s.duplicates));
        d.set("superseded", str(s.superseded));
        d.set("failures", str(s.failures));
        mustache::data lines{mustache::data::type::list};
        for (const auto& l : report->lines) {
            mustache::data row;
            row.set("line_no", str(l.line_no));
            row.set("reference", l.reference);
            row.set("source", l.source);
            row.set("seq", str(l.sequence_id));
            row.set("units", str(l.units_received));
            row.set("adjustment", str(l.unsent_orders_adjustment));
            row.set("final_qty", str(l.final_qty));
            row.set("result", l.result);
            row.set("message", l.message);
            lines.push_back(row);
        }
        d.set("lines", lines);
        return page(200, "Import report " + str(id), render("import", d), &session);
    }

    http::Response stock_page(const AdminSession& session, const Params& query) {
        const auto sku = param(query, "sku");
        mustache::data d;
        d.set("sku", sku);
        if (!sku.empty()) {
            mustache::data list{mustache::data::type::list};
            for (const auto& r : stock.stock(sku, std::nullopt)) {
                mustache::data row;
                row.set("sku", r.sku);
                row.set("source", r.source);
                row.set("history", "/stock?sku=" + domain::percent_encode(r.sku) +
                                       "&source=" + domain::percent_encode(r.source));
                row.set("qty", str(r.qty));
                row.set("in_stock", r.is_in_stock ? "yes" : "no");
                row.set("last_seq", str(r.last_seq));
                row.set("updated_at", r.updated_at);
                list.push_back(row);
            }
            mustache::data searched;
            searched.set("rows", list);
            d.set("searched", searched);
        }
        const auto source = param(query, "source");
        if (!sku.empty() && !source.empty()) {
            const auto before = positive(query, "before").value_or(0);
            const auto lines = imports.stock_history(sku, source, before, kPageSize);
            mustache::data list{mustache::data::type::list};
            for (const auto& h : lines) {
                mustache::data row;
                row.set("report_id", str(h.report_id));
                row.set("request_id", str(h.request_id));
                row.set("message_key", h.message_key);
                row.set("created_at", h.created_at);
                row.set("seq", str(h.line.sequence_id));
                row.set("units", str(h.line.units_received));
                row.set("adjustment", str(h.line.unsent_orders_adjustment));
                row.set("final_qty", str(h.line.final_qty));
                row.set("result", h.line.result);
                row.set("message", h.line.message);
                list.push_back(row);
            }
            mustache::data history;
            history.set("source", source);
            history.set("rows", list);
            if (lines.size() == kPageSize)
                history.set("next", next_link("/stock", query, lines.back().report_id));
            d.set("history", history);
        }
        return page(200, "Stock", render("stock", d), &session);
    }

    http::Response audit_page(const AdminSession& session, const Params& query) {
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

    http::Response users_page(const AdminSession& session) {
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

    http::Response config_page(const AdminSession& session) {
        mustache::data d;
        d.set("text", options.configuration_text);
        return page(200, "Configuration", render("config", d), &session);
    }

    // Orders, shipments and export runs: the title, the admin JSON document and, for a grid
    // with a full page, the link to the next keyset page; nullopt when the path names nothing.
    // The pages render the same document the API returns.
    struct Document {
        std::string title;
        std::string json;
        std::string next;  // "" when this is the last page or not a grid
    };

    std::optional<Document> documents(const std::string& path, const Params& query) {
        if (path == "/orders") {
            orders::OrderFilter filter;
            orders::OrderPage page;
            if (const auto status = param(query, "status"); !status.empty()) filter.status = status;
            if (const auto exported = param(query, "export"); !exported.empty())
                page.export_status = exported;
            // The keyset cursor of orders is the last increment_id shown (they sort by created_at).
            if (const auto before = param(query, "before"); !before.empty())
                page.after_order = before;
            filter.limit = kPageSize;
            const auto rows = orders.list(filter, page);
            return Document{"Orders", admin::orders_json(rows),
                            rows.size() == kPageSize
                                ? next_cursor_link("/orders", query, "before",
                                                   domain::percent_encode(rows.back().increment_id))
                                : ""};
        }
        if (path.starts_with("/orders/")) {
            const auto id = std::string(path.substr(8));
            const auto order = orders.get(id);
            if (!order) return std::nullopt;
            return Document{"Order " + id, admin::order_json(*order), ""};
        }
        if (path == "/shipments") {
            const auto order = param(query, "order");
            const auto rows = shipments.list_shipments(
                order.empty() ? std::nullopt : std::optional<std::string>(order), kPageSize,
                positive(query, "before").value_or(0));
            return Document{
                "Shipments", admin::shipments_json(rows),
                rows.size() == kPageSize ? next_link("/shipments", query, rows.back().id) : ""};
        }
        if (path.starts_with("/shipments/"))
            if (const auto id = id_in(path.substr(11)))
                if (const auto shipment = shipments.get_shipment(*id))
                    return Document{"Shipment " + str(*id), admin::shipment_json(*shipment), ""};
        if (path == "/exports") {
            exporting::RunFilter filter;
            const auto entity = param(query, "entity");
            const auto result = param(query, "result");
            if (entity == "product" || entity == "order") filter.entity = entity;
            if (result == "Success" || result == "Duplicate" || result == "Failure")
                filter.result = result;
            filter.limit = kPageSize;
            const auto rows = exports.list_runs(filter, positive(query, "before").value_or(0));
            return Document{
                "Exports", admin::export_runs_json(rows),
                rows.size() == kPageSize ? next_link("/exports", query, rows.back().id) : ""};
        }
        if (path.starts_with("/exports/"))
            if (const auto id = id_in(path.substr(9)))
                if (const auto run = exports.get_run(*id))
                    return Document{"Export " + str(*id), admin::export_run_json(*run), ""};
        return std::nullopt;
    }

    std::optional<std::pair<std::string, mustache::data>> document_page(const std::string& path,
                                                                        const Params& query) {
        const auto document = documents(path, query);
        if (!document) return std::nullopt;
        const Links links{{"increment_id", "/orders/"},
                          {"order_increment_id", "/orders/"},
                          {"order", "/orders/"},
                          {"request_id", "/requests/"},
                          {"sku", "/stock?sku="}};
        Links grid_links = links;
        if (path == "/shipments") grid_links["id"] = "/shipments/";
        if (path == "/exports") grid_links["id"] = "/exports/";
        auto data = document_data(document->json, grid_links);
        if (!document->next.empty()) data.set("next", document->next);
        const auto filter_form = [&](const std::string& action,
                                     std::vector<std::pair<std::string, std::string>> fields) {
            mustache::data list{mustache::data::type::list};
            for (const auto& [name, label] : fields) {
                mustache::data f;
                f.set("name", name);
                f.set("label", label);
                f.set("value", param(query, name));
                list.push_back(f);
            }
            mustache::data form;
            form.set("action", action);
            form.set("fields", list);
            data.set("filters", form);
        };
        if (path == "/orders")
            filter_form("/orders", {{"status", "Status"},
                                    {"export",
                                     "Export status (pending, queued, exported, failed, "
                                     "cancelled)"}});
        if (path.starts_with("/orders/")) {
            mustache::data see;
            see.set("href", "/shipments?order=" + domain::percent_encode(path.substr(8)));
            see.set("text", "Shipments of this order");
            data.set("see_also", see);
        }
        if (path == "/shipments") filter_form("/shipments", {{"order", "Order"}});
        if (path == "/exports")
            filter_form("/exports", {{"entity", "Entity (product, order)"},
                                     {"result", "Having (Success, Duplicate, Failure)"}});
        return std::make_pair(document->title, std::move(data));
    }

    // The same documents as the CLI's --json for the same view (src/admin).
    http::Response api_route(const std::string& path, const Params& query) {
        if (path == "/requests")
            return json_response(200, admin::requests_json(requests.list(
                                          request_filter(query, false), request_page_of(query))));
        if (path == "/dead")
            return json_response(200, admin::requests_json(requests.list(
                                          request_filter(query, true), request_page_of(query))));
        if (path.starts_with("/requests/"))
            if (const auto id = id_in(path.substr(10))) {
                const auto request = requests.get(*id);
                if (!request) return json_error(404, "no request " + str(*id));
                return json_response(200, admin::request_json(*request));
            }
        if (path == "/imports") {
            imports::ImportFilter filter;
            const auto entity = param(query, "entity");
            const auto result = param(query, "result");
            if (!entity.empty()) filter.entity = entity;
            if (std::find(kResults.begin(), kResults.end(), result) != kResults.end())
                filter.result = result;
            else if (!result.empty())
                return json_error(400, "result must be Success, Duplicate, Superseded or Failure");
            filter.limit = kPageSize;
            return json_response(200, admin::imports_json(imports.list_imports(
                                          filter, positive(query, "before").value_or(0))));
        }
        if (path.starts_with("/imports/"))
            if (const auto id = id_in(path.substr(9))) {
                const auto report = imports.get_import(*id);
                if (!report) return json_error(404, "no import report " + str(*id));
                return json_response(200, admin::import_json(*report));
            }
        if (path == "/stock") {
            const auto sku = param(query, "sku");
            if (sku.empty()) return json_error(400, "sku is required");
            const auto source = param(query, "source");
            return json_response(
                200, admin::stock_json(stock.stock(
                         sku, source.empty() ? std::nullopt : std::optional<std::string>(source))));
        }
        if (auto document = documents(path, query)) return json_response(200, document->json);
        return json_error(404, "no such document");
    }
};

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
