// The magento2 target's delivery loop (DESIGN §6): sends what the outbox holds (src/outbox) to
// Magento through the REST client and records every outcome through the one writer. Runs as a
// thread inside `serve` (RAII: stopped and joined by the destructor), woken by notify() after
// the worker's commits and at least every 100 ms while rows wait; or one round at a time.
// delivery.cpp describes the order of stock and shipments and the never-twice rule.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ofbridge/magento/rest_client.h"

namespace ofbridge::storage {
class Writer;
}

namespace ofbridge::magento {

struct StoreTarget {
    std::string store_code;  // the broker's store ([stores.<code>])
    ClientSettings client;
    std::string stock_api = "msi";  // or "legacy"
    std::size_t source_items_chunk = 20;
    std::map<std::string, std::string> source_map;  // WMS source -> Magento source code
    std::chrono::milliseconds retry_base{1000};
    std::chrono::milliseconds retry_max{300'000};
    std::chrono::seconds pull_interval{60};  // the incremental pull (pull.h)
    std::size_t pull_page_size = 100;
};

struct DeliveryOptions {
    std::filesystem::path database;
    // serve: every write is a job on the one writer; nullptr: a connection of its own.
    storage::Writer* writer = nullptr;
    std::vector<StoreTarget> stores;
};

struct DeliverySummary {
    std::size_t calls = 0;
    std::size_t stock_delivered = 0;
    std::size_t stock_failed = 0;
    std::size_t shipments_delivered = 0;
    std::size_t shipments_found = 0;          // found by their marker after an unknown outcome
    std::size_t shipments_not_found_yet = 0;  // a first search missed: searched again later
    std::size_t shipments_failed = 0;
    std::size_t retried = 0;  // rows put back to wait (transient errors)
};

class Delivery {
public:
    explicit Delivery(DeliveryOptions options);
    ~Delivery();  // stop()
    Delivery(const Delivery&) = delete;
    Delivery& operator=(const Delivery&) = delete;

    void start();
    void notify();  // something new may be waiting
    void stop();    // aborts calls in flight (their rows stay waiting; shipments are checked)

    DeliverySummary run_round();  // every store, everything due now

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The Magento source code a WMS source is sent as.
std::string magento_source(const StoreTarget& store, const std::string& wms_source);

// True when `text` holds `marker` as a whole token (so "ofbridge:12" is not found in
// "ofbridge:123").
bool has_marker(std::string_view text, std::string_view marker);

}  // namespace ofbridge::magento
