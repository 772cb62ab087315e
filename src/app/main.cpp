// Entry point: parses the command line (CLI11) and runs one subcommand. The command-line
// interface is relied upon by operators' scripts: add options, never rename them.
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"

int main(int argc, char** argv) {
    using namespace ofbridge::app;
    CLI::App app{"ofbridge: OrderFlow WMS <-> Magento message broker"};
    app.require_subcommand(1);
    CommonOptions common;
    auto add_common = [&](CLI::App* command) {
        command->add_option("--config", common.config_file, "TOML config file (default: built-in defaults)")
            ->check(CLI::ExistingFile);
        command->add_option("--data-dir", common.data_dir, "Directory of the durable store (overrides server.data_dir)");
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
    list->add_option("--entity", list_options.entity, "inventory, shipment, product_export or order_export")
        ->check(CLI::IsMember({"inventory", "shipment", "product_export", "order_export"}));
    list->add_option("--state", list_options.state, "pending, processing, done, failed or dead")
        ->check(CLI::IsMember({"pending", "processing", "done", "failed", "dead"}));
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
