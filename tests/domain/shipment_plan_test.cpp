// plan_shipment: every refusal with its exact message, partial and complete shipments, several
// sources, several lines with one SKU, and both configurable rules (plus bundles).
#include "ofbridge/domain/shipment_plan.h"

#include <gtest/gtest.h>

namespace ofbridge::domain {
namespace {

OrderLine simple(std::int64_t id, std::string sku, std::int64_t ordered, std::int64_t shipped = 0,
                 std::int64_t canceled = 0) {
    OrderLine l;
    l.item_id = id;
    l.sku = std::move(sku);
    l.qty_ordered = ordered;
    l.qty_shipped = shipped;
    l.qty_canceled = canceled;
    return l;
}

OrderLine child_of(std::int64_t parent, OrderLine l) {
    l.parent_item_id = parent;
    return l;
}

OrderLine typed(std::string type, OrderLine l) {
    l.product_type = std::move(type);
    return l;
}

OrderToShip order(std::vector<OrderLine> lines, std::string state = "processing") {
    return OrderToShip{"000000123", std::move(state), std::move(lines)};
}

ShipmentItem item(std::string sku, std::int64_t qty, std::string source = "default") {
    return ShipmentItem{std::move(sku), qty, std::move(source)};
}

ShipmentPlan planned(const ShipmentPlanResult& r) {
    if (const auto* refusal = std::get_if<ShipmentRefusal>(&r))
        throw std::runtime_error("refused: " + refusal->message);
    return std::get<ShipmentPlan>(r);
}

std::string refused(const ShipmentPlanResult& r) {
    if (const auto* refusal = std::get_if<ShipmentRefusal>(&r)) return refusal->message;
    return "(planned)";
}

std::int64_t increment_of(const ShipmentPlan& p, std::int64_t item_id) {
    for (const auto& i : p.increments)
        if (i.item_id == item_id) return i.qty;
    return 0;
}

const auto parent = ConfigurableRule::parent;
const auto child = ConfigurableRule::child;

TEST(ShipmentPlan, PartialShipmentOfOneLineLeavesTheOrderOpen) {
    const auto o = order({simple(1, "A", 4), simple(2, "B", 1), simple(3, "C", 2)});
    const auto p = planned(plan_shipment(o, {item("A", 3)}, parent));
    ASSERT_EQ(p.shipments.size(), 1u);
    EXPECT_EQ(p.shipments[0].source, "default");
    ASSERT_EQ(p.shipments[0].items.size(), 1u);
    EXPECT_EQ(p.shipments[0].items[0].order_item_id, 1);
    EXPECT_EQ(p.shipments[0].items[0].sku, "A");
    EXPECT_EQ(p.shipments[0].items[0].qty, 3);
    ASSERT_EQ(p.increments.size(), 1u);
    EXPECT_EQ(increment_of(p, 1), 3);
    EXPECT_FALSE(p.order_complete);
}

TEST(ShipmentPlan, ShippingWhatRemainsCompletesTheOrder) {
    const auto o = order({simple(1, "A", 4, 3), simple(2, "B", 1), simple(3, "C", 2, 0, 1)});
    const auto p = planned(plan_shipment(o, {item("A", 1), item("B", 1), item("C", 1)}, parent));
    EXPECT_TRUE(p.order_complete);
    EXPECT_EQ(increment_of(p, 1), 1);
    EXPECT_EQ(increment_of(p, 2), 1);
    EXPECT_EQ(increment_of(p, 3), 1);
}

TEST(ShipmentPlan, CanceledUnitsNeedNoShippingForCompletion) {
    const auto o = order({simple(1, "A", 2), simple(2, "B", 3, 0, 3)});
    EXPECT_TRUE(planned(plan_shipment(o, {item("A", 2)}, parent)).order_complete);
}

TEST(ShipmentPlan, OrderStatesThatCannotBeShipped) {
    const std::vector<OrderLine> lines{simple(1, "A", 1)};
    EXPECT_EQ(refused(plan_shipment(order(lines, "canceled"), {item("A", 1)}, parent)),
              "Order 000000123 is canceled and cannot be shipped.");
    EXPECT_EQ(refused(plan_shipment(order(lines, "holded"), {item("A", 1)}, parent)),
              "Order 000000123 is on hold and cannot be shipped.");
    EXPECT_EQ(refused(plan_shipment(order(lines, "closed"), {item("A", 1)}, parent)),
              "Order 000000123 is closed and cannot be shipped.");
    EXPECT_EQ(refused(plan_shipment(order(lines, "payment_review"), {item("A", 1)}, parent)),
              "Order 000000123 is in payment review and cannot be shipped.");
    for (const auto* state : {"new", "pending_payment", "processing"})
        EXPECT_NO_THROW(planned(plan_shipment(order(lines, state), {item("A", 1)}, parent)))
            << state;
}

TEST(ShipmentPlan, SkuNotOnTheOrder) {
    EXPECT_EQ(
        refused(plan_shipment(order({simple(1, "A", 1)}), {item("A", 1), item("X", 1)}, parent)),
        "SKU 'X' is not on order 000000123.");
}

TEST(ShipmentPlan, QuantityBeyondWhatRemainsNamesTheNumbers) {
    const auto o = order({simple(1, "SKU-A", 4, 1)});
    EXPECT_EQ(refused(plan_shipment(o, {item("SKU-A", 5)}, parent)),
              "Cannot ship 5 x 'SKU-A' on order 000000123: only 3 remain unshipped (ordered 4, "
              "shipped 1, canceled 0).");
    const auto one_left = order({simple(1, "SKU-A", 4, 2, 1)});
    EXPECT_EQ(refused(plan_shipment(one_left, {item("SKU-A", 2)}, parent)),
              "Cannot ship 2 x 'SKU-A' on order 000000123: only 1 remain unshipped (ordered 4, "
              "shipped 2, canceled 1).");
    const auto none_left = order({simple(1, "SKU-A", 2, 2)});
    EXPECT_EQ(refused(plan_shipment(none_left, {item("SKU-A", 1)}, parent)),
              "Cannot ship 1 x 'SKU-A' on order 000000123: nothing remains unshipped (ordered 2, "
              "shipped 2, canceled 0).");
}

TEST(ShipmentPlan, LinesOfOneSkuAreCheckedTogether) {
    const auto o = order({simple(1, "A", 3)});
    EXPECT_EQ(refused(plan_shipment(o, {item("A", 2, "north"), item("A", 2, "south")}, parent)),
              "Cannot ship 4 x 'A' on order 000000123: only 3 remain unshipped (ordered 3, "
              "shipped 0, canceled 0).");
}

TEST(ShipmentPlan, EmptyAndAllZeroRequestsAreRefused) {
    const auto o = order({simple(1, "A", 1)});
    EXPECT_EQ(refused(plan_shipment(o, {}, parent)), "No items to ship: skuQty is empty.");
    EXPECT_EQ(refused(plan_shipment(o, {item("A", 0), item("X", 0)}, parent)),
              "No items to ship: skuQty is empty.");
    // Checked before the order's state.
    EXPECT_EQ(refused(plan_shipment(order({simple(1, "A", 1)}, "canceled"), {}, parent)),
              "No items to ship: skuQty is empty.");
}

TEST(ShipmentPlan, ZeroQtyLinesAreIgnoredEvenForUnknownSkus) {
    const auto p = planned(plan_shipment(
        order({simple(1, "A", 2)}), {item("X", 0), item("A", 2), item("A", 0, "north")}, parent));
    ASSERT_EQ(p.shipments.size(), 1u);
    EXPECT_EQ(p.shipments[0].source, "default");
    EXPECT_TRUE(p.order_complete);
}

TEST(ShipmentPlan, NegativeQuantityIsRefused) {
    EXPECT_EQ(refused(plan_shipment(order({simple(1, "A", 2)}), {item("A", -1)}, parent)),
              "Invalid quantity -1 for SKU 'A' on order 000000123.");
}

TEST(ShipmentPlan, OneShipmentPerSourceInFirstAppearanceOrder) {
    const auto o = order({simple(1, "A", 2), simple(2, "B", 2)});
    const auto p = planned(plan_shipment(
        o, {item("A", 1, "north"), item("B", 2, "default"), item("A", 1, "north")}, parent));
    ASSERT_EQ(p.shipments.size(), 2u);
    EXPECT_EQ(p.shipments[0].source, "north");
    ASSERT_EQ(p.shipments[0].items.size(), 1u);  // the two A lines are one shipment item
    EXPECT_EQ(p.shipments[0].items[0].qty, 2);
    EXPECT_EQ(p.shipments[1].source, "default");
    EXPECT_EQ(p.shipments[1].items[0].order_item_id, 2);
    EXPECT_TRUE(p.order_complete);
}

TEST(ShipmentPlan, SeveralLinesWithOneSkuAreFilledInItemIdOrder) {
    const auto o = order({simple(7, "A", 2, 1), simple(3, "A", 2), simple(9, "A", 5)});
    const auto p = planned(plan_shipment(o, {item("A", 3)}, parent));
    ASSERT_EQ(p.shipments[0].items.size(), 2u);
    EXPECT_EQ(p.shipments[0].items[0].order_item_id, 3);
    EXPECT_EQ(p.shipments[0].items[0].qty, 2);
    EXPECT_EQ(p.shipments[0].items[1].order_item_id, 7);
    EXPECT_EQ(p.shipments[0].items[1].qty, 1);
    EXPECT_EQ(increment_of(p, 9), 0);
    EXPECT_FALSE(p.order_complete);
    EXPECT_EQ(refused(plan_shipment(o, {item("A", 9)}, parent)),
              "Cannot ship 9 x 'A' on order 000000123: only 8 remain unshipped (ordered 9, "
              "shipped 1, canceled 0).");
}

// Magento's configurable line repeats the chosen simple's SKU; the child line has it too.
OrderToShip configurable_order(std::int64_t child_shipped = 0) {
    return order({typed("configurable", simple(10, "SHIRT-M", 2, child_shipped)),
                  child_of(10, simple(11, "SHIRT-M", 2, child_shipped)), simple(12, "SOCKS", 1)});
}

TEST(ShipmentPlan, ParentRuleShipsAgainstTheConfigurableLineAndRecordsBoth) {
    const auto p = planned(plan_shipment(configurable_order(), {item("SHIRT-M", 2)}, parent));
    ASSERT_EQ(p.shipments[0].items.size(), 1u);
    EXPECT_EQ(p.shipments[0].items[0].order_item_id, 10);
    EXPECT_EQ(p.shipments[0].items[0].qty, 2);
    EXPECT_EQ(increment_of(p, 10), 2);
    EXPECT_EQ(increment_of(p, 11), 2);
    EXPECT_FALSE(p.order_complete);  // SOCKS remain
}

TEST(ShipmentPlan, ParentRuleFindsTheParentFromAChildSkuItDoesNotShare) {
    const auto o = order({typed("configurable", simple(10, "SHIRT", 1)),
                          child_of(10, simple(11, "SHIRT-RED-M", 1))});
    const auto p = planned(plan_shipment(o, {item("SHIRT-RED-M", 1)}, parent));
    EXPECT_EQ(p.shipments[0].items[0].order_item_id, 10);
    EXPECT_EQ(p.shipments[0].items[0].sku, "SHIRT-RED-M");
    EXPECT_EQ(increment_of(p, 10), 1);
    EXPECT_EQ(increment_of(p, 11), 1);
    EXPECT_TRUE(p.order_complete);
}

TEST(ShipmentPlan, ChildRuleShipsAgainstTheChildOnly) {
    const auto p =
        planned(plan_shipment(configurable_order(), {item("SHIRT-M", 2), item("SOCKS", 1)}, child));
    EXPECT_EQ(p.shipments[0].items[0].order_item_id, 11);
    EXPECT_EQ(increment_of(p, 11), 2);
    EXPECT_EQ(increment_of(p, 10), 0);
    EXPECT_TRUE(p.order_complete);  // the parent's own qty_shipped is not waited for
}

TEST(ShipmentPlan, ChildRuleMapsTheParentsOwnSkuToItsChild) {
    const auto o = order({typed("configurable", simple(10, "SHIRT", 1)),
                          child_of(10, simple(11, "SHIRT-RED-M", 1))});
    const auto p = planned(plan_shipment(o, {item("SHIRT", 1)}, child));
    EXPECT_EQ(p.shipments[0].items[0].order_item_id, 11);
}

TEST(ShipmentPlan, ConfigurableRemainderIsTheShippingLines) {
    EXPECT_EQ(refused(plan_shipment(configurable_order(2), {item("SHIRT-M", 1)}, parent)),
              "Cannot ship 1 x 'SHIRT-M' on order 000000123: nothing remains unshipped (ordered "
              "2, shipped 2, canceled 0).");
}

TEST(ShipmentPlan, BundleChildrenShipThemselvesAndTheParentIsNotWaitedFor) {
    const auto o =
        order({typed("bundle", simple(20, "KIT", 1)), child_of(20, simple(21, "KIT-CABLE", 2)),
               child_of(20, simple(22, "KIT-PLUG", 1))});
    for (const auto rule : {parent, child}) {
        const auto p = planned(plan_shipment(o, {item("KIT-CABLE", 2), item("KIT-PLUG", 1)}, rule));
        EXPECT_EQ(p.shipments[0].items[0].order_item_id, 21);
        EXPECT_EQ(increment_of(p, 20), 0);
        EXPECT_TRUE(p.order_complete);
    }
    EXPECT_EQ(refused(plan_shipment(o, {item("KIT", 1)}, parent)),
              "SKU 'KIT' is not on order 000000123.");
}

TEST(ShipmentPlan, SkusInMessagesAreMadePrintable) {
    EXPECT_EQ(refused(plan_shipment(order({simple(1, "A", 1)}), {item("X\nY", 1)}, parent)),
              "SKU 'X?Y' is not on order 000000123.");
}

TEST(ShipmentPlan, NotFoundMessage) {
    EXPECT_EQ(order_not_found_message("000000123"), "Order 000000123 not found.");
}

}  // namespace
}  // namespace ofbridge::domain
