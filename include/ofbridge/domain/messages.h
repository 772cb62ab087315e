// Validated messages: what the queue stores and the worker applies. Every value here has passed
// domain/validation.h, so consumers never re-check ranges or required fields. The one exception
// is an inventory line the rules refuse (DESIGN §2.3): it is stored with its reason in
// `failure` and becomes a Failure line of the import report, so the rest of the message is
// still applied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ofbridge/domain/entity.h"

namespace ofbridge::domain {

inline constexpr std::string_view default_source = "default";

struct InventoryLine {
    std::string sku;
    std::string source{default_source};
    std::int64_t qty = 0;             // units; OrderFlow stock records are whole units
    std::int64_t seq = 0;             // > 0 unless `failure` says otherwise (0 = none sent)
    std::string last_order_exported;  // as sent (ISO-8601 date-time), empty when absent
    // Why the rules refuse this line ("" = they do not): no seq, seq <= 0, qty out of range, a
    // seq item without a qty item (then qty is 0). Such a line takes no part in the sequence
    // decision and changes no stock.
    std::string failure;
};

struct InventoryUpdate {
    std::int64_t message_seq_id = 0;
    std::vector<InventoryLine> lines;
};

struct ShipmentItem {
    std::string sku;
    std::int64_t qty = 0;  // > 0
    std::string source{default_source};
};

struct ShipmentCreate {
    std::string order_increment_id;
    std::vector<ShipmentItem> items;
    std::vector<std::string> tracking_numbers;  // top-level trackingNumber first, then tracks/item
    std::string comment;
    bool email = false;            // notify the customer
    bool include_comment = false;  // put the comment in that e-mail
    std::string courier_name;
    std::string service_name;
    std::string date_shipped;  // as sent, empty when absent
    std::optional<std::int64_t> message_seq_id;
};

struct ExportAck {
    Entity entity = Entity::product_export;  // product_export or order_export
    std::string reference;                   // SKU or order increment id
};

using Message = std::variant<InventoryUpdate, ShipmentCreate, ExportAck>;

Entity entity_of(const Message& m);

// The key a re-delivery is recognised by, as text ("" when the message carries none).
std::string message_key(const Message& m);

// "Success - Message <key> Received": the reply the WMS waits for, sent only once durable.
std::string success_reply(const Message& m);

}  // namespace ofbridge::domain
