// The subcommands of the `ofbridge` binary. Each returns the process exit code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ofbridge/config/config.h"
#include "ofbridge/export/exporter.h"
#include "ofbridge/magento/delivery.h"
#include "ofbridge/worker/worker_pool.h"

namespace ofbridge::app {

// Options every subcommand takes.
struct CommonOptions {
    std::filesystem::path config_file;  // empty = built-in defaults
    std::filesystem::path data_dir;     // empty = from the config
};

// Loads the config named by `options` (or the defaults) and applies --data-dir.
config::Config load(const CommonOptions& options);

// The worker settings of a config (shared by `serve` and `requests reprocess`).
worker::WorkerOptions worker_options(const config::Config& config);

// The export settings of every store whose export is on (mode "push").
exporting::ExporterOptions exporter_options(const config::Config& config);

// The delivery settings of every store with target = "magento2".
magento::DeliveryOptions delivery_options(const config::Config& config);

// `ofbridge magento pull`: one incremental pull now (commands.cpp).
int pull_magento(const CommonOptions& common, const std::optional<std::string>& store,
                 const std::optional<std::string>& since, bool json);

struct ServeOptions {
    std::string listen;  // empty = from the config
};
int serve(const CommonOptions& common, const ServeOptions& options);

struct ListRequestsOptions {
    std::optional<std::string> entity;
    std::optional<std::string> state;
    std::optional<std::string> sku;  // requests whose (applied) import lines carry it
    bool oldest_first = false;
    std::size_t limit = 50;
    bool json = false;
};
int list_requests(const CommonOptions& common, const ListRequestsOptions& options);
int show_request(const CommonOptions& common, std::int64_t id, bool json);
int reprocess_request(const CommonOptions& common, std::int64_t id, bool json);

struct ListImportsOptions {
    std::optional<std::string> entity;
    std::optional<std::string> result;
    std::size_t limit = 50;
    bool json = false;
};
int list_imports(const CommonOptions& common, const ListImportsOptions& options);
int show_import(const CommonOptions& common, std::int64_t id, bool json);

int get_stock(const CommonOptions& common, const std::string& sku,
              const std::optional<std::string>& source, bool json);
int list_stock(const CommonOptions& common, std::size_t limit, bool json);

int import_products(const CommonOptions& common, const std::filesystem::path& file,
                    const std::string& store_code);

int list_shipments(const CommonOptions& common, const std::optional<std::string>& order,
                   std::size_t limit, bool json);
int show_shipment(const CommonOptions& common, std::int64_t id, bool json);

int import_orders(const CommonOptions& common, const std::filesystem::path& file,
                  const std::string& store_code);
int get_order(const CommonOptions& common, const std::string& increment_id, bool json);
int list_orders(const CommonOptions& common, const std::optional<std::string>& status,
                std::size_t limit, bool json);

// Retention on demand (prune.cpp).
struct PruneOptions {
    bool dry_run = false;
    bool json = false;
    bool convert = false;  // turn incremental vacuum on in an older store (VACUUM, broker stopped)
};
int prune(const CommonOptions& common, const PruneOptions& options);

// The console's users (admin_users.cpp).
int admin_user_add(const CommonOptions& common, const std::string& name);
int admin_user_passwd(const CommonOptions& common, const std::string& name);
int admin_user_remove(const CommonOptions& common, const std::string& name);
int admin_user_list(const CommonOptions& common, bool json);

// The effective configuration, one `key = value` line per setting, secrets as "***"
// (config_text.cpp; the console's Configuration page).
std::string configuration_text(const config::Config& config);

// A consistent copy of the running store to `file` (0600; never overwrites). backup.cpp.
int backup(const CommonOptions& common, const std::filesystem::path& file);

struct ListExportsOptions {
    std::optional<std::string> entity;
    std::optional<std::string> result;
    std::size_t limit = 50;
    bool json = false;
};
int list_exports(const CommonOptions& common, const ListExportsOptions& options);
int show_export(const CommonOptions& common, std::int64_t id, bool json);
int run_exports(const CommonOptions& common, const std::optional<std::string>& store, bool json);
int reset_exports(const CommonOptions& common, const std::string& entity,
                  const std::optional<std::string>& status,
                  const std::vector<std::string>& references, bool json);
int list_products(const CommonOptions& common, const std::optional<std::string>& export_status,
                  std::size_t limit, bool json);
int get_product(const CommonOptions& common, const std::string& sku, bool json);
int list_order_exports(const CommonOptions& common, const std::string& export_status,
                       std::size_t limit, bool json);

// `outbox list` / `outbox retry ID`: the magento2 target's deliveries.
int list_outbox(const CommonOptions& common, const std::optional<std::string>& state,
                std::size_t limit, bool json);
int retry_outbox(const CommonOptions& common, std::int64_t id, bool json);

// `check [--store CODE]`: the magento2 stores' connection, one line per check; 1 on a failure.
int check_magento(const CommonOptions& common, const std::optional<std::string>& store);

}  // namespace ofbridge::app
