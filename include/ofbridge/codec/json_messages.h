// The Magento-2 REST (JSON) spelling of the OrderFlow operations: the same element names as
// the SOAP messages, as JSON keys. Decoded into the same wire structs as SOAP so validation is
// shared. Unknown keys are rejected (a misspelt key must not silently drop data).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "ofbridge/domain/wire.h"

namespace ofbridge::codec {

struct JsonError {
    std::string message;
};

template <typename T>
using JsonResult = std::variant<T, JsonError>;

JsonResult<domain::WireInventoryUpdate> decode_inventory_json(std::string_view body);
JsonResult<domain::WireShipmentCreate> decode_shipment_json(std::string_view body);
JsonResult<domain::WireExportAck> decode_export_json(std::string_view body, domain::Entity entity);
JsonResult<domain::WireCreateToken> decode_token_json(std::string_view body);

// The body as stored: exactly as received, except that the value of every key
// codec::is_secret_field names (case-insensitively, at any depth) is replaced by "***".
std::string mask_json_secrets(std::string_view body);

std::string json_string(std::string_view text);    // "text" with JSON escaping
std::string json_error(std::string_view message);  // {"message":"..."}

}  // namespace ofbridge::codec
