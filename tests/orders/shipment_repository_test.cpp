// ShipmentRepository on a real, migrated SQLite file with one imported order: the order as a
// plan needs it, and what recording a planned shipment writes (shipment, lines, tracks,
// qty_shipped, the order's state, the dedupe key).
#include "ofbridge/orders/shipment_repository.h"

#include <gtest/gtest.h>

#include "ofbridge/orders/order_store.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "temp_dir.h"

namespace ofbridge::orders {
namespace {

using storage::testing::TempDir;

class ShipmentRepositoryTest : public ::testing::Test {
protected:
    void SetUp() override {
        import_orders(path(), parse_orders_json(R"({"increment_id": "000000101",
            "state": "new", "status": "pending", "created_at": "2027-01-01 00:00:00",
            "items": [{"item_id": 11, "sku": "A", "qty_ordered": 3},
                      {"item_id": 12, "sku": "B", "qty_ordered": 1}]})",
                                                "default"));
        // Foreign keys off (SQLite's default): the shipment names request 42, which this test
        // does not store; the repository itself never reads requests.
        db.emplace(storage::open_writable(path(), 0, std::chrono::seconds(1)));
    }
    std::filesystem::path path() const { return dir.file("broker.db"); }

    TempDir dir;
    std::optional<storage::sqlite::Database> db;
};

TEST_F(ShipmentRepositoryTest, FindsTheOrderWithItsLinesByItemId) {
    ShipmentRepository shipments(*db);
    EXPECT_FALSE(shipments.find_order("000000999"));
    const auto stored = shipments.find_order("000000101");
    ASSERT_TRUE(stored);
    EXPECT_GT(stored->id, 0);
    EXPECT_EQ(stored->order.increment_id, "000000101");
    EXPECT_EQ(stored->order.state, "new");
    ASSERT_EQ(stored->order.lines.size(), 2u);
    EXPECT_EQ(stored->order.lines[0].item_id, 11);
    EXPECT_EQ(stored->order.lines[0].qty_ordered, 3);
    EXPECT_EQ(stored->order.lines[1].sku, "B");
}

TEST_F(ShipmentRepositoryTest, RecordsAPlannedShipmentAndItsKey) {
    ShipmentRepository shipments(*db);
    const auto stored = shipments.find_order("000000101");
    ASSERT_TRUE(stored);
    EXPECT_FALSE(shipments.has_key("000000101", "seq:7"));

    domain::ShipmentCreate request;
    request.order_increment_id = "000000101";
    request.comment = "left at the door";
    request.email = true;
    domain::ShipmentPlan plan;
    plan.shipments = {{"north", {{11, "A", 2}}}};
    plan.increments = {{11, 2}};
    plan.order_complete = false;
    ShipmentRecord record;
    record.request_id = 42;
    record.order_id = stored->id;
    record.dedupe_key = "seq:7";
    record.carrier_title = "DPD Next Day";
    record.tracks = {"T1", "T2"};
    shipments.record(request, plan, record, "2027-01-02T00:00:00.000Z");

    EXPECT_TRUE(shipments.has_key("000000101", "seq:7"));
    EXPECT_FALSE(shipments.has_key("000000102", "seq:7"));
    EXPECT_EQ(db->query_int64("SELECT qty_shipped FROM order_items WHERE item_id = 11"), 2);
    EXPECT_EQ(db->query_int64("SELECT qty_shipped FROM order_items WHERE item_id = 12"), 0);
    EXPECT_EQ(db->query_int64("SELECT count(*) FROM orders WHERE state = 'processing'"
                              " AND status = 'processing'"),
              1);
    EXPECT_EQ(db->query_int64("SELECT count(*) FROM shipments WHERE request_id = 42"
                              " AND source = 'north' AND notify_customer = 1"),
              1);
    EXPECT_EQ(db->query_int64("SELECT count(*) FROM shipment_lines WHERE order_item_id = 11"
                              " AND qty = 2"),
              1);
    EXPECT_EQ(db->query_int64("SELECT count(*) FROM shipment_tracking"
                              " WHERE carrier_title = 'DPD Next Day'"),
              2);
}

}  // namespace
}  // namespace ofbridge::orders
