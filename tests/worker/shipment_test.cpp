// Shipment requests through the worker (DESIGN §3.3), on real SQLite files with orders inserted
// by SQL: the issue's story step by step (partial with two tracks, re-delivery, the rest ->
// complete), every refusal changing nothing, several sources, the configurable rule, late
// partials, reprocess, and 8 concurrent deliveries of one shipment to 4 workers.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "ofbridge/imports/import_reader.h"
#include "ofbridge/orders/shipment_reader.h"
#include "ofbridge/worker/request_processor.h"
#include "worker_fixtures.h"

namespace ofbridge::worker {
namespace {

using testing::query_int;
using testing::query_text;
using testing::state_of;
using testing::TempDir;
using testing::TestClock;

// An order whose state and status are both `state`.
void insert_order(const std::filesystem::path& path, const std::string& increment_id,
                  const std::string& state, const std::vector<testing::OrderItemRow>& items) {
    testing::insert_order(path, {.increment_id = increment_id, .status = state, .state = state},
                          items);
}

domain::ShipmentCreate shipment(std::string order, std::vector<domain::ShipmentItem> items,
                                std::optional<std::int64_t> seq) {
    domain::ShipmentCreate s;
    s.order_increment_id = std::move(order);
    s.items = std::move(items);
    s.tracking_numbers = {"TOP-1", "TRACK-2"};
    s.comment = "Left with neighbour";
    s.email = true;
    s.include_comment = true;
    s.courier_name = "DPD";
    s.service_name = "Next Day ";
    s.date_shipped = "2027-01-15";
    s.message_seq_id = seq;
    return s;
}

class ShipmentTest : public ::testing::Test {
protected:
    std::filesystem::path path() const { return dir.file("broker.db"); }
    WorkerOptions options() const { return testing::options_for(path(), &clock); }

    // Stores the request with a body of its own (so ingest never collapses two of them).
    std::int64_t add(const domain::ShipmentCreate& s) {
        return queue.add_with_body(s, "<shipment n=\"" + std::to_string(++bodies) + "\"/>");
    }

    // Applies one request through a fresh claim; returns its single import line.
    imports::ImportLine apply(RequestProcessor& p, std::int64_t request_id) {
        const auto batch = p.claim(100);
        const auto outcomes = p.apply(batch.requests);
        for (const auto& o : outcomes)
            if (o.request_id == request_id) {
                EXPECT_EQ(o.state, "done");
                EXPECT_EQ(o.entity, "shipment");
                imports::ImportReader reader(path());
                const auto report = reader.get_import(o.report_id);
                if (!report || report->lines.size() != 1)
                    throw std::runtime_error("no single import line");
                EXPECT_EQ(report->summary.entity, "shipment");
                return report->lines.front();
            }
        throw std::runtime_error("request " + std::to_string(request_id) + " was not applied");
    }

    std::int64_t shipped(const std::string& order, std::int64_t item_id) {
        return query_int(path(),
                         "SELECT qty_shipped FROM order_items i JOIN orders o ON o.id ="
                         " i.order_id WHERE o.increment_id = '" +
                             order + "' AND item_id = " + std::to_string(item_id));
    }
    std::string order_state(const std::string& order) {
        return query_text(
            path(),
            "SELECT state || '/' || status FROM orders WHERE increment_id = '" + order + "'");
    }
    std::int64_t shipment_count() { return query_int(path(), "SELECT count(*) FROM shipments"); }

    // Everything a shipment can change, as one comparable text.
    std::string snapshot() {
        return query_text(path(),
                          "SELECT (SELECT count(*) FROM shipments) || ',' ||"
                          " (SELECT count(*) FROM shipment_lines) || ',' ||"
                          " (SELECT count(*) FROM shipment_tracking) || ',' ||"
                          " (SELECT count(*) FROM shipment_keys) || ',' ||"
                          " (SELECT group_concat(qty_shipped) FROM order_items) || ',' ||"
                          " (SELECT group_concat(state || status) FROM orders)");
    }

