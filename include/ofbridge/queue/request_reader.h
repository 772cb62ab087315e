// Read-only view of the queue for the CLI and (later) the admin API. Opens its own read-only
// connection, so it is safe while a broker writes to the same file (WAL readers never block the
// writer and always see a committed snapshot).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ofbridge::queue {

struct RequestFilter {
    std::optional<std::string> entity;  // "inventory", "shipment", ...
    std::optional<std::string> state;   // "pending", ...
    std::size_t limit = 50;             // 0 = no limit
};

// The console's further narrowing of a list: a keyset page and an exact message key.
struct RequestPage {
    std::int64_t before_id = 0;              // only ids below it; 0 = from the newest
    std::optional<std::string> message_key;  // exact messageSeqId / reference
    // Received at or after / before these ISO-8601 UTC times (a prefix such as "2026-11-28"
    // works): turned into an id range by a binary search on the primary key (ids follow
    // receipt order), so a date range costs no scan.
    std::optional<std::string> received_from;
    std::optional<std::string> received_before;
    // Requests whose import lines carry this SKU (any source), through the index
    // import_lines_reference: a request is matched once it has been applied. Costs what that
    // SKU's import lines cost, not the size of the store.
    std::optional<std::string> sku;
    // Oldest first (ascending ids) instead of newest first; its keyset is `after_id`.
    bool oldest_first = false;
    std::int64_t after_id = 0;  // only ids above it; 0 = from the oldest
};

struct RequestSummary {
    std::int64_t id = 0;
    std::string entity;
    std::string store_code;
    std::string wire;
    std::string message_key;  // messageSeqId / reference as text, "" when absent
    std::string state;
    std::int64_t line_count = 0;
    std::int64_t deliveries = 0;
    std::int64_t attempts = 0;
    std::string received_at;  // ISO-8601 UTC
};

struct RequestLine {
    std::int64_t line_no = 0;
    std::string sku;
    std::string source;
    std::int64_t qty = 0;
    std::optional<std::int64_t> seq;  // inventory only
    std::string last_order_exported;  // inventory only
};

struct RequestDetail {
    RequestSummary summary;
    std::string reply;
    std::string remote_address;
    std::string last_delivered_at;
    std::string raw_body;    // already masked when stored
    std::string last_error;  // of the last failed attempt; "" when none
    // Inventory: lines a sliced apply of the current run has committed (schemas/sqlite/015), 0
    // when none; it goes back to 0 once the request is done.
    std::int64_t applied_lines = 0;
    std::vector<RequestLine> lines;
    // Inventory: "" when the lines were expanded from the stored body (as the worker expands
    // them); otherwise where they came from and why (the body was removed by log retention:
    // the newest import report's lines, or the rows a request stored before this version kept).
    std::string lines_from;
    // Shipment header fields (order_increment_id, comment, email, ...); for export acks
    // entity and reference; empty for inventory.
    std::vector<std::pair<std::string, std::string>> fields;
    std::vector<std::string> tracking_numbers;
};

// How deep the queue is (an admin's health view).
struct QueueStats {
    std::int64_t pending = 0;
    std::int64_t processing = 0;
    std::int64_t failed = 0;
    std::int64_t dead = 0;
    std::optional<double> oldest_pending_age_seconds;
};

// Requests received since a time, per entity: all of them, those applied (done) and those that
// failed (failed or dead) by now.
struct EntityActivity {
    std::string entity;
    std::int64_t received = 0;
    std::int64_t applied = 0;
    std::int64_t failed = 0;
};

class RequestReader {
public:
    // Throws std::runtime_error naming the path when the database does not exist or is unreadable.
    explicit RequestReader(const std::filesystem::path& db_path);
    ~RequestReader();
    RequestReader(const RequestReader&) = delete;
    RequestReader& operator=(const RequestReader&) = delete;

    std::vector<RequestSummary> list(const RequestFilter& filter) const;
    std::vector<RequestSummary> list(const RequestFilter& filter, const RequestPage& page) const;
    std::optional<RequestDetail> get(std::int64_t id) const;
    QueueStats queue_stats() const;
    // The newest request of each entity (received_at set); one indexed lookup per entity.
    std::vector<RequestSummary> last_per_entity() const;
    // Counts over the requests received at or after `since` (ISO-8601 UTC, as received_at). Ids
    // follow receipt order, so the first such id is found by a binary search on the primary key
    // and only that range is read, however long the history.
    std::vector<EntityActivity> activity_since(const std::string& since) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::queue
