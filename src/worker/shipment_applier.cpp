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
#include <boost/json.hpp>
#include <set>
#include <stdexcept>
#include <tuple>

#include "ofbridge/storage/sha256.h"
#include "printable.h"

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

// "ofbridge:<request id>" in the shipment's comment finds it again in Magento (GET V1/shipments)
// after an unknown outcome; a request shipping from several sources makes one call per source,
// each marked "ofbridge:<request id>/<source>".
std::string shipment_marker(std::int64_t request_id, const std::string& source, bool several) {
    std::string marker = "ofbridge:" + std::to_string(request_id);
    if (several) marker += "/" + source;
    return marker;
}

// The POST V1/order/<entity_id>/ship body (notes §1.4) without `arguments`, which the delivery
// adds with the mapped source code.
outbox::ShipmentIntent magento_intent(const std::string& store, std::int64_t request_id,
                                      std::int64_t entity_id,
                                      const domain::ShipmentCreate& shipment,
                                      const domain::PlannedShipment& planned, bool several_sources,
                                      const orders::ShipmentRecord& record) {
    outbox::ShipmentIntent intent;
    intent.store_code = store;
    intent.request_id = request_id;
    intent.order_increment_id = shipment.order_increment_id;
    intent.order_entity_id = entity_id;
    intent.source = planned.source;
    intent.marker = shipment_marker(request_id, planned.source, several_sources);
    boost::json::array items;
    for (const auto& item : planned.items) {
        items.push_back({{"order_item_id", item.order_item_id}, {"qty", item.qty}});
        if (std::find(intent.skus.begin(), intent.skus.end(), item.sku) == intent.skus.end())
            intent.skus.push_back(item.sku);
    }
    boost::json::array tracks;
    const std::string title =
        record.carrier_title.empty() ? std::string("Tracking") : std::string(record.carrier_title);
    for (const auto track : record.tracks)
        tracks.push_back({{"track_number", track}, {"title", title}, {"carrier_code", "custom"}});
    std::string comment = shipment.comment;
    if (!comment.empty()) comment += "\n";
    comment += intent.marker;
    boost::json::object body{
        {"items", std::move(items)},
        {"notify", shipment.email},
        {"appendComment", true},
        {"comment",
         {{"comment", comment}, {"is_visible_on_front", shipment.include_comment ? 1 : 0}}},
        {"tracks", std::move(tracks)}};
    intent.body = boost::json::serialize(body);
    return intent;
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
    : options_(options), payloads_(db), shipments_(db), outbox_(db) {}

imports::ReportCounts ShipmentApplier::apply(std::int64_t request_id, const std::string& now_text,
                                             imports::ImportLog& log) {
    const auto shipment = payloads_.shipment(request_id);
    const auto key = shipment_dedupe_key(shipment);
    const std::string sources = sources_of(shipment);
    std::string magento_store;
    if (!options_.magento2_stores.empty()) {
        auto store = outbox_.store_of_request(request_id);
        if (std::find(options_.magento2_stores.begin(), options_.magento2_stores.end(), store) !=
            options_.magento2_stores.end())
            magento_store = std::move(store);
    }

    domain::LineResult result = domain::LineResult::failure;
    std::string message;
    if (shipments_.has_key(shipment.order_increment_id, key)) {
        result = domain::LineResult::duplicate;
        message = duplicate_message;
    } else if (const auto stored = shipments_.find_order(shipment.order_increment_id); !stored) {
        message = domain::order_not_found_message(shipment.order_increment_id);
    } else if (!magento_store.empty() && !stored->entity_id) {
        // Magento ships by entity_id; an order imported without one cannot be shipped there.
        message = "Order " + printable(shipment.order_increment_id) +
                  " has no Magento entity_id: it cannot be shipped in Magento.";
    } else {
        const auto planned =
            domain::plan_shipment(stored->order, shipment.items, options_.configurable_rule);
        if (const auto* refusal = std::get_if<domain::ShipmentRefusal>(&planned)) {
            message = refusal->message;
        } else {
            const std::string carrier = carrier_title(shipment);
            orders::ShipmentRecord record;
            record.request_id = request_id;
            record.order_id = stored->id;
            record.dedupe_key = key;
            record.carrier_title = carrier;
            for (const auto& track : shipment.tracking_numbers)
                if (!trim(track).empty()) record.tracks.push_back(track);
            const auto& plan = std::get<domain::ShipmentPlan>(planned);
            shipments_.record(shipment, plan, record, now_text);
            if (!magento_store.empty())
                for (const auto& planned_shipment : plan.shipments)
                    outbox_.stage_shipment(
                        magento_intent(magento_store, request_id, *stored->entity_id, shipment,
                                       planned_shipment, plan.shipments.size() > 1, record),
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

}  // namespace ofbridge::worker::detail
