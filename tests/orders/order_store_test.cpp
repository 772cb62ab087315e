// import_orders and OrderReader on real SQLite files: create, re-import (what the broker changed
// survives), all-or-nothing batches, reader queries, and an import waiting for another writer.
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "ofbridge/orders/order_store.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/transaction.h"
#include "ofbridge/storage/writer.h"
#include "temp_dir.h"

namespace ofbridge::orders {
namespace {

using storage::sqlite::Database;
using storage::testing::TempDir;

std::vector<Order> sample(const std::string& name) {
    std::ifstream in(std::string{OFBRIDGE_ORDERS_TEST_DATA} + "/" + name, std::ios::binary);
    EXPECT_TRUE(in) << name;
    std::ostringstream text;
    text << in.rdbuf();
    return parse_orders_json(text.str(), "default");
}

std::vector<std::string> increment_ids(const std::vector<Order>& orders) {
    std::vector<std::string> ids;
    for (const auto& o : orders) ids.push_back(o.increment_id);
    return ids;
}

// What the worker and the exporter do to a stored order, done directly.
void record_broker_changes(const std::filesystem::path& db_path) {
    Database db(db_path, SQLITE_OPEN_READWRITE);
    db.exec(
        "UPDATE order_items SET qty_shipped = 1 WHERE item_id = 301;"
        "UPDATE orders SET export_status = 'exported' WHERE increment_id = '000000101'");
}

class OrderStoreTest : public ::testing::Test {
protected:
    TempDir dir;
    std::filesystem::path db_path = dir.file("ofbridge.db");
};

TEST_F(OrderStoreTest, ImportCreatesDatabaseAndReaderReturnsTheOrder) {
    const auto parsed = sample("order_three_lines.json");
    const auto summary = import_orders(db_path, parsed);
    EXPECT_EQ(summary.created, 1u);
    EXPECT_EQ(summary.updated, 0u);
    {
        Database db(db_path, SQLITE_OPEN_READONLY);
        EXPECT_EQ(db.query_text("PRAGMA journal_mode"), "wal");
        EXPECT_EQ(storage::sqlite::schema_version(db), storage::latest_schema_version());
    }

    OrderReader reader(db_path);
    const auto stored = reader.get("000000101");
    ASSERT_TRUE(stored);
    const Order& want = parsed[0];
    EXPECT_EQ(stored->increment_id, want.increment_id);
    EXPECT_EQ(stored->entity_id, 101);
    EXPECT_EQ(stored->store_code, "default");
    EXPECT_EQ(stored->state, "processing");
    EXPECT_EQ(stored->status, "processing");
    EXPECT_EQ(stored->created_at, "2026-03-02 09:15:42");
    EXPECT_EQ(stored->updated_at, "2026-03-02 09:16:05");
    EXPECT_EQ(stored->customer_email, "jane.doe@example.com");
    EXPECT_EQ(stored->customer_firstname, "Jane");
    EXPECT_EQ(stored->customer_lastname, "Doe");
    EXPECT_EQ(stored->billing_address_json, want.billing_address_json);
    EXPECT_EQ(stored->shipping_address_json, want.shipping_address_json);
    EXPECT_EQ(stored->shipping_method, "flatrate_flatrate");
    EXPECT_FALSE(stored->is_virtual);
    EXPECT_EQ(stored->export_status, "pending");
    EXPECT_EQ(stored->raw_json, want.raw_json);
    ASSERT_EQ(stored->items.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(stored->items[i].item_id, want.items[i].item_id);
        EXPECT_EQ(stored->items[i].sku, want.items[i].sku);
        EXPECT_EQ(stored->items[i].name, want.items[i].name);
        EXPECT_EQ(stored->items[i].product_type, "simple");
        EXPECT_EQ(stored->items[i].qty_ordered, want.items[i].qty_ordered);
        EXPECT_EQ(stored->items[i].qty_invoiced, want.items[i].qty_invoiced);
        EXPECT_EQ(stored->items[i].qty_shipped, 0);
        EXPECT_EQ(stored->items[i].price, want.items[i].price);
    }
    EXPECT_FALSE(reader.get("000000999"));
}

TEST_F(OrderStoreTest, ItemsComeBackOrderedByItemIdWithParents) {
    auto parsed = sample("order_configurable.json");
    std::swap(parsed[0].items[0], parsed[0].items[1]);  // child first in the document
    import_orders(db_path, parsed);
    const auto stored = OrderReader(db_path).get("000000102");
    ASSERT_TRUE(stored);
    ASSERT_EQ(stored->items.size(), 2u);
    EXPECT_EQ(stored->items[0].item_id, 401);
    EXPECT_EQ(stored->items[0].product_type, "configurable");
    EXPECT_FALSE(stored->items[0].parent_item_id);
    EXPECT_EQ(stored->items[1].item_id, 402);
    EXPECT_EQ(stored->items[1].sku, "TSHIRT-RED-M");
    EXPECT_EQ(stored->items[1].parent_item_id, 401);
}

TEST_F(OrderStoreTest, ReimportUpdatesHeaderAndKeepsWhatTheBrokerRecorded) {
    import_orders(db_path, sample("order_three_lines.json"));
    record_broker_changes(db_path);

    auto changed = sample("order_three_lines.json");
    Order& o = changed[0];
    o.store_code = "uk";
    o.state = "complete";
    o.status = "complete";
    o.updated_at = "2026-03-05 10:00:00";
    o.customer_email = "jane@example.org";
    o.shipping_method = "tablerate_bestway";
    o.raw_json = R"({"increment_id":"000000101","changed":true})";
    o.created_at = "2030-01-01 00:00:00";  // placed-at never moves
    o.items[0].qty_shipped = 0;            // Magento has not seen the broker's shipment yet
    o.items[1].qty_shipped = 1;            // shipped in Magento: more than the broker knows
    o.items[2].name = "Charlie Gizmo v2";
    o.items[2].qty_canceled = 1;
    const auto summary = import_orders(db_path, changed);
    EXPECT_EQ(summary.created, 0u);
    EXPECT_EQ(summary.updated, 1u);

    const auto stored = OrderReader(db_path).get("000000101");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->store_code, "uk");
    EXPECT_EQ(stored->state, "complete");
    EXPECT_EQ(stored->status, "complete");
    EXPECT_EQ(stored->updated_at, "2026-03-05 10:00:00");
    EXPECT_EQ(stored->created_at, "2026-03-02 09:15:42");
    EXPECT_EQ(stored->customer_email, "jane@example.org");
    EXPECT_EQ(stored->shipping_method, "tablerate_bestway");
    EXPECT_EQ(stored->raw_json, o.raw_json);
    EXPECT_EQ(stored->export_status, "exported") << "the exporter's state survives a re-import";
    ASSERT_EQ(stored->items.size(), 3u);
    EXPECT_EQ(stored->items[0].qty_shipped, 1) << "never lowered below what the broker shipped";
    EXPECT_EQ(stored->items[1].qty_shipped, 1);
    EXPECT_EQ(stored->items[2].name, "Charlie Gizmo v2");
    EXPECT_EQ(stored->items[2].qty_canceled, 1);
}

TEST_F(OrderStoreTest, PulledOrderIsWrittenOnceForEachUpdatedAt) {
    import_orders(db_path, {});  // creates the database
    Database db(db_path, SQLITE_OPEN_READWRITE);
    auto order = sample("order_three_lines.json").front();
    EXPECT_EQ(upsert_pulled_order(db, order), PulledOrder::created);
    db.exec("UPDATE order_items SET qty_shipped = 1 WHERE item_id = 301");
    order.status = "holded";  // same updated_at: the same document read again, not written
    EXPECT_EQ(upsert_pulled_order(db, order), PulledOrder::unchanged);
    EXPECT_EQ(OrderReader(db_path).get("000000101")->status, "processing");
    order.updated_at = "2026-03-05 10:00:00";
    order.state = "canceled";
    order.status = "canceled";
    EXPECT_EQ(upsert_pulled_order(db, order), PulledOrder::changed);
    const auto stored = OrderReader(db_path).get("000000101");
    EXPECT_EQ(stored->state, "canceled");
    EXPECT_EQ(stored->export_status, "cancelled") << "a cancellation reaches the export";
    EXPECT_EQ(stored->items[0].qty_shipped, 1) << "what the broker shipped is kept";
}

TEST_F(OrderStoreTest, ReimportRemovesUnshippedItemsTheDocumentDropped) {
    import_orders(db_path, sample("order_three_lines.json"));
    auto fewer = sample("order_three_lines.json");
    fewer[0].items.pop_back();  // SKU-C gone
    import_orders(db_path, fewer);
    const auto stored = OrderReader(db_path).get("000000101");
    ASSERT_TRUE(stored);
    ASSERT_EQ(stored->items.size(), 2u);
    EXPECT_EQ(stored->items[1].sku, "SKU-B");
}

TEST_F(OrderStoreTest, ReimportRefusesToDropAShippedItemAndChangesNothing) {
    import_orders(db_path, sample("order_three_lines.json"));
    record_broker_changes(db_path);
    auto fewer = sample("order_three_lines.json");
    fewer[0].items.erase(fewer[0].items.begin());  // SKU-A, of which the broker shipped 1
    fewer[0].status = "complete";
    try {
        import_orders(db_path, fewer);
        FAIL() << "expected OrderImportError";
    } catch (const OrderImportError& e) {
        EXPECT_STREQ(e.what(),
                     "order 1 (000000101): items: item_id 301 (SKU-A) has 1 units shipped and "
                     "cannot be removed");
    }
    const auto stored = OrderReader(db_path).get("000000101");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->status, "processing");
    EXPECT_EQ(stored->items.size(), 3u);
}

