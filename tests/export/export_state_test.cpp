// The export state on real SQLite files: products and orders imports drive it through the
// triggers of 007_exports.sql (new -> pending, identical re-import -> nothing, changed -> pending
// with a new version, cancelled -> cancelled or cancel.xml due), and ExportRepository's
// compare-and-set transitions (oldest first, backoff, failed after max_attempts, an entity
// changed in flight stays pending).
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "ofbridge/catalog/product_import.h"
#include "ofbridge/export/export_acks.h"
#include "ofbridge/export/export_reader.h"
#include "ofbridge/export/export_repository.h"
#include "ofbridge/orders/order_store.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/time_format.h"
#include "temp_dir.h"

namespace ofbridge::exporting {
namespace {

using namespace std::chrono_literals;
using domain::ExportResult;
using storage::sqlite::Database;

std::string product_json(const std::string& sku, const std::string& name) {
    return R"({"sku":")" + sku + R"(","name":")" + name +
           R"(","price":34.5,"status":1,"updated_at":"2026-01-01 00:00:00",)"
           R"("custom_attributes":[{"attribute_code":"barcode","value":"501"}]})";
}

class ExportStateTest : public ::testing::Test {
protected:
    storage::testing::TempDir dir;
    std::filesystem::path db_path = dir.file("ofbridge.db");
    std::chrono::system_clock::time_point t0 = std::chrono::system_clock::now();

    void import_products(const std::string& json) {
        catalog::import_products(db_path, catalog::parse_products_json(json, "default"));
    }
    ExportItemState item(const std::string& entity, const std::string& reference) {
        ExportReader reader(db_path);
        auto state = reader.item(entity, reference);
        EXPECT_TRUE(state) << reference;
        return state.value_or(ExportItemState{});
    }
    std::vector<DueItem> due(const std::string& entity, std::chrono::system_clock::time_point at) {
        Database db(db_path, SQLITE_OPEN_READONLY);
        return select_due(db, {"default", entity, 100, storage::format_utc_millis(at), {}, {}});
    }
    RecordSummary record(const std::string& entity, const std::vector<ItemOutcome>& outcomes,
                         std::chrono::system_clock::time_point at, unsigned max_attempts = 3) {
        Database db(db_path, SQLITE_OPEN_READWRITE);
        ExportRepository repository(db);
        ExchangeRecord exchange{"default", entity, "push", "merge", "http://wms/", 200,
                                "",        5,      "s",    "f",     "req",         "reply"};
        return repository.record(exchange, outcomes, {max_attempts, 1000ms, 4000ms}, at);
    }
    ItemOutcome outcome(const DueItem& d, ExportResult result, std::string message = {}) {
        return {d.reference, d.version, d.attempts, result, std::move(message)};
    }
};

TEST_F(ExportStateTest, ProductImportKeepsDocumentAndIdenticalReimportChangesNothing) {
    import_products(R"({"items":[)" + product_json("A", "Bag") + "," + product_json("B", "Box") +
                    "]}");
    auto a = item("product", "A");
    EXPECT_EQ(a.status, "pending");
    ExportReader reader(db_path);
    auto product = reader.product("A");
    ASSERT_TRUE(product);
    EXPECT_NE(product->raw_json.find("custom_attributes"), std::string::npos);
    EXPECT_EQ(product->normalised_json,
              R"({"attr.barcode":"501","name":"Bag","price":"34.5","sku":"A","status":"1",)"
              R"("updated_at":"2026-01-01 00:00:00"})");

    auto first = due("product", t0);
    ASSERT_EQ(first.size(), 2u);
    record("product", {outcome(first[0], ExportResult::success)}, t0);
    EXPECT_EQ(item("product", "A").status, "exported");

    // The same content again, with only Magento's updated_at moved: nothing to export.
    auto summary = catalog::import_products(
        db_path, catalog::parse_products_json(R"({"sku":"A","name":"Bag","price":34.5,"status":1,)"
                                              R"("updated_at":"2026-02-02 00:00:00",)"
                                              R"("custom_attributes":[{"attribute_code":)"
                                              R"("barcode","value":"501"}]})",
                                              "default"));
    EXPECT_EQ(summary.unchanged, 1u);
    EXPECT_EQ(item("product", "A").status, "exported");

    import_products(product_json("A", "Bag v2"));
    auto changed = item("product", "A");
    EXPECT_EQ(changed.status, "pending");
    EXPECT_GT(changed.version, a.version + 1);
}

