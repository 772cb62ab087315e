#include "commands.h"

#include <iostream>

#include "ofbridge/admin/request_views.h"
#include "ofbridge/queue/request_reader.h"

namespace ofbridge::app {

config::Config load(const CommonOptions& options) {
    auto config = options.config_file.empty() ? config::default_config()
                                              : config::load_config_file(options.config_file);
    if (!options.data_dir.empty()) config.server.data_dir = options.data_dir;
    return config;
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

}  // namespace ofbridge::app