TEST_F(OrderStoreTest, BatchIsAllOrNothing) {
    // A document with one invalid order never reaches the database.
    const std::string document = R"({"items": [
        {"increment_id": "A1", "state": "new", "status": "pending", "created_at": "2026-01-01 00:00:00",
         "items": [{"item_id": 1, "sku": "SKU-A", "qty_ordered": 1}]},
        {"increment_id": "A2", "state": "new", "status": "pending", "created_at": "2026-01-01 00:00:00",
         "items": [{"item_id": 2, "sku": "SKU-A", "qty_ordered": "0.5"}]}]})";
    EXPECT_THROW(parse_orders_json(document, "default"), OrderImportError);

    // An order the database refuses (here a state no parser lets through) rolls back the
    // orders written before it in the same call.
    import_orders(db_path, sample("order_three_lines.json"));
    auto batch = sample("orders_search_result.json");
    auto existing = sample("order_three_lines.json");
    existing[0].status = "complete";
    batch.insert(batch.begin(), existing[0]);
    batch.back().state = "shipped";
    EXPECT_THROW(import_orders(db_path, batch), storage::sqlite::SqliteError);

    OrderReader reader(db_path);
    EXPECT_EQ(increment_ids(reader.list({})), std::vector<std::string>{"000000101"});
    EXPECT_EQ(reader.get("000000101")->status, "processing");
}

