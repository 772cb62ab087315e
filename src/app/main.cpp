// Entry point: parses the command line (CLI11) and runs one subcommand. The command-line
// interface is relied upon by operators' scripts: add options, never rename them.
#include <CLI/CLI.hpp>
#include <iostream>

#include "build_info.h"
#include "commands.h"

int main(int argc, char** argv) {
    using namespace ofbridge::app;
    CLI::App app{"ofbridge: OrderFlow WMS <-> Magento message broker"};
    app.require_subcommand(1);
    app.set_version_flag(
        "--version",
        std::string("ofbridge ") + OFBRIDGE_VERSION + " (git " + build_revision() + ")",
        "Print the version and the git revision of the build, then exit");
    CommonOptions common;
    auto add_common = [&](CLI::App* command) {
        command
            ->add_option("--config", common.config_file,
                         "TOML config file (default: built-in defaults)")
            ->check(CLI::ExistingFile);
        command->add_option("--data-dir", common.data_dir,
                            "Directory of the durable store (overrides server.data_dir)");
    };

    int exit_code = 0;
    ServeOptions serve_options;
    auto* serve_command = app.add_subcommand("serve", "Run the broker");
    add_common(serve_command);
    serve_command->add_option("--listen", serve_options.listen,
                              "HOST:PORT to listen on (port 0 = any free port)");
    serve_command->callback([&] { exit_code = serve(common, serve_options); });

    auto* requests = app.add_subcommand("requests", "Inspect stored requests");
    requests->require_subcommand(1);
    ListRequestsOptions list_options;
    auto* list = requests->add_subcommand("list", "List requests, newest first");
    add_common(list);
    list->add_option("--entity", list_options.entity,
                     "inventory, shipment, product_export or order_export")
        ->check(CLI::IsMember({"inventory", "shipment", "product_export", "order_export"}));
    list->add_option("--state", list_options.state, "pending, processing, done, failed or dead")
        ->check(CLI::IsMember({"pending", "processing", "done", "failed", "dead"}));
    list->add_option("--sku", list_options.sku,
                     "Only requests whose import lines carry this SKU (applied requests)");
    list->add_flag("--oldest-first", list_options.oldest_first, "Oldest first");
    list->add_option("--limit", list_options.limit, "At most this many rows (0 = all)")
        ->check(CLI::NonNegativeNumber);
    list->add_flag("--json", list_options.json, "One JSON document on stdout");
    list->callback([&] { exit_code = list_requests(common, list_options); });

    std::int64_t show_id = 0;
    bool show_json = false;
    auto* show = requests->add_subcommand("show", "Show one request: metadata, lines, raw body");
    add_common(show);
    show->add_option("ID", show_id, "Request id")->required()->check(CLI::PositiveNumber);
    show->add_flag("--json", show_json, "One JSON document on stdout");
    show->callback([&] { exit_code = show_request(common, show_id, show_json); });

    std::int64_t reprocess_id = 0;
    bool reprocess_json = false;
    auto* reprocess = requests->add_subcommand(
        "reprocess", "Apply one request again now, through the workers' claim path");
    add_common(reprocess);
    reprocess->add_option("ID", reprocess_id, "Request id")->required()->check(CLI::PositiveNumber);
    reprocess->add_flag("--json", reprocess_json, "One JSON document on stdout");
    reprocess->callback(
        [&] { exit_code = reprocess_request(common, reprocess_id, reprocess_json); });

    auto* imports = app.add_subcommand("imports", "Inspect import reports");
    imports->require_subcommand(1);
    ListImportsOptions imports_options;
    auto* imports_list = imports->add_subcommand("list", "List import reports, newest first");
    add_common(imports_list);
    imports_list->add_option("--entity", imports_options.entity, "inventory or shipment")
        ->check(CLI::IsMember({"inventory", "shipment"}));
    imports_list
        ->add_option("--result", imports_options.result, "Only reports with a line of this result")
        ->check(CLI::IsMember({"Success", "Duplicate", "Superseded", "Failure"}));
    imports_list->add_option("--limit", imports_options.limit, "At most this many rows (0 = all)")
        ->check(CLI::NonNegativeNumber);
    imports_list->add_flag("--json", imports_options.json, "One JSON document on stdout");
    imports_list->callback([&] { exit_code = list_imports(common, imports_options); });

    std::int64_t import_id = 0;
    bool import_json = false;
    auto* imports_show = imports->add_subcommand("show", "Show one import report with its lines");
    add_common(imports_show);
    imports_show->add_option("ID", import_id, "Import report id")
        ->required()
        ->check(CLI::PositiveNumber);
    imports_show->add_flag("--json", import_json, "One JSON document on stdout");
    imports_show->callback([&] { exit_code = show_import(common, import_id, import_json); });

    auto* stock = app.add_subcommand("stock", "Inspect stock levels of the local target");
    stock->require_subcommand(1);
    std::string stock_sku;
    std::optional<std::string> stock_source;
    bool stock_json = false;
    auto* stock_get = stock->add_subcommand("get", "Stock of one SKU (every source, or one)");
    add_common(stock_get);
    stock_get->add_option("SKU", stock_sku, "SKU")->required();
    stock_get->add_option("--source", stock_source, "Source code");
    stock_get->add_flag("--json", stock_json, "One JSON document on stdout");
    stock_get->callback(
        [&] { exit_code = get_stock(common, stock_sku, stock_source, stock_json); });
    std::size_t stock_limit = 0;
    auto* stock_list = stock->add_subcommand("list", "All stock levels by SKU and source");
    add_common(stock_list);
    stock_list->add_option("--limit", stock_limit, "At most this many rows (0 = all)")
        ->check(CLI::NonNegativeNumber);
    stock_list->add_flag("--json", stock_json, "One JSON document on stdout");
    stock_list->callback([&] { exit_code = list_stock(common, stock_limit, stock_json); });

    std::optional<std::string> check_store;
    auto* check = app.add_subcommand(
        "check", "Test the connection of the magento2 stores (auth, permissions, MSI, sources)");
    add_common(check);
    check->add_option("--store", check_store, "Only this store");
    check->callback([&] { exit_code = check_magento(common, check_store); });

    auto* magento_cmd = app.add_subcommand("magento", "The magento2 target: pull from Magento");
    magento_cmd->require_subcommand(1);
    std::optional<std::string> pull_store, pull_since;
    bool pull_json = false;
    auto* magento_pull = magento_cmd->add_subcommand(
        "pull", "Pull Magento's changed orders and products now (standalone or beside a broker)");
    add_common(magento_pull);
    magento_pull->add_option("--store", pull_store, "Only this store");
    magento_pull->add_option("--since", pull_since,
                             "Start the window here (UTC \"YYYY-MM-DD HH:MM:SS\") instead of "
                             "the saved watermark");
    magento_pull->add_flag("--json", pull_json, "One JSON document on stdout");
    magento_pull->callback(
        [&] { exit_code = pull_magento(common, pull_store, pull_since, pull_json); });

    auto* outbox = app.add_subcommand("outbox", "The magento2 target's deliveries to Magento");
    outbox->require_subcommand(1);
    std::optional<std::string> outbox_state;
    std::size_t outbox_limit = 50;
    bool outbox_json = false;
    auto* outbox_list =
        outbox->add_subcommand("list", "List stock and shipment deliveries, newest first");
    add_common(outbox_list);
    outbox_list->add_option("--state", outbox_state, "waiting, delivered or failed")
        ->check(CLI::IsMember({"waiting", "delivered", "failed"}));
    outbox_list->add_option("--limit", outbox_limit, "At most this many rows (0 = all)")
        ->check(CLI::NonNegativeNumber);
    outbox_list->add_flag("--json", outbox_json, "One JSON document on stdout");
    outbox_list->callback(
        [&] { exit_code = list_outbox(common, outbox_state, outbox_limit, outbox_json); });
    std::int64_t outbox_id = 0;
    auto* outbox_retry = outbox->add_subcommand(
        "retry", "Send a failed (or backed-off) delivery again at the next round");
    add_common(outbox_retry);
    outbox_retry->add_option("ID", outbox_id, "Outbox id (outbox list)")->required();
    outbox_retry->add_flag("--json", outbox_json, "One JSON document on stdout");
    outbox_retry->callback([&] { exit_code = retry_outbox(common, outbox_id, outbox_json); });

    auto* products = app.add_subcommand("products", "Manage the local catalog");
    products->require_subcommand(1);
    std::filesystem::path products_file;
    auto* products_import = products->add_subcommand(
        "import", "Add or update products from a JSON file (one product or {\"items\": [...]})");
    add_common(products_import);
    products_import->add_option("FILE", products_file, "JSON file")
        ->required()
        ->check(CLI::ExistingFile);
    std::string products_store = "default";
    products_import->add_option("--store", products_store, "Store code the products belong to");
    products_import->callback(
        [&] { exit_code = import_products(common, products_file, products_store); });
    std::optional<std::string> products_export_status;
    std::size_t products_limit = 50;
    bool products_json = false;
    auto* products_list =
        products->add_subcommand("list", "List products by SKU, with export state");
    add_common(products_list);
    products_list->add_option("--export-status", products_export_status, "Only this export status")
        ->check(CLI::IsMember({"pending", "queued", "exported", "failed", "cancelled"}));
    products_list->add_option("--limit", products_limit, "At most this many rows (0 = all)")
        ->check(CLI::NonNegativeNumber);
    products_list->add_flag("--json", products_json, "One JSON document on stdout");
    products_list->callback([&] {
        exit_code = list_products(common, products_export_status, products_limit, products_json);
    });
    std::string product_sku;
    auto* products_get =
        products->add_subcommand("get", "One product: export state, normalised and raw document");
    add_common(products_get);
    products_get->add_option("SKU", product_sku, "SKU")->required();
    products_get->add_flag("--json", products_json, "One JSON document on stdout");
    products_get->callback([&] { exit_code = get_product(common, product_sku, products_json); });

    auto* shipments = app.add_subcommand("shipments", "Shipments created by the worker");
    shipments->require_subcommand(1);
    std::optional<std::string> shipments_order;
    std::size_t shipments_limit = 50;
    bool shipments_json = false;
    auto* shipments_list = shipments->add_subcommand("list", "List shipments, newest first");
    add_common(shipments_list);
    shipments_list->add_option("--order", shipments_order, "Only this order's (increment id)");
    shipments_list->add_option("--limit", shipments_limit, "At most this many rows (0 = all)")
        ->check(CLI::NonNegativeNumber);
    shipments_list->add_flag("--json", shipments_json, "One JSON document on stdout");
    shipments_list->callback([&] {
        exit_code = list_shipments(common, shipments_order, shipments_limit, shipments_json);
    });
    std::int64_t shipment_id = 0;
    auto* shipments_show = shipments->add_subcommand("show", "One shipment: lines and tracks");
    add_common(shipments_show);
    shipments_show->add_option("ID", shipment_id, "Shipment id")
        ->required()
        ->check(CLI::PositiveNumber);
    shipments_show->add_flag("--json", shipments_json, "One JSON document on stdout");
    shipments_show->callback(
        [&] { exit_code = show_shipment(common, shipment_id, shipments_json); });

    auto* orders = app.add_subcommand("orders", "Orders of the local target");
    orders->require_subcommand(1);
    std::filesystem::path orders_file;
    std::string orders_store = "default";
    auto* orders_import = orders->add_subcommand(
        "import", "Import orders in Magento's REST shape (one order or {\"items\": [...]})");
    add_common(orders_import);
    orders_import->add_option("FILE", orders_file, "JSON file")
        ->required()
        ->check(CLI::ExistingFile);
    orders_import->add_option("--store", orders_store, "Store code the orders belong to");
    orders_import->callback([&] { exit_code = import_orders(common, orders_file, orders_store); });
    std::string order_id;
    bool order_json = false;
    auto* orders_get = orders->add_subcommand("get", "Show one order with its items");
    add_common(orders_get);
    orders_get->add_option("INCREMENT_ID", order_id, "Order increment id")->required();
    orders_get->add_flag("--json", order_json, "One JSON document on stdout");
    orders_get->callback([&] { exit_code = get_order(common, order_id, order_json); });
    std::optional<std::string> orders_status;
    std::size_t orders_limit = 50;
    auto* orders_list = orders->add_subcommand("list", "List orders, newest first");
    add_common(orders_list);
    orders_list->add_option("--status", orders_status, "Only orders with this status");
    orders_list->add_option("--limit", orders_limit, "At most this many rows (0 = all)")
        ->check(CLI::NonNegativeNumber);
    orders_list->add_flag("--json", order_json, "One JSON document on stdout");
    std::optional<std::string> orders_export_status;
    orders_list
        ->add_option("--export-status", orders_export_status,
                     "Only orders with this export status (shows their export state)")
        ->check(CLI::IsMember({"pending", "queued", "exported", "failed", "cancelled"}));
    orders_list->callback([&] {
        exit_code =
            orders_export_status
                ? list_order_exports(common, *orders_export_status, orders_limit, order_json)
                : list_orders(common, orders_status, orders_limit, order_json);
    });

    const auto export_statuses =
        CLI::IsMember({"pending", "queued", "exported", "failed", "cancelled"});
    auto* exports = app.add_subcommand("exports", "Export to the WMS: log, rounds, resets");
    exports->require_subcommand(1);
    ListExportsOptions exports_options;
    auto* exports_list =
        exports->add_subcommand("list", "List exchanges with the WMS, newest first");
    add_common(exports_list);
    exports_list->add_option("--entity", exports_options.entity, "product or order")
        ->check(CLI::IsMember({"product", "order"}));
    exports_list
        ->add_option("--result", exports_options.result,
                     "Only exchanges with a line of this result")
        ->check(CLI::IsMember({"Success", "Duplicate", "Failure"}));
    exports_list->add_option("--limit", exports_options.limit, "At most this many rows (0 = all)")
        ->check(CLI::NonNegativeNumber);
    exports_list->add_flag("--json", exports_options.json, "One JSON document on stdout");
    exports_list->callback([&] { exit_code = list_exports(common, exports_options); });
    std::int64_t export_id = 0;
    bool export_json = false;
    auto* exports_show = exports->add_subcommand(
        "show", "One exchange: header, a line per entity, raw request and reply");
    add_common(exports_show);
    exports_show->add_option("ID", export_id, "Export id")->required()->check(CLI::PositiveNumber);
    exports_show->add_flag("--json", export_json, "One JSON document on stdout");
    exports_show->callback([&] { exit_code = show_export(common, export_id, export_json); });
    std::optional<std::string> export_store;
    auto* exports_run = exports->add_subcommand(
        "run", "One export round now (standalone or beside a running broker)");
    add_common(exports_run);
    exports_run->add_option("--store", export_store, "Only this store");
    exports_run->add_flag("--json", export_json, "One JSON document on stdout");
    exports_run->callback([&] { exit_code = run_exports(common, export_store, export_json); });
    std::string reset_entity;
    std::optional<std::string> reset_status;
    std::vector<std::string> reset_references;
    auto* exports_reset = exports->add_subcommand(
        "reset", "Back to pending with a fresh attempt count (all, by status, or by reference)");
    add_common(exports_reset);
    exports_reset->add_option("--entity", reset_entity, "product or order")
        ->required()
        ->check(CLI::IsMember({"product", "order"}));
    exports_reset->add_option("--status", reset_status, "Only entities with this export status")
        ->check(export_statuses);
    exports_reset->add_option("REF", reset_references, "SKUs or order increment ids");
    exports_reset->add_flag("--json", export_json, "One JSON document on stdout");
    exports_reset->callback([&] {
        exit_code =
            reset_exports(common, reset_entity, reset_status, reset_references, export_json);
    });

    auto* admin_command = app.add_subcommand("admin", "The web console's users");
    admin_command->require_subcommand(1);
    auto* user_command = admin_command->add_subcommand("user", "Add, list, change or remove users");
    user_command->require_subcommand(1);
    std::string user_name;
    bool users_json = false;
    auto* user_add = user_command->add_subcommand(
        "add", "Add a user; the password is asked twice on a terminal, else read from stdin");
    auto* user_passwd = user_command->add_subcommand(
        "passwd", "Set a user's password (as for add); ends the user's sessions");
    auto* user_remove = user_command->add_subcommand("remove", "Remove a user and its sessions");
    for (auto* command : {user_add, user_passwd, user_remove}) {
        add_common(command);
        command->add_option("NAME", user_name, "User name (letters, digits, . _ @ -)")->required();
    }
    user_add->callback([&] { exit_code = admin_user_add(common, user_name); });
    user_passwd->callback([&] { exit_code = admin_user_passwd(common, user_name); });
    user_remove->callback([&] { exit_code = admin_user_remove(common, user_name); });
    auto* user_list = user_command->add_subcommand("list", "List users and their open sessions");
    add_common(user_list);
    user_list->add_flag("--json", users_json, "One JSON document on stdout");
    user_list->callback([&] { exit_code = admin_user_list(common, users_json); });

    PruneOptions prune_options;
    auto* prune_command = app.add_subcommand(
        "prune", "Delete old bodies, import reports and export logs ([retention]), in slices");
    add_common(prune_command);
    prune_command->add_flag("--dry-run", prune_options.dry_run, "Only count what would be deleted");
    prune_command->add_flag("--json", prune_options.json, "One JSON document on stdout");
    prune_command->add_flag("--convert", prune_options.convert,
                            "Turn on incremental vacuum in a store created without it (rewrites "
                            "the file; stop the broker first)");
    prune_command->callback([&] { exit_code = prune(common, prune_options); });

    std::filesystem::path backup_file;
    auto* backup_command = app.add_subcommand(
        "backup", "Copy the store to FILE (consistent while the broker runs; mode 0600)");
    add_common(backup_command);
    backup_command->add_option("FILE", backup_file, "New file for the copy (never overwritten)")
        ->required();
    backup_command->callback([&] { exit_code = backup(common, backup_file); });

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const ofbridge::config::ConfigError& e) {
        std::cerr << "ofbridge: config: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "ofbridge: " << e.what() << "\n";
        return 1;
    }
    return exit_code;
}
