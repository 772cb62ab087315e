// Helpers shared by the worker's tests: requests enqueued through the real RequestStore (as
// ingest does), a clock the tests move by hand, and small queries against the database file.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ofbridge/domain/messages.h"
#include "ofbridge/queue/request_store.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/worker/worker_pool.h"
#include "store_fixtures.h"
#include "temp_dir.h"

namespace ofbridge::worker::testing {

using storage::testing::TempDir;

inline domain::InventoryLine line(std::string sku, std::int64_t qty, std::int64_t seq,
                                  std::string source = "default") {
    domain::InventoryLine l;
    l.sku = std::move(sku);
    l.qty = qty;
    l.seq = seq;
    l.source = std::move(source);
    return l;
}

inline domain::InventoryUpdate message(std::int64_t message_seq_id,
                                       std::vector<domain::InventoryLine> lines) {
    return domain::InventoryUpdate{message_seq_id, std::move(lines)};
}

// "Now" under the test's control: starts at a fixed instant and only moves when told.
class TestClock {
public:
    static constexpr std::int64_t start_unix = 1'800'000'000;  // 2027-01-15

    std::chrono::system_clock::time_point now() const {
        return std::chrono::system_clock::time_point{std::chrono::seconds{start_unix}} +
               std::chrono::milliseconds{offset_ms_.load()};
    }
    std::int64_t unix_now() const { return start_unix + offset_ms_.load() / 1000; }
    void advance(std::chrono::milliseconds by) { offset_ms_ += by.count(); }
    std::function<std::chrono::system_clock::time_point()> function() const {
        return [this] { return now(); };
    }

private:
    std::atomic<std::int64_t> offset_ms_{0};
};

// The writer and a RequestStore on the test's database, enqueueing messages the way ingest does.
class Queue {
public:
    // `tune` may change the writer's options (its slice budget, say) before it starts.
    explicit Queue(const std::filesystem::path& path, std::function<void()> on_commit = {},
                   const std::function<void(storage::WriterOptions&)>& tune = {}) {
        storage::WriterOptions options;
        options.path = path;
        options.on_commit = std::move(on_commit);
        if (tune) tune(options);
        store_ = std::make_unique<queue::testing::TestStore>(std::move(options));
    }

    // Stores a new request with a real body the worker expands its lines from (a unique session
    // id in it, so never taken for a re-delivery); returns its id.
    std::int64_t add(domain::InventoryUpdate update) {
        return add(std::move(update), "inventory-" + std::to_string(++bodies_));
    }
    // The same body for the same update and `session`: a second call is a re-delivery.
    std::int64_t add(domain::InventoryUpdate update, const std::string& session) {
        auto rendered = queue::testing::inventory_body(update, session);
        auto r = queue::testing::request(std::move(update), std::move(rendered.body));
        r.wire = std::move(rendered.wire);
        return add_request(std::move(r));
    }
    // A validated message stored with the M1 SOAP body of the wire message it came from (for
    // lines the rules refused, which cannot be rendered back from the validated form).
    std::int64_t add_m1(const domain::WireInventoryUpdate& wire, domain::InventoryUpdate update) {
        auto r = queue::testing::request(
            std::move(update),
            queue::testing::m1_inventory_body(wire, "inventory-" + std::to_string(++bodies_)));
        r.wire = "m1_soap";
        return add_request(std::move(r));
    }
    std::int64_t add_with_body(domain::Message m, const std::string& body) {
        return add_request(queue::testing::request(std::move(m), body));
    }
    std::int64_t add_request(queue::NewRequest r) {
        const auto result = queue::testing::enqueue_and_wait(*store_, std::move(r));
        if (const auto* ec = std::get_if<std::error_code>(&result))
            throw std::runtime_error("enqueue failed: " + ec->message());
        return std::get<queue::EnqueueResult>(result).request_id;
    }
    storage::Writer& writer() { return store_->writer(); }

private:
    std::unique_ptr<queue::testing::TestStore> store_;
    std::atomic<int> bodies_{0};
};

inline WorkerOptions options_for(const std::filesystem::path& path, const TestClock* clock,
                                 std::string instance = "test") {
    WorkerOptions o;
    o.database = path;
    o.instance_id = std::move(instance);
    if (clock) o.clock = clock->function();
    return o;
}

inline std::int64_t query_int(const std::filesystem::path& path, const std::string& sql) {
    storage::sqlite::Database db(path, SQLITE_OPEN_READONLY);
    return db.query_int64(sql);
}

inline std::string query_text(const std::filesystem::path& path, const std::string& sql) {
    storage::sqlite::Database db(path, SQLITE_OPEN_READONLY);
    return db.query_text(sql);
}

inline std::string state_of(const std::filesystem::path& path, std::int64_t id) {
    return query_text(path, "SELECT state FROM requests WHERE id = " + std::to_string(id));
}

inline void exec(const std::filesystem::path& path, const std::string& sql) {
    storage::sqlite::Database db(path, SQLITE_OPEN_READWRITE);
    db.exec(sql);
}

// Polls a condition on the database (which the worker threads change) until it holds or the
// deadline passes. Synchronisation is the condition itself, not the polling interval; the
// deadline only bounds a failing test, so it is generous enough for a loaded sanitizer build.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

// An order and its items, inserted by SQL (the orders import is tested on its own). The
// defaults make an open order that has not been exported.
struct OrderRow {
    std::string increment_id;
    std::string created_at = "2027-01-10 10:00:00";
    std::string status = "processing";
    std::string export_status = "pending";
    std::string state = "processing";
};

struct OrderItemRow {
    std::int64_t item_id = 0;
    std::string sku;
    std::int64_t ordered = 0;
    std::int64_t shipped = 0;
    std::int64_t canceled = 0;
    std::optional<std::int64_t> parent = std::nullopt;
    std::string type = "simple";
};

inline void insert_order(const std::filesystem::path& path, const OrderRow& o,
                         const std::vector<OrderItemRow>& items) {
    storage::sqlite::Database db(path, SQLITE_OPEN_READWRITE);
    storage::sqlite::Statement order(
        db,
        "INSERT INTO orders (increment_id, store_code, state, status, created_at, updated_at,"
        " export_status, raw_json, imported_at) VALUES (?1, 'default', ?2, ?3, ?4, ?4, ?5, '{}',"
        " '2027-01-15T00:00:00.000Z')");
    order.bind(1, o.increment_id)
        .bind(2, o.state)
        .bind(3, o.status)
        .bind(4, o.created_at)
        .bind(5, o.export_status)
        .run();
    const auto id = db.last_insert_rowid();
    storage::sqlite::Statement item(
        db,
        "INSERT INTO order_items (order_id, item_id, parent_item_id, sku, product_type,"
        " qty_ordered, qty_shipped, qty_canceled) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    for (const auto& i : items)
        item.bind(1, id)
            .bind(2, i.item_id)
            .bind(3, i.parent)
            .bind(4, i.sku)
            .bind(5, i.type)
            .bind(6, i.ordered)
            .bind(7, i.shipped)
            .bind(8, i.canceled)
            .run();
}

}  // namespace ofbridge::worker::testing
