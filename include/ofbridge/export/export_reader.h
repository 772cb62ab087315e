// Read model of the export (admin CLI) and what the WMS's fetches read in serve: the export log
// and the export state of products and orders. Read-only connections, a small pool of them:
// calls from several threads read at once, up to `connections`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ofbridge::exporting {

struct ExportItemState {
    std::string entity;
    std::string reference;
    std::string store_code;
    std::string status;
    std::int64_t version = 0;
    std::int64_t attempts = 0;
    std::string last_error;
    std::string next_attempt_at;
    std::string pending_since;
    std::string queued_at;
    std::string exported_at;
    std::int64_t sent_count = 0;
    std::string cancel_state;
    std::string cancel_error;
    std::string updated_at;
};

struct ProductView {
    std::string sku;
    std::string name;
    std::string store_code;
    std::string raw_json;
    std::string normalised_json;
    std::string content_hash;
    std::string updated_at;
    ExportItemState export_state;
};

struct ExportRunLine {
    std::string reference;
    std::string result;
    std::string message;
};

struct ExportRun {
    std::int64_t id = 0;
    std::string store_code, entity, mode, operation, url;
    std::int64_t http_status = 0, successes = 0, duplicates = 0, failures = 0, duration_ms = 0;
    std::string error, started_at, finished_at;
    std::string request_body, reply_body;  // get_run only
    std::vector<ExportRunLine> lines;      // get_run only
};

struct RunFilter {
    std::optional<std::string> entity;
    std::optional<std::string> result;  // Success, Duplicate, Failure: runs with such a line
    std::size_t limit = 50;             // 0 = all
};

struct ItemFilter {
    std::string entity;                 // product, order
    std::optional<std::string> status;  // export status
    std::size_t limit = 50;             // 0 = all
};

// What the WMS fetches in notify mode: the stored Magento document and the export state it was
// read at (the fetch makes a queued entity exported, compare-and-set on `version`).
struct FetchedEntity {
    std::string reference;  // SKU, or the order's increment_id
    std::string document;   // products.raw_json / orders.raw_json (Magento REST shape)
    std::string status;     // export status
    std::int64_t version = 0;
};

// How many entities of a kind are in each export state (the console's dashboard).
struct ExportQueueCount {
    std::string entity;  // product, order
    std::int64_t pending = 0, queued = 0, exported = 0, failed = 0, cancelled = 0;
};

class ExportReader {
public:
    // Throws naming the path. `connections`: how many calls may read at once.
    explicit ExportReader(const std::filesystem::path& db_path, std::size_t connections = 1);
    ~ExportReader();
    ExportReader(const ExportReader&) = delete;
    ExportReader& operator=(const ExportReader&) = delete;

    std::vector<ExportRun> list_runs(const RunFilter& filter) const;  // newest first
    // A keyset page: only runs with an id below `before_id` (0 = from the newest).
    std::vector<ExportRun> list_runs(const RunFilter& filter, std::int64_t before_id) const;
    std::optional<ExportRun> get_run(std::int64_t id) const;
    std::vector<ExportItemState> list_items(const ItemFilter& filter) const;  // by reference
    std::optional<ExportItemState> item(const std::string& entity,
                                        const std::string& reference) const;
    std::optional<ProductView> product(const std::string& sku) const;
    std::vector<ProductView> products(const std::optional<std::string>& export_status,
                                      std::size_t limit) const;  // by SKU; 0 = all
    // A product of `store_code` by SKU; an order of `store_code` by Magento's entity_id (a
    // number) or else by increment_id (orders imported without an entity_id).
    std::optional<FetchedEntity> fetch_product(const std::string& store_code,
                                               const std::string& sku) const;
    std::optional<FetchedEntity> fetch_order(const std::string& store_code,
                                             const std::string& id) const;
    // Per entity (product, order; summed over stores), entities by export state. Range counts
    // on export_items_due (store, entity, status, ...): the index entries, never the rows.
    std::vector<ExportQueueCount> queue_counts() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::exporting