// Notify mode: a clean reply makes the entity queued (not exported); the WMS's fetch makes it
// exported; a queued entity not fetched by the requeue time is due again, as "modified".
TEST_F(ExportStateTest, NotifyQueuesThenFetchExportsAndAnUnfetchedOneIsDueAgain) {
    import_products(R"({"items":[)" + product_json("A", "Bag") + "," + product_json("B", "Box") +
                    "]}");
    const auto batch = due("product", t0);
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ(batch[0].sent_count, 0);  // action=created
    {
        Database db(db_path, SQLITE_OPEN_READWRITE);
        ExportRepository repository(db);
        ExchangeRecord exchange{"default", "product", "notify", "notify", "http://wms/", 200,
                                "",        5,         "s",      "f",      "req",         "reply"};
        const auto summary = repository.record(
            exchange,
            {outcome(batch[0], ExportResult::success), outcome(batch[1], ExportResult::success)},
            {3, 1000ms, 4000ms}, t0);
        EXPECT_EQ(summary.queued, 2u);
        EXPECT_EQ(summary.exported, 0u);
    }
    EXPECT_EQ(item("product", "A").status, "queued");
    EXPECT_TRUE(due("product", t0 + 1h).empty()) << "push mode never re-sends queued ones";
    {
        Database db(db_path, SQLITE_OPEN_READWRITE);
        ExportAcks acks(db);
        const auto a = item("product", "A");
        EXPECT_TRUE(
            acks.mark_exported("product", "A", a.version, storage::format_utc_millis(t0 + 1s)));
        EXPECT_FALSE(
            acks.mark_exported("product", "A", a.version, storage::format_utc_millis(t0 + 1s)))
            << "compare-and-set: the version moved";
    }
    EXPECT_EQ(item("product", "A").status, "exported");
    Database db(db_path, SQLITE_OPEN_READONLY);
    DueQuery before_timeout{"default", "product",
                            100,       storage::format_utc_millis(t0 + 1s),
                            {},        storage::format_utc_millis(t0 - 1s)};
    EXPECT_TRUE(select_due(db, before_timeout).empty());
    DueQuery after_timeout{"default", "product",
                           100,       storage::format_utc_millis(t0 + 2h),
                           {},        storage::format_utc_millis(t0 + 1h)};
    const auto again = select_due(db, after_timeout);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].reference, "B");
    EXPECT_EQ(again[0].sent_count, 1) << "notified again as modified";
}

TEST_F(ExportStateTest, ProductChangedInFlightStaysPending) {
    import_products(product_json("A", "Bag"));
    auto batch = due("product", t0);
    ASSERT_EQ(batch.size(), 1u);
    import_products(product_json("A", "Bag, new name"));  // while the batch is out
    auto summary = record("product", {outcome(batch[0], ExportResult::success)}, t0);
    EXPECT_EQ(summary.stale, 1u);
    EXPECT_EQ(item("product", "A").status, "pending");
    EXPECT_EQ(due("product", t0).size(), 1u) << "exported again in the next round";
}

