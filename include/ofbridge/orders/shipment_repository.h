// Shipments of the local target and what they change on an order (shipments, shipment_lines,
// shipment_tracking, shipment_keys: schemas/sqlite/004; order_items.qty_shipped and the order's
// state: 003): the write side the worker's shipment applier uses inside the request's
// savepoint. The plan is the domain's (shipment_plan.h) and the dedupe key the applier's; this
// only reads and writes rows. Statements are prepared once, on the connection it is given, and
// used by that connection's one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ofbridge/domain/messages.h"
#include "ofbridge/domain/shipment_plan.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::orders {

// An order as a shipment plan needs it, with its row id.
struct StoredOrder {
    std::int64_t id = 0;
    domain::OrderToShip order;
    std::optional<std::int64_t> entity_id;  // Magento's id (what the magento2 target ships by)
};

// What record() writes for one applied shipment request.
struct ShipmentRecord {
    std::int64_t request_id = 0;
    std::int64_t order_id = 0;             // StoredOrder::id
    std::string_view dedupe_key;           // stored in shipment_keys
    std::string_view carrier_title;        // on every track
    std::vector<std::string_view> tracks;  // the tracking numbers to store, in order
};

class ShipmentRepository {
public:
    explicit ShipmentRepository(storage::sqlite::Database& db);

    // Whether a shipment request with this dedupe key was applied to the order already.
    bool has_key(std::string_view order_increment_id, std::string_view dedupe_key);

    // The order with its lines (by item id); nullopt when there is no such order.
    std::optional<StoredOrder> find_order(const std::string& increment_id);

    // Writes one shipment per planned source (its lines and `record.tracks`), adds the plan's
    // increments to order_items.qty_shipped, sets the order's state and status (complete or
    // processing) and stores the dedupe key.
    void record(const domain::ShipmentCreate& shipment, const domain::ShipmentPlan& plan,
                const ShipmentRecord& record, const std::string& now_text);

private:
    storage::sqlite::Database& db_;
    storage::sqlite::Statement key_exists_, order_, order_lines_, insert_shipment_, insert_line_,
        insert_track_, add_shipped_, set_order_state_, insert_key_;
};

}  // namespace ofbridge::orders