    TempDir dir;
    TestClock clock;
    testing::Queue queue{path()};
    int bodies = 0;
};

const std::string order_id = "000000123";

TEST_F(ShipmentTest, TheIssueStoryPartialDuplicateThenComplete) {
    RequestProcessor p(options(), "test/1");
    insert_order(path(), order_id, "processing", {{1, "A", 3}, {2, "B", 1}, {3, "C", 2}});

    // Line 1, partly, with two tracking numbers.
    const auto first = add(shipment(order_id, {{"A", 2, "default"}}, 41));
    auto line = apply(p, first);
    EXPECT_EQ(line.result, "Success");
    EXPECT_EQ(line.message, "Order 000000123 successfully shipped.");
    EXPECT_EQ(line.sequence_id, 41);
    EXPECT_EQ(line.reference, order_id);
    EXPECT_EQ(line.source, "default");
    EXPECT_EQ(line.units_received, 2);
    EXPECT_EQ(order_state(order_id), "processing/processing");
    EXPECT_EQ(shipped(order_id, 1), 2);

    orders::ShipmentReader reader(path());
    const auto list = reader.list_shipments(order_id, 0);
    ASSERT_EQ(list.size(), 1u);
    const auto s = reader.get_shipment(list[0].id);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->header.order_increment_id, order_id);
    EXPECT_EQ(s->header.request_id, first);
    EXPECT_EQ(s->header.source, "default");
    EXPECT_EQ(s->header.comment, "Left with neighbour");
    EXPECT_TRUE(s->header.notify_customer);
    EXPECT_TRUE(s->header.include_comment);
    EXPECT_EQ(s->header.date_shipped, "2027-01-15");
    EXPECT_EQ(s->header.created_at, "2027-01-15T08:00:00.000Z");
    ASSERT_EQ(s->lines.size(), 1u);
    EXPECT_EQ(s->lines[0].order_item_id, 1);
    EXPECT_EQ(s->lines[0].sku, "A");
    EXPECT_EQ(s->lines[0].qty, 2);
    ASSERT_EQ(s->tracks.size(), 2u);
    EXPECT_EQ(s->tracks[0].number, "TOP-1");
    EXPECT_EQ(s->tracks[1].number, "TRACK-2");
    EXPECT_EQ(s->tracks[0].carrier_title, "DPD Next Day");

    // Re-delivered (same messageSeqId, a different body so the queue stored it again).
    line = apply(p, add(shipment(order_id, {{"A", 2, "default"}}, 41)));
    EXPECT_EQ(line.result, "Duplicate");
    EXPECT_EQ(line.message, "Duplicate Shipment Request Ignored.");
    EXPECT_EQ(shipment_count(), 1);
    EXPECT_EQ(shipped(order_id, 1), 2);

    // Without a messageSeqId, the same content twice: the second is the duplicate.
    const auto unnumbered = shipment(order_id, {{"A", 1, "default"}}, std::nullopt);
    line = apply(p, add(unnumbered));
    EXPECT_EQ(line.result, "Success");
    EXPECT_FALSE(line.sequence_id.has_value());
    line = apply(p, add(unnumbered));
    EXPECT_EQ(line.result, "Duplicate");
    EXPECT_EQ(shipment_count(), 2);
    EXPECT_EQ(shipped(order_id, 1), 3);

