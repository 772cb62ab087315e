// RequestPayloads: the shipment_requests / shipment_items / shipment_tracks reads of an apply and
// the expansion of an inventory request's stored body (see request_payloads.h).
#include "ofbridge/queue/request_payloads.h"

#include <stdexcept>
#include <string>

#include "ofbridge/codec/stored_inventory.h"

namespace ofbridge::queue {

using storage::sqlite::ResetOnExit;

RequestPayloads::RequestPayloads(storage::sqlite::Database& db)
    : header_(db,
              "SELECT order_increment_id, comment, email, include_comment, courier_name,"
              " service_name, date_shipped, message_seq_id FROM shipment_requests"
              " WHERE request_id = ?1"),
      items_(db,
             "SELECT sku, qty, source FROM shipment_items WHERE request_id = ?1"
             " ORDER BY line_no"),
      tracks_(db,
              "SELECT tracking_number FROM shipment_tracks WHERE request_id = ?1"
              " ORDER BY line_no"),
      ack_(db, "SELECT entity, reference FROM export_acks WHERE request_id = ?1"),
      body_(db,
            "SELECT r.wire, b.raw_body FROM requests r"
            " LEFT JOIN request_bodies b ON b.request_id = r.id WHERE r.id = ?1") {}

domain::InventoryUpdate RequestPayloads::inventory(std::int64_t request_id) {
    ResetOnExit reset(body_);
    body_.bind(1, request_id);
    const auto name = "inventory request " + std::to_string(request_id);
    if (!body_.step()) throw std::runtime_error(name + " does not exist");
    if (body_.is_null(1))
        throw std::runtime_error(name +
                                 " has no stored body (log retention removed it): its lines"
                                 " cannot be expanded");
    auto expanded = codec::expand_inventory(body_.column_text_view(0), body_.column_text_view(1));
    if (auto* error = std::get_if<codec::ExpandError>(&expanded))
        throw std::runtime_error(name + ": " + error->message);
    return std::get<domain::InventoryUpdate>(std::move(expanded));
}

domain::ShipmentCreate RequestPayloads::shipment(std::int64_t request_id) {
    domain::ShipmentCreate s;
    {
        ResetOnExit reset(header_);
        header_.bind(1, request_id);
        // A missing header fails the attempt (retried, then dead) instead of guessing.
        if (!header_.step())
            throw std::runtime_error("shipment request " + std::to_string(request_id) +
                                     " has no stored header (shipment_requests)");
        s.order_increment_id = header_.column_text(0);
        s.comment = header_.column_text(1);
        s.email = header_.column_int64(2) != 0;
        s.include_comment = header_.column_int64(3) != 0;
        s.courier_name = header_.column_text(4);
        s.service_name = header_.column_text(5);
        s.date_shipped = header_.column_text(6);
        s.message_seq_id = header_.column_optional_int64(7);
    }
    {
        ResetOnExit reset(items_);
        items_.bind(1, request_id);
        while (items_.step())
            s.items.push_back(domain::ShipmentItem{items_.column_text(0), items_.column_int64(1),
                                                   items_.column_text(2)});
    }
    ResetOnExit reset(tracks_);
    tracks_.bind(1, request_id);
    while (tracks_.step()) s.tracking_numbers.push_back(tracks_.column_text(0));
    return s;
}

domain::ExportAck RequestPayloads::export_ack(std::int64_t request_id) {
    ResetOnExit reset(ack_);
    ack_.bind(1, request_id);
    if (!ack_.step())
        throw std::runtime_error("export request " + std::to_string(request_id) +
                                 " has no stored reference (export_acks)");
    const auto entity = ack_.column_text(0);
    domain::ExportAck ack;
    ack.entity =
        entity == "order_export" ? domain::Entity::order_export : domain::Entity::product_export;
    ack.reference = ack_.column_text(1);
    return ack;
}

}  // namespace ofbridge::queue