// Notify mode, an entity changed while its notification was in flight: the clean reply does not
// queue the newer version, but the WMS was told, so the next notification says "modified". And
// the WMS's Export call after a fetch of the older content does not make the newer one exported.
TEST_F(ExportStateTest, NotifyChangedInFlightIsNotifiedAgainAndAnOlderExportCallWaits) {
    import_products(product_json("A", "Bag"));
    const auto notify = [&](const DueItem& d, std::chrono::system_clock::time_point at) {
        Database db(db_path, SQLITE_OPEN_READWRITE);
        ExportRepository repository(db);
        ExchangeRecord exchange{"default", "product", "notify", "notify", "http://wms/", 200,
                                "",        5,         "s",      "f",      "req",         "reply"};
        return repository.record(exchange, {outcome(d, ExportResult::success)}, {3, 1s, 4s}, at);
    };
    auto first = due("product", t0);
    ASSERT_EQ(first.size(), 1u);
    import_products(product_json("A", "Bag, new name"));  // while the notification is out
    EXPECT_EQ(notify(first[0], t0).stale, 1u);
    auto second = due("product", t0);
    ASSERT_EQ(second.size(), 1u) << "still pending: notified again";
    EXPECT_EQ(second[0].sent_count, 1) << "as modified";

    // Notified and fetched (exported), changed and notified again (queued); then the Export call
    // that followed the first fetch arrives.
    EXPECT_EQ(notify(second[0], t0 + 1s).queued, 1u);
    {
        Database db(db_path, SQLITE_OPEN_READWRITE);
        ExportAcks acks(db);
        EXPECT_TRUE(acks.mark_exported("product", "A", item("product", "A").version,
                                       storage::format_utc_millis(t0 + 2s)));
    }
    import_products(product_json("A", "Bag, newest name"));
    auto third = due("product", t0 + 3s);
    ASSERT_EQ(third.size(), 1u);
    EXPECT_EQ(third[0].sent_count, 2);
    EXPECT_EQ(notify(third[0], t0 + 3s).queued, 1u);
    {
        Database db(db_path, SQLITE_OPEN_READWRITE);
        ExportAcks acks(db);
        const auto older = acks.acknowledge("product", "A", storage::format_utc_millis(t0 + 4s));
        EXPECT_EQ(older.result, domain::LineResult::superseded) << older.message;
        EXPECT_EQ(item("product", "A").status, "queued");
        // The WMS fetches the newest content: exported; its Export call is then a duplicate.
        EXPECT_TRUE(acks.mark_exported("product", "A", item("product", "A").version,
                                       storage::format_utc_millis(t0 + 5s)));
        EXPECT_EQ(acks.acknowledge("product", "A", storage::format_utc_millis(t0 + 6s)).result,
                  domain::LineResult::duplicate);
    }
    // A WMS that never fetches through the broker: its Export call is its acknowledgement.
    import_products(product_json("B", "Box"));
    auto b = due("product", t0 + 7s);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(notify(b[0], t0 + 7s).queued, 1u);
    Database db(db_path, SQLITE_OPEN_READWRITE);
    ExportAcks acks(db);
    EXPECT_EQ(acks.acknowledge("product", "B", storage::format_utc_millis(t0 + 8s)).result,
              domain::LineResult::success);
}

// The reader behind the WMS's fetches: several threads read at once, each on a connection of the
// pool (no more than it holds), and each gets its own answer.
TEST_F(ExportStateTest, ReaderServesConcurrentFetches) {
    std::string items;
    for (int n = 0; n < 50; ++n)
        items +=
            (n ? "," : "") + product_json("P" + std::to_string(n), "Name " + std::to_string(n));
    import_products(R"({"items":[)" + items + "]}");
    ExportReader reader(db_path, 3);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 100; ++i) {
                const auto sku = "P" + std::to_string((t * 7 + i) % 50);
                const auto fetched = reader.fetch_product("default", sku);
                if (!fetched || fetched->reference != sku || fetched->status != "pending") ++wrong;
                if (reader.fetch_product("other-store", sku)) ++wrong;
            }
        });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong.load(), 0);
}

