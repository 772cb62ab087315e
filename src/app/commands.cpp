#include "commands.h"

#include <boost/json.hpp>
#include <fstream>
#include <iostream>

#include "ofbridge/admin/import_views.h"
#include "ofbridge/admin/order_views.h"
#include "ofbridge/admin/request_views.h"
#include "ofbridge/catalog/product_import.h"
#include "ofbridge/imports/import_reader.h"
#include "ofbridge/inventory/stock_reader.h"
#include "ofbridge/orders/order_store.h"
#include "ofbridge/orders/shipment_reader.h"
#include "ofbridge/queue/request_reader.h"
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
    options.lease = config.worker.lease;
    options.max_attempts = config.worker.max_attempts;
    options.retry_base = config.worker.retry_base;
    options.retry_max = config.worker.retry_max;
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
    return options;
}

int list_requests(const CommonOptions& common, const ListRequestsOptions& options) {
    const auto config = load(common);
    queue::RequestReader reader(config.database_path());
    auto rows = reader.list({options.entity, options.state, options.limit});
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

}  // namespace ofbridge::app
