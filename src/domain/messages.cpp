#include "ofbridge/domain/messages.h"
#include "ofbridge/domain/overloaded.h"

namespace ofbridge::domain {

Entity entity_of(const Message& m) {
    return std::visit(overloaded{[](const InventoryUpdate&) { return Entity::inventory; },
                                 [](const ShipmentCreate&) { return Entity::shipment; },
                                 [](const ExportAck& a) { return a.entity; }},
                      m);
}

std::string message_key(const Message& m) {
    return std::visit(
        overloaded{[](const InventoryUpdate& u) { return std::to_string(u.message_seq_id); },
                   [](const ShipmentCreate& s) {
                       return s.message_seq_id ? std::to_string(*s.message_seq_id) : std::string{};
                   },
                   [](const ExportAck& a) { return a.reference; }},
        m);
}

// A shipment without messageSeqId gets "Success - Message  Received", which is what the
// reference PHP extension's string concatenation sends; clients match on the "Success" prefix.
std::string success_reply(const Message& m) {
    return "Success - Message " + message_key(m) + " Received";
}

}  // namespace ofbridge::domain
