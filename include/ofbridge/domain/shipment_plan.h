// How a shipment request becomes shipments of an order (DESIGN §3.3), as one pure function: no
// I/O, no clock. The worker loads the order, calls plan_shipment, and either writes the plan or
// records the refusal; nothing else decides what is shipped.
//
// Which order line ships (carries the quantity):
//   - a plain line ships itself;
//   - configurable parent P with its simple child C: rule `parent` (Magento's way) ships P, and
//     qty_shipped is recorded on both P and C; rule `child` ships C only (P is left alone);
//   - any other parent (bundle): its children ship themselves, the parent carries nothing.
// A requested SKU matches every order line with that SKU, each resolved to the line that ships
// for it (so the child's SKU finds its configurable parent under `parent`, and Magento's
// parent line, which repeats the child's SKU, finds the child under `child`). When several
// lines match, they are filled in item_id order.
//
// Refusals, the first found in this order (exact wording in shipment_plan.cpp):
//   no items (skuQty empty, or every qty 0), order state (canceled, holded, closed,
//   payment_review), a negative qty, a SKU not on the order, a SKU whose total requested qty
//   exceeds what remains unshipped on its lines.
// The order is complete afterwards when no line that ships has anything left to ship.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ofbridge/domain/messages.h"

namespace ofbridge::domain {

enum class ConfigurableRule { parent, child };

struct OrderLine {
    std::int64_t item_id = 0;  // Magento order item id
    std::optional<std::int64_t> parent_item_id;
    std::string sku;
    std::string product_type = "simple";
    std::int64_t qty_ordered = 0;
    std::int64_t qty_shipped = 0;
    std::int64_t qty_canceled = 0;
};

struct OrderToShip {
    std::string increment_id;
    std::string state;  // Magento state: new, processing, complete, closed, canceled, holded, ...
    std::vector<OrderLine> lines;
};

struct PlannedItem {
    std::int64_t order_item_id = 0;  // the line that ships
    std::string sku;                 // as requested
    std::int64_t qty = 0;
};

// One shipment per source, in the order the sources first appear in the request.
struct PlannedShipment {
    std::string source;
    std::vector<PlannedItem> items;
};

struct QtyShippedIncrement {
    std::int64_t item_id = 0;
    std::int64_t qty = 0;
};

struct ShipmentPlan {
    std::vector<PlannedShipment> shipments;
    std::vector<QtyShippedIncrement> increments;  // ascending item_id, one per line touched
    bool order_complete = false;
};

struct ShipmentRefusal {
    std::string message;
};

using ShipmentPlanResult = std::variant<ShipmentPlan, ShipmentRefusal>;

ShipmentPlanResult plan_shipment(const OrderToShip& order, const std::vector<ShipmentItem>& items,
                                 ConfigurableRule rule);

// The refusal for an order that does not exist (the planner never sees one).
std::string order_not_found_message(const std::string& increment_id);

}  // namespace ofbridge::domain
