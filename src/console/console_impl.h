// The console's private parts, shared by its files: Console::Impl (the readers, the writer's
// jobs, the session checks) and the helpers every page renders with. One file per page or
// concern: console.cpp (routing, checks, responses), login.cpp, probes.cpp (/readyz, /metrics),
// dashboard.cpp, request_pages.cpp (requests, dead letters, reprocess), import_pages.cpp
// (import reports, stock), document_pages.cpp (orders, shipments, exports), admin_pages.cpp
// (audit log, users, configuration), api.cpp (/admin/api).
#pragma once

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

namespace mustache = kainjow::mustache;
using Clock = std::chrono::system_clock;

inline constexpr std::string_view kCookie = "ofbridge_session";
inline constexpr std::size_t kPageSize = 50;
inline constexpr std::size_t kMaxFormBytes = 64 * 1024;
inline const std::vector<std::string> kEntities{"inventory", "shipment", "product_export",
                                                "order_export"};
inline const std::vector<std::string> kStates{"pending", "processing", "done", "failed", "dead"};
inline const std::vector<std::string> kResults{"Success", "Duplicate", "Superseded", "Failure"};

// Every reply: nothing inline may run, nothing may frame the console, no sniffing, no caching
// of pages that show customer data.
void add_security_headers(http::Response& response);
http::Response redirect(std::string location);
http::Response json_response(unsigned status, std::string body);
http::Response json_error(unsigned status, const std::string& message);
std::string header(const http::Request& request, std::string_view name);
std::string render(std::string_view template_name, const mustache::data& data);
mustache::data options_list(const std::vector<std::string>& values, const std::string& selected);
std::string str(std::int64_t v);
std::string str(const std::optional<std::int64_t>& v);

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
    const std::string& dummy();

    Clock::time_point now() const;

    // Runs `task` on the one writer and waits for it to be durable; throws on failure.
    void write(std::function<void(AdminRepository&)> task);

    void audit(const std::string& user, std::string action, std::string target, std::string outcome,
               const std::string& remote);

    // Ready: the store answers a read and the writer commits (and syncs) a job that writes
    // nothing, both within 2 s.
    http::Response readiness();

    http::Response metrics();

    // ---- responses ------------------------------------------------------------------------
    http::Response page(unsigned status, const std::string& title, const std::string& content,
                        const AdminSession* session, const std::string& notice = "",
                        const std::string& error = "");

    http::Response message_page(unsigned status, const std::string& title,
                                const std::string& message, const AdminSession* session);

    http::Response login_page(unsigned status, const std::string& name, const std::string& error);

    // ---- checks ---------------------------------------------------------------------------
    std::optional<AdminSession> session_of(const http::Request& request);

    // A state-changing request must come from a page of this console: its Origin (or, when a
    // browser sends none, its Referer) names this console's scheme and host.
    bool same_origin(const http::Request& request) const;

    std::string cookie(const std::string& value, std::optional<std::int64_t> max_age) const;

    // ---- routes ---------------------------------------------------------------------------
    http::Response route(const http::Request& request);

    static std::optional<std::int64_t> id_in(std::string_view text);

    http::Response asset(const std::string& name);

    http::Response login(const http::Request& request);

    http::Response logout(const http::Request& request, const AdminSession& session);

    // Through the app's callback: the same claim and apply path as `requests reprocess`.
    std::string reprocess(const http::Request& request, const AdminSession& session,
                          std::int64_t id, bool& ok);

    http::Response reprocess_one(const http::Request& request, const AdminSession& session,
                                 std::int64_t id);

    http::Response reprocess_many(const http::Request& request, const AdminSession& session,
                                  const Params& form);

    // ---- pages ----------------------------------------------------------------------------
    http::Response dashboard(const AdminSession& session);

    static queue::RequestPage request_page_of(const Params& query);

    static queue::RequestFilter request_filter(const Params& query, bool dead);

    // The next keyset page: the same query with the cursor (`before`, or `after` when the grid
    // runs oldest first) set to the last id shown.
    static std::string next_link(const std::string& base, const Params& query, std::int64_t last_id,
                                 std::string_view cursor = "before");
    static std::string next_cursor_link(const std::string& base, const Params& query,
                                        std::string_view cursor, const std::string& encoded);

    http::Response requests_page(const AdminSession& session, const Params& query, bool dead);

    http::Response request_page(const AdminSession& session, std::int64_t id, const Params& query);

    http::Response imports_page(const AdminSession& session, const Params& query);

    http::Response import_page(const AdminSession& session, std::int64_t id);

    http::Response stock_page(const AdminSession& session, const Params& query);

    http::Response audit_page(const AdminSession& session, const Params& query);

    http::Response users_page(const AdminSession& session);

    http::Response config_page(const AdminSession& session);

    // Orders, shipments and export runs: the title, the admin JSON document and, for a grid
    // with a full page, the link to the next keyset page; nullopt when the path names nothing.
    // The pages render the same document the API returns.
    struct Document {
        std::string title;
        std::string json;
        std::string next;  // "" when this is the last page or not a grid
    };

    std::optional<Document> documents(const std::string& path, const Params& query);

    std::optional<std::pair<std::string, mustache::data>> document_page(const std::string& path,
                                                                        const Params& query);

    // The same documents as the CLI's --json for the same view (src/admin).
    http::Response api_route(const std::string& path, const Params& query);
};

}  // namespace ofbridge::console