TEST_F(OrderStoreTest, DuplicateIncrementIdInOneCallIsRefused) {
    auto twice = sample("order_three_lines.json");
    twice.push_back(twice[0]);
    try {
        import_orders(db_path, twice);
        FAIL() << "expected OrderImportError";
    } catch (const OrderImportError& e) {
        EXPECT_STREQ(e.what(), "order 2 (000000101): increment_id: duplicate");
    }
}

TEST_F(OrderStoreTest, ListIsNewestFirstWithStatusFilterAndLimit) {
    import_orders(db_path, sample("order_three_lines.json"));
    import_orders(db_path, sample("order_configurable.json"));
    const auto summary = import_orders(db_path, sample("orders_search_result.json"));
    EXPECT_EQ(summary.created, 2u);

    OrderReader reader(db_path);
    const auto all = reader.list({.status = std::nullopt, .limit = 0});
    EXPECT_EQ(increment_ids(all),
              (std::vector<std::string>{"000000104", "000000103", "000000102", "000000101"}));
    EXPECT_EQ(all[1].items.size(), 2u) << "items included";
    EXPECT_EQ(all[3].items.size(), 3u);

    EXPECT_EQ(increment_ids(reader.list({.status = "processing", .limit = 0})),
              (std::vector<std::string>{"000000103", "000000102", "000000101"}));
    EXPECT_EQ(increment_ids(reader.list({.status = "pending", .limit = 50})),
              std::vector<std::string>{"000000104"});
    EXPECT_TRUE(reader.list({.status = "holded", .limit = 0}).empty());
    EXPECT_EQ(increment_ids(reader.list({.status = std::nullopt, .limit = 2})),
              (std::vector<std::string>{"000000104", "000000103"}));
}

