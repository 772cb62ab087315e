// ShipmentApplier: one shipment request's shipments, order quantities and state, dedupe key and
// import line (see shipment_applier.h).
//
// Why a shipment is never applied twice, with any number of workers and broker instances: the
// dedupe key is looked up and inserted inside RequestProcessor's BEGIN IMMEDIATE transaction, so
// the second of two identical requests always sees the first one's committed key; the primary
// key on shipment_keys is a second guard (a racing insert fails the attempt, which is retried
// and then finds the key). Shipments are additive: there is no "superseded", an earlier partial
// despatch that arrives late is planned against what remains, like any other.
#include "shipment_applier.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <tuple>

#include "ofbridge/storage/sha256.h"
#include "sql_helpers.h"

namespace ofbridge::worker::detail {
namespace {

constexpr std::string_view shipment_entity = "shipment";
constexpr std::string_view duplicate_message = "Duplicate Shipment Request Ignored.";

void append_field(std::string& out, std::string_view field) {
    out += std::to_string(field.size());
    out += ':';
    out += field;
    out += '\n';
}

std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

// The request's sources, distinct, in first-appearance order, joined for the import line.
std::string sources_of(const domain::ShipmentCreate& shipment) {
    std::vector<std::string_view> sources;
    for (const auto& item : shipment.items)
        if (std::find(sources.begin(), sources.end(), item.source) == sources.end())
            sources.push_back(item.source);
    std::string joined;
    for (const auto source : sources) {
        if (!joined.empty()) joined += ", ";
        joined += source;
    }
    return joined;
}

std::int64_t units_requested(const domain::ShipmentCreate& shipment) {
    std::int64_t total = 0;
    for (const auto& item : shipment.items) total += item.qty;
    return total;
}

}  // namespace

std::string shipment_dedupe_key(const domain::ShipmentCreate& shipment) {
    if (shipment.message_seq_id) return "seq:" + std::to_string(*shipment.message_seq_id);
    auto items = shipment.items;
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
        return std::tie(a.sku, a.source, a.qty) < std::tie(b.sku, b.source, b.qty);
    });
    std::string normalised;
    append_field(normalised, shipment.order_increment_id);
    append_field(normalised, std::to_string(items.size()));
    for (const auto& item : items) {
        append_field(normalised, item.sku);
        append_field(normalised, item.source);
        append_field(normalised, std::to_string(item.qty));
    }
    append_field(normalised, std::to_string(shipment.tracking_numbers.size()));
    for (const auto& track : shipment.tracking_numbers) append_field(normalised, track);
    append_field(normalised, shipment.courier_name);
    append_field(normalised, shipment.service_name);
    append_field(normalised, shipment.comment);
    append_field(normalised, shipment.email ? "1" : "0");
    append_field(normalised, shipment.include_comment ? "1" : "0");
    append_field(normalised, shipment.date_shipped);
    return "hash:" + storage::sha256_hex(normalised);
}

std::string carrier_title(const domain::ShipmentCreate& shipment) {
    return std::string{trim(std::string{trim(shipment.courier_name)} + " " +
                            std::string{trim(shipment.service_name)})};
}

ShipmentApplier::ShipmentApplier(storage::sqlite::Database& db, const WorkerOptions& options)
    : db_(db),
      options_(options),
      header_(db,
              "SELECT order_increment_id, comment, email, include_comment, courier_name,"
              " service_name, date_shipped, message_seq_id FROM shipment_requests"
              " WHERE request_id = ?1"),
      items_(db,
             "SELECT sku, qty, source FROM shipment_items WHERE request_id = ?1"
             " ORDER BY line_no"),
      tracks_(db,
              "SELECT tracking_number FROM shipment_tracks WHERE request_id = ?1"
              " ORDER BY line_no"),
      key_exists_(db,
                  "SELECT 1 FROM shipment_keys WHERE order_increment_id = ?1"
                  " AND dedupe_key = ?2"),
      order_(db, "SELECT id, state FROM orders WHERE increment_id = ?1"),
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

