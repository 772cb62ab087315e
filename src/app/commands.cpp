#include "commands.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <iostream>

#include "ofbridge/admin/export_views.h"
#include "ofbridge/admin/import_views.h"
#include "ofbridge/admin/order_views.h"
#include "ofbridge/admin/outbox_views.h"
#include "ofbridge/admin/request_views.h"
#include "ofbridge/catalog/product_import.h"
#include "ofbridge/export/export_reader.h"
#include "ofbridge/export/export_repository.h"
#include "ofbridge/imports/import_reader.h"
#include "ofbridge/inventory/stock_reader.h"
#include "ofbridge/magento/check.h"
#include "ofbridge/magento/pull.h"
#include "ofbridge/orders/order_store.h"
#include "ofbridge/orders/shipment_reader.h"
#include "ofbridge/outbox/outbox.h"
#include "ofbridge/queue/request_reader.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/transaction.h"
#include "ofbridge/storage/time_format.h"
#include "ofbridge/worker/unsent_orders.h"

namespace ofbridge::app {

std::string read_file(const std::filesystem::path& file);

config::Config load(const CommonOptions& options) {
    auto config = options.config_file.empty() ? config::default_config()
                                              : config::load_config_file(options.config_file);
    if (!options.data_dir.empty()) config.server.data_dir = options.data_dir;
    return config;
}

worker::WorkerOptions worker_options(const config::Config& config) {
    worker::WorkerOptions options;
    options.database = config.database_path();
    options.workers = config.worker.workers;
    options.batch_size = config.worker.batch_size;
    options.slice_lines = config.storage.slice_rows;
    options.slice_time = config.storage.batch_budget;
    options.lease = config.worker.lease;
    options.max_attempts = config.worker.max_attempts;
    options.retry_base = config.worker.retry_base;
    options.retry_max = config.worker.retry_max;
    options.gather = config.worker.gather;
    options.inventory.allow_negative = config.inventory.allow_negative;
    options.inventory.reject_unknown_skus = config.inventory.reject_unknown_skus;
    options.inventory.unsent_orders_source = config.inventory.unsent_orders_source;
    if (config.inventory.adjust_inventory == "unsent_orders")
        options.inventory.unsent_order_units = worker::unsent_orders_adjustment(
            std::chrono::days{config.inventory.unsent_order_cutoff_days},
            config.inventory.unsent_order_statuses);
    options.configurable_rule = config.shipments.configurable_item == "child"
                                    ? domain::ConfigurableRule::child
                                    : domain::ConfigurableRule::parent;
    options.instance_id = worker::local_instance_id();
    options.claim_holder_gone = worker::local_holder_gone;  // start-up recovery (worker_pool.h)
    for (const auto& [code, store] : config.stores)
        if (store.target == "magento2") options.magento2_stores.push_back(code);
    return options;
}

magento::DeliveryOptions delivery_options(const config::Config& config) {
    magento::DeliveryOptions options;
    options.database = config.database_path();
    for (const auto& [code, store] : config.stores) {
        if (store.target != "magento2") continue;
        const auto& m = store.magento;
        magento::StoreTarget target;
        target.store_code = code;
        target.client.base_url = m.base_url;
        target.client.store_code = m.store_code;
        target.client.token = m.token;
        target.client.username = m.username;
        target.client.password = m.password;
        if (m.oauth())
            target.client.oauth =
                magento::OAuthCredentials{m.oauth_consumer_key, m.oauth_consumer_secret,
                                          m.oauth_access_token, m.oauth_access_token_secret};
        target.client.timeout = m.timeout;
        target.client.tls_ca_file = m.tls_ca_file;
        target.client.concurrency = m.concurrency;
        target.stock_api = m.stock_api;
        target.source_items_chunk = m.source_items_chunk;
        target.source_map = m.source_map;
        target.retry_base = m.retry_base;
        target.retry_max = m.retry_max;
        target.pull_interval = m.pull_interval;
        target.pull_page_size = m.pull_page_size;
        options.stores.push_back(std::move(target));
    }
    return options;
}

exporting::ExporterOptions exporter_options(const config::Config& config) {
    exporting::ExporterOptions options;
    options.database = config.database_path();
    for (const auto& [code, store] : config.stores) {
        const auto& e = store.export_;
        if (e.mode != "push" && e.mode != "notify") continue;
        exporting::StoreExport s;
        s.store_code = code;
        s.endpoint = e.endpoint;
        s.username = e.username;
        s.password = e.password;
        s.channel = e.channel;
        s.organisation = e.organisation;
        s.products = e.products;
        s.orders = e.orders;
        s.batch_size = e.batch_size;
        s.interval = e.interval;
        s.timeout = e.timeout;
        s.max_attempts = e.max_attempts;
        s.retry_base = e.retry_base;
        s.retry_max = e.retry_max;
        s.eligible.statuses = e.exportable_statuses;
        s.eligible.min_created_at = e.min_order_datetime;
        s.tls_ca_file = e.tls_ca_file;
        s.mode = e.mode;
        s.concurrency = e.concurrency;
        s.queued_timeout = e.queued_timeout;
        options.stores.push_back(std::move(s));
    }
    return options;
}

int list_requests(const CommonOptions& common, const ListRequestsOptions& options) {
    const auto config = load(common);
    queue::RequestReader reader(config.database_path());
    queue::RequestPage page;  // the console's filters, so both list the same requests
    page.sku = options.sku;
    page.oldest_first = options.oldest_first;
    auto rows = reader.list({options.entity, options.state, options.limit}, page);
    std::cout << (options.json ? admin::requests_json(rows) : admin::requests_table(rows));
    return 0;
}

int show_request(const CommonOptions& common, std::int64_t id, bool json) {
    const auto config = load(common);
    queue::RequestReader reader(config.database_path());
    auto request = reader.get(id);
    if (!request) {
        std::cerr << "ofbridge: no request " << id << "\n";
        return 3;
    }
    std::cout << (json ? admin::request_json(*request) : admin::request_text(*request));
    return 0;
}

int reprocess_request(const CommonOptions& common, std::int64_t id, bool json) {
    const auto config = load(common);
    auto result = worker::reprocess_request(worker_options(config), id);
    imports::ImportReader reader(config.database_path());
    auto report = reader.get_import(result.report_id);
    if (json) {
        boost::json::object out{{"request_id", result.request_id},
                                {"report_id", result.report_id},
                                {"state", result.state}};
        if (report) out["report"] = boost::json::parse(admin::import_json(*report));
        std::cout << boost::json::serialize(out) << "\n";
    } else {
        std::cout << "request " << result.request_id << " reprocessed: state " << result.state
                  << ", import report " << result.report_id << "\n";
        if (report) std::cout << admin::import_text(*report);
    }
    return 0;
}

int list_imports(const CommonOptions& common, const ListImportsOptions& options) {
    const auto config = load(common);
    imports::ImportReader reader(config.database_path());
    auto rows = reader.list_imports({options.entity, options.result, options.limit});
    std::cout << (options.json ? admin::imports_json(rows) : admin::imports_table(rows));
    return 0;
}

int show_import(const CommonOptions& common, std::int64_t id, bool json) {
    const auto config = load(common);
    imports::ImportReader reader(config.database_path());
    auto report = reader.get_import(id);
    if (!report) {
        std::cerr << "ofbridge: no import report " << id << "\n";
        return 3;
    }
    if (std::any_of(config.stores.begin(), config.stores.end(),
                    [](const auto& s) { return s.second.target == "magento2"; })) {
        auto db = storage::open_read_only(config.database_path(), 8, "Magento outbox",
                                          "start the broker once");
        const auto delivery = outbox::delivery_of_report(db, id);
        for (auto& line : report->lines)
            if (const auto found = delivery.find(line.line_no); found != delivery.end()) {
                line.delivery = found->second.state;
                line.delivery_message = found->second.message;
            }
    }
    std::cout << (json ? admin::import_json(*report) : admin::import_text(*report));
    return 0;
}

int get_stock(const CommonOptions& common, const std::string& sku,
              const std::optional<std::string>& source, bool json) {
    const auto config = load(common);
    inventory::StockReader reader(config.database_path());
    auto rows = reader.stock(sku, source);
    if (rows.empty()) {
        std::cerr << "ofbridge: no stock level for SKU '" << sku << "'"
                  << (source ? " at source '" + *source + "'" : std::string{}) << "\n";
        return 3;
    }
    std::cout << (json ? admin::stock_json(rows) : admin::stock_table(rows));
    return 0;
}

int list_stock(const CommonOptions& common, std::size_t limit, bool json) {
    const auto config = load(common);
    inventory::StockReader reader(config.database_path());
    auto rows = reader.stock_list(limit);
    std::cout << (json ? admin::stock_json(rows) : admin::stock_table(rows));
    return 0;
}

// FILE holds one product or Magento's product list shape {"items": [...]}
// (catalog/product_import.h).
int import_products(const CommonOptions& common, const std::filesystem::path& file,
                    const std::string& store_code) {
    const auto config = load(common);
    if (!config.stores.contains(store_code))
        throw std::runtime_error("unknown store '" + store_code + "' (no [stores." + store_code +
                                 "])");
    try {
        auto products = catalog::parse_products_json(read_file(file), store_code);
        auto summary = catalog::import_products(config.database_path(), products);
        std::cout << "imported " << products.size() << " products: " << summary.created
                  << " created, " << summary.changed << " changed, " << summary.unchanged
                  << " unchanged\n";
        return 0;
    } catch (const catalog::ProductImportError& e) {
        std::cerr << "ofbridge: " << file.string() << ": " << e.what() << " (nothing imported)\n";
        return 4;
    }
}

int list_shipments(const CommonOptions& common, const std::optional<std::string>& order,
                   std::size_t limit, bool json) {
    const auto config = load(common);
    orders::ShipmentReader reader(config.database_path());
    auto rows = reader.list_shipments(order, limit);
    std::cout << (json ? admin::shipments_json(rows) : admin::shipments_table(rows));
    return 0;
}

int show_shipment(const CommonOptions& common, std::int64_t id, bool json) {
    const auto config = load(common);
    orders::ShipmentReader reader(config.database_path());
    auto shipment = reader.get_shipment(id);
    if (!shipment) {
        std::cerr << "ofbridge: no shipment " << id << "\n";
        return 3;
    }
    std::cout << (json ? admin::shipment_json(*shipment) : admin::shipment_text(*shipment));
    return 0;
}

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int import_orders(const CommonOptions& common, const std::filesystem::path& file,
                  const std::string& store_code) {
    const auto config = load(common);
    if (!config.stores.contains(store_code))
        throw std::runtime_error("unknown store '" + store_code + "' (no [stores." + store_code +
                                 "])");
    try {
        auto parsed = orders::parse_orders_json(read_file(file), store_code);
        auto summary = orders::import_orders(config.database_path(), parsed);
        std::cout << "imported " << parsed.size() << " orders: " << summary.created << " created, "
                  << summary.updated << " updated\n";
        return 0;
    } catch (const orders::OrderImportError& e) {
        std::cerr << "ofbridge: " << file.string() << ": " << e.what() << " (nothing imported)\n";
        return 4;
    }
}

int get_order(const CommonOptions& common, const std::string& increment_id, bool json) {
    const auto config = load(common);
    orders::OrderReader reader(config.database_path());
    auto order = reader.get(increment_id);
    if (!order) {
        std::cerr << "ofbridge: no order " << increment_id << "\n";
        return 3;
    }
    std::cout << (json ? admin::order_json(*order) : admin::order_text(*order));
    return 0;
}

int list_orders(const CommonOptions& common, const std::optional<std::string>& status,
                std::size_t limit, bool json) {
    const auto config = load(common);
    orders::OrderReader reader(config.database_path());
    auto rows = reader.list({status, limit});
    std::cout << (json ? admin::orders_json(rows) : admin::orders_table(rows));
    return 0;
}

int list_exports(const CommonOptions& common, const ListExportsOptions& options) {
    const auto config = load(common);
    exporting::ExportReader reader(config.database_path());
    auto runs = reader.list_runs({options.entity, options.result, options.limit});
    std::cout << (options.json ? admin::export_runs_json(runs) : admin::export_runs_table(runs));
    return 0;
}

int show_export(const CommonOptions& common, std::int64_t id, bool json) {
    const auto config = load(common);
    exporting::ExportReader reader(config.database_path());
    auto run = reader.get_run(id);
    if (!run) {
        std::cerr << "ofbridge: no export " << id << "\n";
        return 3;
    }
    std::cout << (json ? admin::export_run_json(*run) : admin::export_run_text(*run));
    return 0;
}

// One round now: standalone, or beside a running broker (its own connection takes turns on
// SQLite's write lock; an entity both send at once is sent twice, which the WMS answers as a
// duplicate). Progress lines go to stderr, the summary to stdout.
int run_exports(const CommonOptions& common, const std::optional<std::string>& store, bool json) {
    const auto config = load(common);
    auto options = exporter_options(config);
    if (store) {
        if (!config.stores.contains(*store))
            throw std::runtime_error("unknown store '" + *store + "' (no [stores." + *store + "])");
        std::erase_if(options.stores, [&](const auto& s) { return s.store_code != *store; });
    }
    if (options.stores.empty()) {
        std::cerr << "ofbridge: export is off (no store with [stores.<code>.export] mode = "
                     "\"push\" or \"notify\""
                  << (store ? " for store " + *store : std::string{}) << ")\n";
        return 2;
    }
    options.progress = [](std::string_view line) { std::cerr << line << std::endl; };
    // The exporter's warnings (a failed exchange) go to stderr beside the progress lines.
    spdlog::set_default_logger(spdlog::stderr_logger_st("ofbridge"));
    exporting::Exporter exporter(options);
    const auto s = exporter.run_round();
    if (json) {
        boost::json::object out{
            {"exchanges", s.exchanges},     {"sent", s.sent},           {"exported", s.exported},
            {"queued", s.queued},           {"retried", s.retried},     {"failed", s.failed},
            {"changed_in_flight", s.stale}, {"cancelled", s.cancelled}, {"errors", s.errors}};
        std::cout << boost::json::serialize(out) << "\n";
    } else {
        std::cout << "export round: " << s.exchanges << " exchanges, " << s.sent << " sent, "
                  << s.exported << " exported, " << s.queued << " queued, " << s.retried
                  << " to retry, " << s.failed << " failed, " << s.stale << " changed in flight, "
                  << s.cancelled << " cancelled, " << s.errors << " failed exchanges\n";
    }
    return s.errors == 0 ? 0 : 5;
}

int reset_exports(const CommonOptions& common, const std::string& entity,
                  const std::optional<std::string>& status,
                  const std::vector<std::string>& references, bool json) {
    const auto config = load(common);
    auto db = storage::open_writable(config.database_path(), 0, std::chrono::seconds(10));
    db.exec("PRAGMA synchronous=FULL");
    storage::sqlite::migrate(db, storage::embedded_migrations());
    storage::sqlite::Transaction transaction(db);
    exporting::ExportRepository repository(db);
    const auto changed =
        repository.reset(entity, status, references, std::chrono::system_clock::now());
    transaction.commit();
    if (json)
        std::cout << boost::json::serialize(boost::json::object{{"reset", changed}}) << "\n";
    else
        std::cout << changed << " " << entity << (changed == 1 ? "" : "s") << " back to pending\n";
    return 0;
}

int list_outbox(const CommonOptions& common, const std::optional<std::string>& state,
                std::size_t limit, bool json) {
    const auto config = load(common);
    if (state && *state != "waiting" && *state != "delivered" && *state != "failed")
        throw std::runtime_error("--state is waiting, delivered or failed");
    auto db = storage::open_read_only(config.database_path(), 8, "Magento outbox",
                                      "start the broker once");
    const auto rows = outbox::list_outbox(db, state.value_or(""), limit);
    std::cout << (json ? admin::outbox_json(rows) : admin::outbox_table(rows));
    return 0;
}

int retry_outbox(const CommonOptions& common, std::int64_t id, bool json) {
    const auto config = load(common);
    auto db = storage::open_writable(config.database_path(), 0, std::chrono::seconds(10));
    db.exec("PRAGMA synchronous=FULL");
    storage::sqlite::migrate(db, storage::embedded_migrations());
    storage::sqlite::Transaction transaction(db);
    outbox::OutboxRepository repository(db);
    const bool changed =
        repository.retry(id, storage::format_utc_millis(std::chrono::system_clock::now()));
    transaction.commit();
    if (!changed) {
        std::cerr << "ofbridge: no outbox row " << id << " to retry (unknown or delivered)\n";
        return 3;
    }
    if (json)
        std::cout << boost::json::serialize(boost::json::object{{"retry", id}}) << "\n";
    else
        std::cout << "outbox " << id << " is waiting: it goes out at the next delivery round\n";
    return 0;
}

int check_magento(const CommonOptions& common, const std::optional<std::string>& store) {
    const auto config = load(common);
    auto options = delivery_options(config);
    if (store) {
        if (!config.stores.contains(*store))
            throw std::runtime_error("unknown store '" + *store + "' (no [stores." + *store + "])");
        std::erase_if(options.stores, [&](const auto& s) { return s.store_code != *store; });
    }
    if (options.stores.empty()) {
        std::cerr << "ofbridge: no store with target = \"magento2\""
                  << (store ? " named " + *store : std::string{}) << "\n";
        return 2;
    }
    spdlog::set_level(spdlog::level::warn);
    bool all_ok = true;
    for (const auto& target : options.stores) {
        for (const auto& result : magento::check_store(target)) {
            std::cout << (result.ok ? "ok    " : "FAIL  ") << target.store_code << "  "
                      << result.name << ": " << result.detail << std::endl;
            all_ok = all_ok && result.ok;
        }
    }
    return all_ok ? 0 : 1;
}

// One pull now: standalone, or beside a running broker (its own connection takes turns on
// SQLite's write lock; a document both pull is written once, the second finds it unchanged).
// Progress lines go to stderr, the summary to stdout. Exit 0 when every window was committed,
// 5 when one stopped (Magento's or the store's error is in the summary; its watermark is kept).
int pull_magento(const CommonOptions& common, const std::optional<std::string>& store,
                 const std::optional<std::string>& since, bool json) {
    const auto config = load(common);
    auto delivery = delivery_options(config);
    if (store) {
        if (!config.stores.contains(*store))
            throw std::runtime_error("unknown store '" + *store + "' (no [stores." + *store + "])");
        std::erase_if(delivery.stores, [&](const auto& s) { return s.store_code != *store; });
    }
    if (delivery.stores.empty()) {
        std::cerr << "ofbridge: no store with target = \"magento2\""
                  << (store ? " named " + *store : std::string{}) << "\n";
        return 2;
    }
    std::optional<std::string> from;
    if (since) {
        const auto at = magento::parse_magento_time(*since);
        if (!at)
            throw std::runtime_error(
                "--since: expected \"YYYY-MM-DD HH:MM:SS\" (UTC) or "
                "\"YYYY-MM-DD\", got '" +
                *since + "'");
        from = magento::magento_time(*at);
    }
    spdlog::set_default_logger(spdlog::stderr_logger_st("ofbridge"));
    spdlog::set_level(spdlog::level::warn);
    magento::PullOptions options{config.database_path(), nullptr, delivery.stores,
                                 [](std::string_view line) { std::cerr << line << std::endl; }};
    magento::Puller puller(options);
    const auto summaries = puller.run_once(from);
    bool ok = true;
    boost::json::array stores;
    for (const auto& s : summaries) {
        ok = ok && s.ok();
        auto part = [](const magento::EntityPull& e) {
            return boost::json::object{{"pages", e.pages},     {"new", e.created},
                                       {"changed", e.changed}, {"unchanged", e.unchanged},
                                       {"refused", e.refused}, {"from", e.from},
                                       {"to", e.to},           {"committed", e.committed},
                                       {"error", e.error}};
        };
        if (json) {
            stores.push_back({{"store", s.store_code},
                              {"products", part(s.products)},
                              {"orders", part(s.orders)}});
            continue;
        }
        for (const auto* e : {&s.products, &s.orders}) {
            std::cout << "magento pull " << s.store_code << " "
                      << (e == &s.orders ? "orders" : "products") << ": " << e->pages << " pages, "
                      << e->created << " new, " << e->changed << " changed, " << e->unchanged
                      << " unchanged, " << e->refused << " refused; ";
            if (e->committed)
                std::cout << "watermark " << e->to << "\n";
            else
                std::cout << "stopped (watermark kept): " << e->error << "\n";
        }
    }
    if (json) std::cout << boost::json::serialize(boost::json::object{{"stores", stores}}) << "\n";
    return ok ? 0 : 5;
}

int list_products(const CommonOptions& common, const std::optional<std::string>& export_status,
                  std::size_t limit, bool json) {
    const auto config = load(common);
    exporting::ExportReader reader(config.database_path());
    auto rows = reader.products(export_status, limit);
    std::cout << (json ? admin::products_json(rows) : admin::products_table(rows));
    return 0;
}

int get_product(const CommonOptions& common, const std::string& sku, bool json) {
    const auto config = load(common);
    exporting::ExportReader reader(config.database_path());
    auto product = reader.product(sku);
    if (!product) {
        std::cerr << "ofbridge: no product " << sku << "\n";
        return 3;
    }
    std::cout << (json ? admin::product_json(*product) : admin::product_text(*product));
    return 0;
}

int list_order_exports(const CommonOptions& common, const std::string& export_status,
                       std::size_t limit, bool json) {
    const auto config = load(common);
    exporting::ExportReader reader(config.database_path());
    auto rows = reader.list_items({"order", export_status, limit});
    std::cout << (json ? admin::export_items_json(rows) : admin::export_items_table(rows));
    return 0;
}

}  // namespace ofbridge::app