TEST_F(OrderStoreTest, SameCreationTimeListsTheLaterImportFirst) {
    auto orders = sample("orders_search_result.json");
    orders[1].created_at = orders[0].created_at;
    import_orders(db_path, orders);
    EXPECT_EQ(increment_ids(OrderReader(db_path).list({})),
              (std::vector<std::string>{"000000104", "000000103"}));
}

TEST_F(OrderStoreTest, ReaderOnMissingFileThrowsNamingThePathAndCreatesNothing) {
    try {
        OrderReader reader(db_path);
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string{e.what()}.find(db_path.string()), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(db_path));
}

TEST_F(OrderStoreTest, ReaderOnDatabaseWithoutOrdersSaysSo) {
    {
        Database db(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        storage::sqlite::migrate(db, storage::embedded_migrations().first(2));
    }
    try {
        OrderReader reader(db_path);
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(db_path.string()), std::string::npos) << what;
        EXPECT_NE(what.find("no orders in this database (schema version 2"), std::string::npos)
            << what;
    }
}

TEST_F(OrderStoreTest, ImportWaitsForAnotherWriter) {
    import_orders(db_path, sample("order_three_lines.json"));
    Database other(db_path, SQLITE_OPEN_READWRITE);
    auto lock = std::make_unique<storage::sqlite::Transaction>(
        other);  // BEGIN IMMEDIATE: holds the write lock

    const auto started = std::chrono::steady_clock::now();
    auto import = std::async(std::launch::async, [&] {
        return import_orders(db_path, sample("orders_search_result.json"));
    });
    EXPECT_EQ(import.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
        << "the import must wait for the lock, not fail";
    lock->commit();
    lock.reset();
    const auto summary = import.get();
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(300));
    EXPECT_EQ(summary.created, 2u);
    EXPECT_EQ(OrderReader(db_path).list({}).size(), 3u);
}

// POST /api/v1/orders in `serve`: the import is a job on the one writer, answered once durable;
// a refused document writes nothing and says why.
ImportResult import_through(storage::Writer& writer, std::vector<Order> orders) {
    std::promise<ImportResult> answer;
    import_orders(writer, std::move(orders),
                  [&](ImportResult result) { answer.set_value(std::move(result)); });
    return answer.get_future().get();
}

TEST_F(OrderStoreTest, ImportThroughTheWriterIsOneJobAndRefusalsWriteNothing) {
    storage::Writer writer(storage::WriterOptions{db_path});
    auto first = import_through(writer, sample("order_three_lines.json"));
    ASSERT_TRUE(std::holds_alternative<ImportSummary>(first));
    EXPECT_EQ(std::get<ImportSummary>(first).created, 1u);
    auto again = import_through(writer, sample("order_three_lines.json"));
    ASSERT_TRUE(std::holds_alternative<ImportSummary>(again));
    EXPECT_EQ(std::get<ImportSummary>(again).updated, 1u);

    // Shipped units cannot be dropped: refused whole, with the reason, and nothing changes.
    record_broker_changes(db_path);
    auto fewer = sample("order_three_lines.json");
    fewer.front().items.clear();
    const auto refused = import_through(writer, fewer);
    ASSERT_TRUE(std::holds_alternative<OrderImportError>(refused));
    EXPECT_NE(std::string{std::get<OrderImportError>(refused).what()}.find("units shipped"),
              std::string::npos);
    EXPECT_EQ(OrderReader(db_path).get("000000101")->items.size(), 3u);

    auto twice = sample("order_three_lines.json");
    twice.push_back(twice.front());
    EXPECT_THROW(import_orders(writer, twice, [](ImportResult) { FAIL() << "submitted"; }),
                 OrderImportError);

    writer.close();
    const auto closed = import_through(writer, sample("order_three_lines.json"));
    ASSERT_TRUE(std::holds_alternative<std::error_code>(closed));
    EXPECT_EQ(std::get<std::error_code>(closed), std::errc::operation_canceled);
}

}  // namespace
}  // namespace ofbridge::orders
