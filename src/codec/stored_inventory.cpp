// expand_inventory: stored body -> domain::InventoryUpdate (see stored_inventory.h).
#include "ofbridge/codec/stored_inventory.h"

#include "ofbridge/codec/json_messages.h"

namespace ofbridge::codec {
namespace {

std::variant<domain::InventoryUpdate, ExpandError> validated(
    const domain::WireInventoryUpdate& wire) {
    auto v = domain::validate(wire, widest_limits());
    if (auto* error = std::get_if<domain::ValidationError>(&v))
        return ExpandError{"the stored body no longer validates: " + error->message};
    return std::get<domain::InventoryUpdate>(std::move(v));
}

}  // namespace

soap::GateLimits widest_gate_limits() {
    soap::GateLimits limits;
    limits.max_depth = 1024;
    limits.max_attributes_per_element = 4096;
    limits.max_namespace_declarations = 4096;
    limits.max_elements = 10'000'000;
    limits.max_text_bytes = 16 * 1024 * 1024;
    return limits;  // max_name_bytes is not configurable: its default is what receipt used
}

domain::Limits widest_limits() {
    domain::Limits limits;
    limits.max_sku_length = 1024;
    limits.max_lines = 1'000'000;
    return limits;  // max_text_length, max_abs_qty are not configurable
}

std::variant<domain::InventoryUpdate, ExpandError> expand_inventory(std::string_view wire,
                                                                    std::string_view body) {
    if (wire == "m2_json") {
        auto decoded = decode_inventory_json(body);
        if (auto* error = std::get_if<JsonError>(&decoded))
            return ExpandError{"the stored JSON body no longer decodes: " + error->message};
        return validated(std::get<domain::WireInventoryUpdate>(decoded));
    }
    if (wire != "m1_soap" && wire != "m2_soap")
        return ExpandError{"the stored request has an unknown wire '" + std::string(wire) + "'"};
    auto decoded = soap::decode(body, {}, {}, widest_gate_limits());
    if (auto* fault = std::get_if<soap::Fault>(&decoded))
        return ExpandError{"the stored SOAP body no longer decodes: " + fault->message};
    const auto& request = std::get<soap::DecodedRequest>(decoded);
    const auto expected = wire == "m1_soap" ? soap::Style::m1_rpc : soap::Style::m2_document;
    const auto* update = std::get_if<domain::WireInventoryUpdate>(&request.message);
    if (!update || request.style != expected)
        return ExpandError{"the stored body is not an inventory update of wire " +
                           std::string(wire) + " (operation " + request.operation + ")"};
    return validated(*update);
}

}  // namespace ofbridge::codec
