// libFuzzer target: the REST (JSON) spelling of the OrderFlow operations. Every decoder sees every
// input; masking (what is stored) must accept anything a decoder accepted and be idempotent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "ofbridge/codec/json_messages.h"

namespace {

template <typename T>
bool accepted(const ofbridge::codec::JsonResult<T>& result) {
    return std::holds_alternative<T>(result);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ofbridge::codec;
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    // Every decoder runs on every input (no short-circuit), so each is fuzzed on all of them.
    int accepted_by = 0;
    accepted_by += accepted(decode_inventory_json(body));
    accepted_by += accepted(decode_shipment_json(body));
    accepted_by += accepted(decode_export_json(body, ofbridge::domain::Entity::product_export));
    accepted_by += accepted(decode_export_json(body, ofbridge::domain::Entity::order_export));
    accepted_by += accepted(decode_token_json(body));
    if (accepted_by > 0) {
        const auto masked = mask_json_secrets(body);
        if (mask_json_secrets(masked) != masked) std::abort();
    }
    (void)json_string(body);
    (void)json_error(body);
    return 0;
}