    // The rest in one message: the order is complete.
    line = apply(p, add(shipment(order_id, {{"B", 1, "default"}, {"C", 2, "default"}}, 42)));
    EXPECT_EQ(line.result, "Success");
    EXPECT_EQ(line.units_received, 3);
    EXPECT_EQ(order_state(order_id), "complete/complete");
    EXPECT_EQ(shipment_count(), 3);
    EXPECT_EQ(reader.list_shipments(order_id, 0).front().id, 3);  // newest first
    EXPECT_EQ(reader.list_shipments(std::nullopt, 1).size(), 1u);
    EXPECT_TRUE(reader.list_shipments("000000999", 0).empty());
    EXPECT_FALSE(reader.get_shipment(99));
}

TEST_F(ShipmentTest, EveryRefusalIsItsOwnFailureAndChangesNothing) {
    RequestProcessor p(options(), "test/1");
    insert_order(path(), order_id, "processing", {{1, "SKU-A", 4}, {2, "B", 1}});
    insert_order(path(), "000000200", "canceled", {{1, "A", 1}});
    insert_order(path(), "000000300", "holded", {{1, "A", 1}});
    insert_order(path(), "000000400", "closed", {{1, "A", 1}});
    // One unit already shipped, so the arithmetic in the message is visible.
    ASSERT_EQ(apply(p, add(shipment(order_id, {{"SKU-A", 1, "default"}}, 1))).result, "Success");

    const std::vector<std::pair<domain::ShipmentCreate, std::string>> cases{
        {shipment(order_id, {{"SKU-A", 5, "default"}}, 2),
         "Cannot ship 5 x 'SKU-A' on order 000000123: only 3 remain unshipped (ordered 4, "
         "shipped 1, canceled 0)."},
        {shipment("000000999", {{"A", 1, "default"}}, 3), "Order 000000999 not found."},
        {shipment(order_id, {{"B", 1, "default"}, {"NOPE", 1, "default"}}, 4),
         "SKU 'NOPE' is not on order 000000123."},
        {shipment("000000200", {{"A", 1, "default"}}, 5),
         "Order 000000200 is canceled and cannot be shipped."},
        {shipment("000000300", {{"A", 1, "default"}}, 6),
         "Order 000000300 is on hold and cannot be shipped."},
        {shipment("000000400", {{"A", 1, "default"}}, 7),
         "Order 000000400 is closed and cannot be shipped."},
        {shipment(order_id, {}, 8), "No items to ship: skuQty is empty."},
        {shipment(order_id, {{"B", 0, "default"}}, 9), "No items to ship: skuQty is empty."},
    };
    std::int64_t on_hold = 0;
    for (const auto& [request, message] : cases) {
        const auto before = snapshot();
        const auto id = add(request);
        if (request.order_increment_id == "000000300") on_hold = id;
        const auto line = apply(p, id);
        EXPECT_EQ(line.result, "Failure") << message;
        EXPECT_EQ(line.message, message);
        EXPECT_EQ(line.reference, request.order_increment_id);
        EXPECT_EQ(snapshot(), before) << message;
        EXPECT_EQ(state_of(path(), id), "done");  // a refusal is a result, not a retry
    }
    imports::ImportReader reader(path());
    EXPECT_EQ(reader.list_imports({"shipment", "Failure", 0}).size(), cases.size());
    // A refused request left no dedupe key: once the order allows it, a reprocess applies it.
    testing::exec(path(),
                  "UPDATE orders SET state = 'processing' WHERE increment_id = '000000300'");
    const auto retried = reprocess_request(options(), on_hold);
    EXPECT_EQ(reader.get_import(retried.report_id)->lines.at(0).result, "Success");
}

TEST_F(ShipmentTest, SeveralSourcesMakeOneShipmentEach) {
    RequestProcessor p(options(), "test/1");
    insert_order(path(), order_id, "processing", {{1, "A", 2}, {2, "B", 1}});
    const auto line = apply(
        p, add(shipment(order_id, {{"A", 1, "north"}, {"B", 1, "south"}, {"A", 1, "north"}}, 1)));
    EXPECT_EQ(line.result, "Success");
    EXPECT_EQ(line.source, "north, south");
    EXPECT_EQ(line.units_received, 3);
    orders::ShipmentReader reader(path());
    const auto list = reader.list_shipments(order_id, 0);
    ASSERT_EQ(list.size(), 2u);
    const auto north = reader.get_shipment(list[1].id);
    const auto south = reader.get_shipment(list[0].id);
    EXPECT_EQ(north->header.source, "north");
    ASSERT_EQ(north->lines.size(), 1u);
    EXPECT_EQ(north->lines[0].qty, 2);
    EXPECT_EQ(south->header.source, "south");
    EXPECT_EQ(south->lines[0].order_item_id, 2);
    EXPECT_EQ(south->tracks.size(), 2u);  // every shipment of the despatch carries its tracks
    EXPECT_EQ(order_state(order_id), "complete/complete");
}

TEST_F(ShipmentTest, ConfigurableChildSkuShipsAgainstTheParentLineUnderTheParentRule) {
    const std::vector<testing::OrderItemRow> items{
        {.item_id = 10, .sku = "SHIRT", .ordered = 2, .type = "configurable"},
        {.item_id = 11, .sku = "SHIRT-RED-M", .ordered = 2, .parent = 10}};
    insert_order(path(), order_id, "processing", items);
    insert_order(path(), "000000124", "processing", items);
    {
        RequestProcessor p(options(), "test/1");
        EXPECT_EQ(apply(p, add(shipment(order_id, {{"SHIRT-RED-M", 2, "default"}}, 1))).result,
                  "Success");
    }
    orders::ShipmentReader reader(path());
    auto s = reader.get_shipment(reader.list_shipments(order_id, 0).at(0).id);
    EXPECT_EQ(s->lines.at(0).order_item_id, 10);
    EXPECT_EQ(s->lines.at(0).sku, "SHIRT-RED-M");
    EXPECT_EQ(shipped(order_id, 10), 2);
    EXPECT_EQ(shipped(order_id, 11), 2);
    EXPECT_EQ(order_state(order_id), "complete/complete");

    auto child_rule = options();
    child_rule.configurable_rule = domain::ConfigurableRule::child;
    RequestProcessor p(child_rule, "test/2");
    EXPECT_EQ(apply(p, add(shipment("000000124", {{"SHIRT-RED-M", 2, "default"}}, 1))).result,
              "Success");
    s = reader.get_shipment(reader.list_shipments("000000124", 0).at(0).id);
    EXPECT_EQ(s->lines.at(0).order_item_id, 11);
    EXPECT_EQ(shipped("000000124", 10), 0);
    EXPECT_EQ(shipped("000000124", 11), 2);
    EXPECT_EQ(order_state("000000124"), "complete/complete");
}

TEST_F(ShipmentTest, AnEarlierPartialArrivingLateIsStillApplied) {
    RequestProcessor p(options(), "test/1");
    insert_order(path(), order_id, "processing", {{1, "A", 1}, {2, "B", 1}});
    EXPECT_EQ(apply(p, add(shipment(order_id, {{"B", 1, "default"}}, 50))).result, "Success");
    EXPECT_EQ(apply(p, add(shipment(order_id, {{"A", 1, "default"}}, 49))).result, "Success");
    EXPECT_EQ(shipment_count(), 2);
    EXPECT_EQ(order_state(order_id), "complete/complete");
}

TEST_F(ShipmentTest, ReprocessOfAnAppliedShipmentIsADuplicate) {
    RequestProcessor p(options(), "test/1");
    insert_order(path(), order_id, "processing", {{1, "A", 2}});
    const auto id = add(shipment(order_id, {{"A", 1, "default"}}, 7));
    ASSERT_EQ(apply(p, id).result, "Success");
    const auto result = reprocess_request(options(), id);
    imports::ImportReader reader(path());
    EXPECT_EQ(reader.get_import(result.report_id)->lines.at(0).result, "Duplicate");
    EXPECT_EQ(shipment_count(), 1);
    EXPECT_EQ(shipped(order_id, 1), 1);
}

TEST_F(ShipmentTest, SameShipmentDeliveredEightTimesToFourWorkersShipsOnce) {
    insert_order(path(), order_id, "processing", {{1, "A", 5}});
    auto o = options();
    o.workers = 4;
    o.batch_size = 1;  // spread the copies over the workers
    o.clock = {};      // real time: the pool sleeps on it
    Metrics metrics;
    std::vector<std::int64_t> ids(8);
    {
        WorkerPool pool(o, metrics);
        std::vector<std::thread> senders;
        for (int i = 0; i < 8; ++i)
            senders.emplace_back([&, i] {
                ids[static_cast<std::size_t>(i)] =
                    queue.add_with_body(shipment(order_id, {{"A", 2, "default"}}, 77),
                                        "<shipment copy=\"" + std::to_string(i) + "\"/>");
            });
        for (auto& t : senders) t.join();
        pool.notify();
        ASSERT_TRUE(testing::eventually([&] { return metrics.requests_done.load() == 8; }));
    }
    std::set<std::int64_t> distinct(ids.begin(), ids.end());
    EXPECT_EQ(distinct.size(), 8u);  // eight stored requests, not collapsed by ingest
    EXPECT_EQ(shipment_count(), 1);
    EXPECT_EQ(shipped(order_id, 1), 2);
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM import_lines WHERE result = 'Success'"), 1);
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM import_lines WHERE result = 'Duplicate'"), 7);
    EXPECT_EQ(metrics.lines_applied.load(), 1u);
    EXPECT_EQ(metrics.lines_duplicate.load(), 7u);
}

}  // namespace
}  // namespace ofbridge::worker
