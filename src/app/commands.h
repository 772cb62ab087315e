// The subcommands of the `ofbridge` binary. Each returns the process exit code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "ofbridge/config/config.h"

namespace ofbridge::app {

// Options every subcommand takes.
struct CommonOptions {
    std::filesystem::path config_file;  // empty = built-in defaults
    std::filesystem::path data_dir;     // empty = from the config
};

// Loads the config named by `options` (or the defaults) and applies --data-dir.
config::Config load(const CommonOptions& options);

struct ServeOptions {
    std::string listen;  // empty = from the config
};
int serve(const CommonOptions& common, const ServeOptions& options);

struct ListRequestsOptions {
    std::optional<std::string> entity;
    std::optional<std::string> state;
    std::size_t limit = 50;
    bool json = false;
};
int list_requests(const CommonOptions& common, const ListRequestsOptions& options);
int show_request(const CommonOptions& common, std::int64_t id, bool json);

}  // namespace ofbridge::app
