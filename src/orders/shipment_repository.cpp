// ShipmentRepository: the shipments and order rows a shipment apply reads and writes (see
// shipment_repository.h).
#include "ofbridge/orders/shipment_repository.h"

#include "ofbridge/storage/sqlite/database.h"

namespace ofbridge::orders {

using storage::sqlite::ResetOnExit;

ShipmentRepository::ShipmentRepository(storage::sqlite::Database& db)
    : db_(db),
      key_exists_(db,
                  "SELECT 1 FROM shipment_keys WHERE order_increment_id = ?1"
                  " AND dedupe_key = ?2"),
      order_(db, "SELECT id, state, entity_id FROM orders WHERE increment_id = ?1"),
      order_lines_(db,
                   "SELECT item_id, parent_item_id, sku, product_type, qty_ordered, qty_shipped,"
                   " qty_canceled FROM order_items WHERE order_id = ?1 ORDER BY item_id"),
      insert_shipment_(db,
                       "INSERT INTO shipments (order_id, request_id, source, comment,"
                       " notify_customer, include_comment, date_shipped, created_at)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
      insert_line_(db,
                   "INSERT INTO shipment_lines (shipment_id, line_no, order_item_id, sku, qty)"
                   " VALUES (?1, ?2, ?3, ?4, ?5)"),
      insert_track_(db,
                    "INSERT INTO shipment_tracking (shipment_id, line_no, track_number,"
                    " carrier_title) VALUES (?1, ?2, ?3, ?4)"),
      add_shipped_(db,
                   "UPDATE order_items SET qty_shipped = qty_shipped + ?3"
                   " WHERE order_id = ?1 AND item_id = ?2"),
      // updated_at is left alone: it is Magento's, and the order import compares against it.
      set_order_state_(db, "UPDATE orders SET state = ?2, status = ?2 WHERE id = ?1"),
      insert_key_(db,
                  "INSERT INTO shipment_keys (order_increment_id, dedupe_key,"
                  " shipment_request_id, created_at) VALUES (?1, ?2, ?3, ?4)") {}

bool ShipmentRepository::has_key(std::string_view order_increment_id, std::string_view dedupe_key) {
    ResetOnExit reset(key_exists_);
    key_exists_.bind_no_copy(1, order_increment_id).bind_no_copy(2, dedupe_key);
    return key_exists_.step();
}

std::optional<StoredOrder> ShipmentRepository::find_order(const std::string& increment_id) {
    StoredOrder stored;
    stored.order.increment_id = increment_id;
    {
        ResetOnExit reset(order_);
        order_.bind_no_copy(1, increment_id);
        if (!order_.step()) return std::nullopt;
        stored.id = order_.column_int64(0);
        stored.order.state = order_.column_text(1);
        stored.entity_id = order_.column_optional_int64(2);
    }
    ResetOnExit reset(order_lines_);
    order_lines_.bind(1, stored.id);
    while (order_lines_.step()) {
        domain::OrderLine line;
        line.item_id = order_lines_.column_int64(0);
        line.parent_item_id = order_lines_.column_optional_int64(1);
        line.sku = order_lines_.column_text(2);
        line.product_type = order_lines_.column_text(3);
        line.qty_ordered = order_lines_.column_int64(4);
        line.qty_shipped = order_lines_.column_int64(5);
        line.qty_canceled = order_lines_.column_int64(6);
        stored.order.lines.push_back(std::move(line));
    }
    return stored;
}

void ShipmentRepository::record(const domain::ShipmentCreate& shipment,
                                const domain::ShipmentPlan& plan, const ShipmentRecord& record,
                                const std::string& now_text) {
    for (const auto& planned : plan.shipments) {
        std::int64_t shipment_id = 0;
        {
            ResetOnExit reset(insert_shipment_);
            insert_shipment_.bind(1, record.order_id)
                .bind(2, record.request_id)
                .bind_no_copy(3, planned.source)
                .bind_no_copy(4, shipment.comment)
                .bind(5, shipment.email)
                .bind(6, shipment.include_comment)
                .bind_no_copy(7, shipment.date_shipped)
                .bind_no_copy(8, now_text)
                .run();
            shipment_id = db_.last_insert_rowid();
        }
        {
            ResetOnExit reset(insert_line_);
            std::int64_t line_no = 0;
            for (const auto& item : planned.items)
                insert_line_.bind(1, shipment_id)
                    .bind(2, ++line_no)
                    .bind(3, item.order_item_id)
                    .bind_no_copy(4, item.sku)
                    .bind(5, item.qty)
                    .run();
        }
        ResetOnExit reset(insert_track_);
        std::int64_t line_no = 0;
        for (const auto track : record.tracks)
            insert_track_.bind(1, shipment_id)
                .bind(2, ++line_no)
                .bind_no_copy(3, track)
                .bind_no_copy(4, record.carrier_title)
                .run();
    }
    {
        ResetOnExit reset(add_shipped_);
        for (const auto& increment : plan.increments)
            add_shipped_.bind(1, record.order_id)
                .bind(2, increment.item_id)
                .bind(3, increment.qty)
                .run();
    }
    {
        ResetOnExit reset(set_order_state_);
        set_order_state_.bind(1, record.order_id)
            .bind(2, plan.order_complete ? "complete" : "processing")
            .run();
    }
    ResetOnExit reset(insert_key_);
    insert_key_.bind_no_copy(1, shipment.order_increment_id)
        .bind_no_copy(2, record.dedupe_key)
        .bind(3, record.request_id)
        .bind_no_copy(4, now_text)
        .run();
}

}  // namespace ofbridge::orders
