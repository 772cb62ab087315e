// Turns wire messages into validated ones. Pure: no I/O, no clock, no locale.
//
// Rules (DESIGN §2): integers are canonical decimal text (optional sign, no spaces, no
// exponent, no hex) within range; M1 items pair by position, falling back to SKU when keys
// disagree; M2 items pair by SKU; a qty item without a seq item (or the reverse) is an error
// naming the SKU. Every error says where (element path) and what was expected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "ofbridge/domain/messages.h"
#include "ofbridge/domain/wire.h"

namespace ofbridge::domain {

struct ValidationError {
    std::string message;
};

template <typename T>
using Validated = std::variant<T, ValidationError>;

struct Limits {
    std::size_t max_sku_length = 64;
    std::size_t max_text_length = 1024;  // comments, names, tracking numbers
    std::size_t max_lines = 10000;       // items per message
    std::int64_t max_abs_qty = 1'000'000'000;
};

// Outcome notes that do not make a message invalid (logged by the caller).
struct InventoryNotes {
    bool paired_by_sku_fallback = false;
};

Validated<InventoryUpdate> validate(const WireInventoryUpdate& in, const Limits& limits,
                                    InventoryNotes* notes = nullptr);
Validated<ShipmentCreate> validate(const WireShipmentCreate& in, const Limits& limits);
Validated<ExportAck> validate(const WireExportAck& in, const Limits& limits);

// Canonical integer text -> value, or nullopt. Accepts "-12", "+3", "007"; rejects " 7", "1e3",
// "0x10", "", overflow. `allow_integral_decimal` also accepts "5.0000" (Magento's decimal qty).
std::optional<std::int64_t> parse_integer(std::string_view text,
                                          bool allow_integral_decimal = false);

}  // namespace ofbridge::domain
