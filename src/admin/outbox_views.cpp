#include "ofbridge/admin/outbox_views.h"

#include <boost/json.hpp>

#include "ofbridge/admin/text_table.h"

namespace ofbridge::admin {
namespace json = boost::json;
namespace {

std::string optional_text(const std::optional<std::int64_t>& v) {
    return v ? std::to_string(*v) : std::string{};
}

json::value optional_json(const std::optional<std::int64_t>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace

std::string outbox_table(const std::vector<outbox::OutboxRow>& rows) {
    TextTable table({"ID", "STORE", "KIND", "STATE", "REFERENCE", "SOURCE", "SEQ", "QTY", "REQUEST",
                     "SHIPMENT", "ATTEMPTS", "NEXT_ATTEMPT", "UPDATED", "MESSAGE"});
    for (const auto& r : rows)
        table.add_row({std::to_string(r.id), r.store_code, r.kind, r.state, r.reference, r.source,
                       optional_text(r.seq), optional_text(r.qty), optional_text(r.request_id),
                       optional_text(r.magento_shipment_id), std::to_string(r.attempts),
                       r.state == "waiting" ? r.next_attempt_at : std::string{}, r.updated_at,
                       r.message});
    return table.render();
}

std::string outbox_json(const std::vector<outbox::OutboxRow>& rows) {
    json::array out;
    for (const auto& r : rows)
        out.push_back(json::object{
            {"id", r.id},
            {"store", r.store_code},
            {"kind", r.kind},
            {"state", r.state},
            {"reference", r.reference},
            {"source", r.source},
            {"seq", optional_json(r.seq)},
            {"qty", optional_json(r.qty)},
            {"request_id", optional_json(r.request_id)},
            {"magento_shipment_id", optional_json(r.magento_shipment_id)},
            {"resend_after",
             r.resend_after.empty() ? json::value(nullptr) : json::value(r.resend_after)},
            {"attempts", r.attempts},
            {"next_attempt_at", r.next_attempt_at},
            {"message", r.message},
            {"created_at", r.created_at},
            {"updated_at", r.updated_at},
            {"delivered_at",
             r.delivered_at.empty() ? json::value(nullptr) : json::value(r.delivered_at)}});
    return json::serialize(json::object{{"outbox", std::move(out)}}) + "\n";
}

}  // namespace ofbridge::admin
