// Turns wire messages into validated ones. Pure: no I/O, no clock, no locale.
//
// This is the one validation every route goes through (Ingest::submit calls it for SOAP and
// JSON alike), so a value refused on one wire style is refused on all of them.
//
// Rules (DESIGN §2): integers are canonical decimal text (optional sign, no spaces, no
// exponent, no hex); text is UTF-8 without control characters (identifiers such as SKUs,
// sources and references take none at all, free text keeps tab, CR and LF); M1 items pair by
// position, falling back to SKU when keys disagree; M2 items pair by SKU. Every error says
// where (element path) and what was expected.
//
// Two kinds of wrong (DESIGN §2.3):
//   - malformed: a missing required field, a value not of its declared type (qty `ninety`), a
//     limit exceeded, a forbidden character -> ValidationError, a Client fault; nothing stored;
//   - well-typed but refused by the rules: a qty item without a seq (or a seq item without a
//     qty item), seq <= 0, qty out of range -> a valid message whose line carries the reason
//     in InventoryLine::failure; the worker reports it as a Failure line and applies the rest.
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

enum class TextKind {
    identifier,  // SKU, source, order increment id, reference, lastOrderExported: no controls
    free_text,   // comments, names, tracking numbers, dates: tab, CR and LF allowed
};

// What is wrong with `text` as a value of that kind, or nullopt: invalid UTF-8, a C0 or C1
// control character or DEL (except tab/CR/LF in free text), U+FFFE/U+FFFF. Says which
// character and at which byte, never echoing the character itself.
std::optional<std::string> text_problem(std::string_view text, TextKind kind);

// Canonical integer text -> value, or nullopt. Accepts "-12", "+3", "007"; rejects " 7", "1e3",
// "0x10", "", overflow. `allow_integral_decimal` also accepts "5.0000" (Magento's decimal qty).
std::optional<std::int64_t> parse_integer(std::string_view text,
                                          bool allow_integral_decimal = false);

}  // namespace ofbridge::domain