TEST_F(ExportStateTest, FailuresWaitTheirBackoffOldestFirstThenFail) {
    import_products(product_json("OLD", "x"));
    import_products(product_json("NEW", "y"));
    auto batch = due("product", t0);
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ(batch[0].reference, "OLD");
    record("product", {outcome(batch[0], ExportResult::failure, "Bad barcode")}, t0);
    auto failed_once = item("product", "OLD");
    EXPECT_EQ(failed_once.status, "pending");
    EXPECT_EQ(failed_once.attempts, 1);
    EXPECT_EQ(failed_once.last_error, "Bad barcode");
    auto now_due = due("product", t0);
    ASSERT_EQ(now_due.size(), 1u) << "the failed one waits its backoff";
    EXPECT_EQ(now_due[0].reference, "NEW");
    auto later = due("product", t0 + 1s);
    ASSERT_EQ(later.size(), 2u);
    EXPECT_EQ(later[0].reference, "OLD");
    record("product", {outcome(later[0], ExportResult::missing)}, t0 + 1s);
    auto last = due("product", t0 + 10s);
    record("product", {outcome(last[0], ExportResult::error, "HTTP 500")}, t0 + 10s);
    auto failed = item("product", "OLD");
    EXPECT_EQ(failed.status, "failed");
    EXPECT_EQ(failed.attempts, 3);
    EXPECT_EQ(failed.last_error, "HTTP 500");

    Database db(db_path, SQLITE_OPEN_READWRITE);
    ExportRepository repository(db);
    EXPECT_EQ(repository.reset("product", std::string("failed"), {}, t0), 1u);
    EXPECT_EQ(item("product", "OLD").status, "pending");
    EXPECT_EQ(item("product", "OLD").attempts, 0);
}

TEST_F(ExportStateTest, OrdersEligibilityCancellationAndMirroredStatus) {
    std::ifstream in(std::string{OFBRIDGE_ORDERS_TEST_DATA} + "/order_three_lines.json");
    std::stringstream text;
    text << in.rdbuf();
    auto orders = orders::parse_orders_json(text.str(), "default");
    orders::import_orders(db_path, orders);
    auto batch = due("order", t0);
    ASSERT_EQ(batch.size(), 1u);
    {
        Database db(db_path, SQLITE_OPEN_READONLY);
        DueQuery later_only{"default", "order", 100, storage::format_utc_millis(t0), {}, {}};
        later_only.eligible.min_created_at = "2027-01-01 00:00:00";
        EXPECT_TRUE(select_due(db, later_only).empty());
        DueQuery other_status{"default", "order", 100, storage::format_utc_millis(t0), {}, {}};
        other_status.eligible.statuses = {"complete"};
        EXPECT_TRUE(select_due(db, other_status).empty());
    }
    record("order", {outcome(batch[0], ExportResult::duplicate, "exists")}, t0);
    EXPECT_EQ(item("order", "000000101").status, "exported");
    EXPECT_EQ(orders::OrderReader(db_path).get("000000101")->export_status, "exported");

    // Cancelled after the WMS got it: cancel.xml is due.
    orders[0].state = "canceled";
    orders[0].status = "canceled";
    orders[0].raw_json += " ";
    orders::import_orders(db_path, orders);
    auto cancelled = item("order", "000000101");
    EXPECT_EQ(cancelled.status, "exported");
    EXPECT_EQ(cancelled.cancel_state, "pending");
    {
        Database db(db_path, SQLITE_OPEN_READWRITE);
        const auto now = storage::format_utc_millis(t0);
        ASSERT_EQ(select_due_cancellations(db, "default", 10, now).size(), 1u);
        // No answer: due again after the backoff, not before.
        ExportRepository(db).defer_cancel("000000101", "timeout", t0, t0 + 2s);
        EXPECT_TRUE(select_due_cancellations(db, "default", 10, now).empty());
        auto later =
            select_due_cancellations(db, "default", 10, storage::format_utc_millis(t0 + 2s));
        ASSERT_EQ(later.size(), 1u);
        EXPECT_EQ(later[0].attempts, 1u);
        ExportRepository(db).record_cancel("000000101", true, "", t0);
        EXPECT_TRUE(select_due_cancellations(db, "default", 10, "9999").empty());
    }
    EXPECT_EQ(item("order", "000000101").cancel_state, "sent");

    // Cancelled before it was ever sent: simply cancelled, nothing to tell the WMS.
    auto other = orders[0];
    other.increment_id = "000000102";
    other.state = "processing";
    other.status = "processing";
    orders::import_orders(db_path, {other});
    other.state = "canceled";
    other.raw_json += "  ";
    orders::import_orders(db_path, {other});
    auto never_sent = item("order", "000000102");
    EXPECT_EQ(never_sent.status, "cancelled");
    EXPECT_EQ(never_sent.cancel_state, "");
    EXPECT_EQ(orders::OrderReader(db_path).get("000000102")->export_status, "cancelled");
}

}  // namespace
}  // namespace ofbridge::exporting