imports::ReportCounts ShipmentApplier::apply(std::int64_t request_id, const std::string& now_text,
                                             imports::ImportLog& log) {
    const auto shipment = load_request(request_id);
    const auto key = shipment_dedupe_key(shipment);
    const std::string sources = sources_of(shipment);

    domain::LineResult result = domain::LineResult::failure;
    std::string message;
    bool duplicate = false;
    {
        ResetOnExit reset(key_exists_);
        key_exists_.bind_no_copy(1, shipment.order_increment_id).bind_no_copy(2, key);
        duplicate = key_exists_.step();
    }
    std::int64_t order_id = 0;
    if (duplicate) {
        result = domain::LineResult::duplicate;
        message = duplicate_message;
    } else if (auto order = load_order(shipment.order_increment_id, order_id); !order) {
        message = domain::order_not_found_message(shipment.order_increment_id);
    } else {
        const auto planned =
            domain::plan_shipment(*order, shipment.items, options_.configurable_rule);
        if (const auto* refusal = std::get_if<domain::ShipmentRefusal>(&planned)) {
            message = refusal->message;
        } else {
            write_plan(request_id, order_id, shipment, std::get<domain::ShipmentPlan>(planned),
                       now_text);
            result = domain::LineResult::success;
            message = "Order " + printable(shipment.order_increment_id) + " successfully shipped.";
        }
    }

    imports::ImportLineRecord line;
    line.line_no = 1;
    line.sequence_id = shipment.message_seq_id;
    line.reference = shipment.order_increment_id;
    line.source = sources;
    line.result = result;
    line.message = message;
    line.units_received = units_requested(shipment);
    return log.write(request_id, shipment_entity, {line}, now_text);
}

domain::ShipmentCreate ShipmentApplier::load_request(std::int64_t request_id) {
    domain::ShipmentCreate s;
    {
        ResetOnExit reset(header_);
        header_.bind(1, request_id);
        // Ingest stores the header with the request in one transaction: a missing one is
        // corrupt data, which fails the attempt (retried, then dead) instead of guessing.
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

std::optional<domain::OrderToShip> ShipmentApplier::load_order(const std::string& increment_id,
                                                               std::int64_t& order_id) {
    domain::OrderToShip order;
    order.increment_id = increment_id;
    {
        ResetOnExit reset(order_);
        order_.bind_no_copy(1, increment_id);
        if (!order_.step()) return std::nullopt;
        order_id = order_.column_int64(0);
        order.state = order_.column_text(1);
    }
    ResetOnExit reset(order_lines_);
    order_lines_.bind(1, order_id);
    while (order_lines_.step()) {
        domain::OrderLine line;
        line.item_id = order_lines_.column_int64(0);
        line.parent_item_id = order_lines_.column_optional_int64(1);
        line.sku = order_lines_.column_text(2);
        line.product_type = order_lines_.column_text(3);
        line.qty_ordered = order_lines_.column_int64(4);
        line.qty_shipped = order_lines_.column_int64(5);
        line.qty_canceled = order_lines_.column_int64(6);
        order.lines.push_back(std::move(line));
    }
    return order;
}

void ShipmentApplier::write_plan(std::int64_t request_id, std::int64_t order_id,
                                 const domain::ShipmentCreate& shipment,
                                 const domain::ShipmentPlan& plan, const std::string& now_text) {
    const std::string carrier = carrier_title(shipment);
    for (const auto& planned : plan.shipments) {
        std::int64_t shipment_id = 0;
        {
            ResetOnExit reset(insert_shipment_);
            insert_shipment_.bind(1, order_id)
                .bind(2, request_id)
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
        for (const auto& track : shipment.tracking_numbers) {
            if (trim(track).empty()) continue;
            insert_track_.bind(1, shipment_id)
                .bind(2, ++line_no)
                .bind_no_copy(3, track)
                .bind_no_copy(4, carrier)
                .run();
        }
    }
    {
        ResetOnExit reset(add_shipped_);
        for (const auto& increment : plan.increments)
            add_shipped_.bind(1, order_id).bind(2, increment.item_id).bind(3, increment.qty).run();
    }
    {
        ResetOnExit reset(set_order_state_);
        set_order_state_.bind(1, order_id)
            .bind(2, plan.order_complete ? "complete" : "processing")
            .run();
    }
    ResetOnExit reset(insert_key_);
    insert_key_.bind_no_copy(1, shipment.order_increment_id)
        .bind(2, shipment_dedupe_key(shipment))
        .bind(3, request_id)
        .bind_no_copy(4, now_text)
        .run();
}

}  // namespace ofbridge::worker::detail
