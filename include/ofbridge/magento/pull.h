// The incremental pull of a magento2 store's orders and products (DESIGN §6, issue 13): GET
// V1/orders and GET V1/products (simple type) by updated_at windows in UTC, stored raw and
// normalised into the tables the local target uses (orders, order_items, products), so pulled
// orders are exported, shipped and counted as unsent like imported ones, and the pulled catalog
// is what reject_unknown_skus checks. Runs as a thread inside `serve` (RAII: stopped and joined
// by the destructor), every pull_interval_seconds per store; or once, from `ofbridge magento
// pull`. pull.cpp describes the window and the paging.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ofbridge/magento/delivery.h"

namespace ofbridge::storage {
class Writer;
}

namespace ofbridge::magento {

struct PullOptions {
    std::filesystem::path database;
    // serve: every write is a job on the one writer; nullptr: a connection of its own.
    storage::Writer* writer = nullptr;
    std::vector<StoreTarget> stores;
    // A long pull's progress (a line every few pages); empty = the log only.
    std::function<void(std::string_view)> progress{};
};

struct EntityPull {
    std::size_t pages = 0;
    std::size_t created = 0;
    std::size_t changed = 0;
    std::size_t unchanged = 0;  // read again (overlap, or no change that matters) and skipped
    std::size_t refused = 0;    // invalid documents, logged with the reason
    std::string from;           // the window: updated_at >= from ...
    std::string to;             // ... and < to (the watermark once committed)
    bool committed = false;     // the whole window is written and the watermark saved
    std::string error;          // why not (Magento's reply, or a storage error)
};

struct PullSummary {
    std::string store_code;
    EntityPull products;
    EntityPull orders;
    bool ok() const { return products.committed && orders.committed; }
};

class Puller {
public:
    explicit Puller(PullOptions options);
    ~Puller();  // stop()
    Puller(const Puller&) = delete;
    Puller& operator=(const Puller&) = delete;

    void start();  // the background loop (serve)
    void stop();   // aborts a call in flight; the window being pulled is pulled again later

    // One pull of every store now. `since` ("YYYY-MM-DD HH:MM:SS" UTC) replaces the saved
    // watermark as the window's start.
    std::vector<PullSummary> run_once(const std::optional<std::string>& since = std::nullopt);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Magento's timestamp form ("YYYY-MM-DD HH:MM:SS", UTC) of `t`, and its inverse (nullopt when
// `text` is not one; "YYYY-MM-DD" and a 'T' separator are accepted too).
std::string magento_time(std::chrono::system_clock::time_point t);
std::optional<std::chrono::system_clock::time_point> parse_magento_time(std::string_view text);

}  // namespace ofbridge::magento
