// libFuzzer target: Magento REST order documents (`orders import`, POST /api/v1/orders). A
// document is either parsed whole or refused with OrderImportError; nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ofbridge/orders/order_store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view json(reinterpret_cast<const char*>(data), size);
    try {
        (void)ofbridge::orders::parse_orders_json(json, "default");
    } catch (const ofbridge::orders::OrderImportError&) {
    }
    return 0;
}
