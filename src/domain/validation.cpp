// Wire text -> validated messages. Every error names the element path and, where there is
// one, the SKU, because the WMS operator reads these faults to find the bad record.
#include "ofbridge/domain/validation.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>

namespace ofbridge::domain {
namespace {

// Wire text inside a fault string: at most 40 bytes, cut at a character boundary, with control
// bytes spelled \xHH, so the fault itself stays valid XML/JSON text on one line.
std::string quoted(std::string_view s) {
    constexpr std::size_t shown = 40;
    std::size_t end = std::min(s.size(), shown);
    while (end < s.size() && end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    std::string out = "'";
    for (const char c : s.substr(0, end)) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) {
            constexpr char hex[] = "0123456789ABCDEF";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xF];
        } else {
            out += c;
        }
    }
    if (end < s.size()) out += "...";
    out += "'";
    return out;
}

ValidationError error(std::string message) {
    return ValidationError{std::move(message)};
}

// Where a value sits in the message: "skusQty/item[3]/value (SKU 'A')". Spelled out only when
// an error needs it; validation runs for every item of every message, faults are rare.
struct FieldPath {
    std::string_view array;  // empty for a field outside the item arrays
    std::size_t index = 0;
    std::string_view field;
    const WireText* sku = nullptr;  // the item's SKU, named when present

    // Implicit, so a top-level field is passed by name: check_text(text, "comment", ...).
    FieldPath(std::string_view top_level_field) : field(top_level_field) {}
    FieldPath(const char* top_level_field) : field(top_level_field) {}
    FieldPath(std::string_view array_name, std::size_t item_index, std::string_view field_name,
              const WireText* item_sku = nullptr)
        : array(array_name), index(item_index), field(field_name), sku(item_sku) {}

    std::string str() const {
        std::string out;
        if (!array.empty())
            out.append(array).append("/item[").append(std::to_string(index + 1)).append("]/");
        out.append(field);
        if (sku && *sku && !(*sku)->empty()) out += " (SKU " + quoted(**sku) + ")";
        return out;
    }
};

// Text: present and not blank when required, not longer than `max`, only characters its kind
// allows.
std::optional<ValidationError> check_text(const WireText& text, const FieldPath& path,
                                          std::size_t max, bool required,
                                          TextKind kind = TextKind::identifier) {
    if (!text || text->find_first_not_of(" \t\r\n") == std::string::npos) {
        if (required) return error(path.str() + " is missing");
        return std::nullopt;
    }
    if (text->size() > max)
        return error(path.str() + " is longer than " + std::to_string(max) + " bytes");
    if (auto problem = text_problem(*text, kind)) return error(path.str() + ": " + *problem);
    return std::nullopt;
}

bool blank(const WireText& text) {
    return !text || text->find_first_not_of(" \t\r\n") == std::string::npos;
}

struct IntegerRule {
    std::int64_t min;
    std::int64_t max;
    bool allow_integral_decimal = false;
};

// "<path>: <value> is out of range [min, max]", or nullopt when it is within.
std::optional<std::string> range_problem(std::int64_t value, const FieldPath& path,
                                         const IntegerRule& rule) {
    if (value >= rule.min && value <= rule.max) return std::nullopt;
    return path.str() + ": " + std::to_string(value) + " is out of range [" +
           std::to_string(rule.min) + ", " + std::to_string(rule.max) + "]";
}

// Parses `text` at `path` as an integer: the type check only (a malformed value).
Validated<std::int64_t> integer_type_at(const WireText& text, const FieldPath& path,
                                        bool allow_integral_decimal) {
    if (!text) return error(path.str() + " is missing");
    auto value = parse_integer(*text, allow_integral_decimal);
    if (!value) return error(path.str() + ": expected an integer, got " + quoted(*text));
    return *value;
}

// Parses `text` at `path` with range checks.
Validated<std::int64_t> integer_at(const WireText& text, const FieldPath& path,
                                   const IntegerRule& rule) {
    auto value = integer_type_at(text, path, rule.allow_integral_decimal);
    if (auto* e = std::get_if<ValidationError>(&value)) return *e;
    if (auto problem = range_problem(std::get<std::int64_t>(value), path, rule))
        return error(std::move(*problem));
    return value;
}

std::string sku_of(const WireText& sku) {
    return sku ? *sku : std::string{};
}

constexpr std::int64_t max_id = std::numeric_limits<std::int64_t>::max();

// Names of the inventory arrays in each wire style, for error paths.
struct InventoryNames {
    std::string_view qtys, seqs, sku, qty, seq;
};
constexpr InventoryNames m1_names{"skusQty", "skusSeqId", "key", "value", "value"};
constexpr InventoryNames m2_names{"productQtys", "productSeqs", "sku", "qty", "seq"};

// How the qty items found their seq items.
struct PairedItems {
    std::vector<std::optional<std::size_t>> seq_of;  // per qty item; nullopt = unpaired
    std::vector<std::string> unpaired_reason;        // per qty item; "" when paired
    std::vector<std::size_t> orphan_seqs;  // seq items whose SKU has no qty item, in order
};

// For each qty item, the index of its seq item. Position first (M1), then SKU: the k-th qty
// item of a SKU takes the k-th seq item of that SKU, or the only one when the SKU has one seq
// item (M2 multi-source lines share their SKU's seq). A qty item that finds none, or whose SKU
// has a number of seq items that cannot be matched up, stays unpaired with the reason; that is
// a refused line, not a malformed message (DESIGN §2.3).
PairedItems pair_items(const WireInventoryUpdate& in, const InventoryNames& names,
                       InventoryNotes* notes) {
    const auto& qtys = in.qtys;
    const auto& seqs = in.seqs;
    PairedItems out;
    out.seq_of.resize(qtys.size());
    out.unpaired_reason.resize(qtys.size());
    if (in.pairing == Pairing::by_position && qtys.size() == seqs.size()) {
        bool keys_agree = true;
        for (std::size_t i = 0; i < qtys.size() && keys_agree; ++i)
            keys_agree = sku_of(qtys[i].sku) == sku_of(seqs[i].sku);
        if (keys_agree) {
            for (std::size_t i = 0; i < qtys.size(); ++i) out.seq_of[i] = i;
            return out;
        }
    }
    if (in.pairing == Pairing::by_position && notes) notes->paired_by_sku_fallback = true;

    std::map<std::string, std::vector<std::size_t>> seqs_by_sku;
    for (std::size_t i = 0; i < seqs.size(); ++i) seqs_by_sku[sku_of(seqs[i].sku)].push_back(i);
    std::map<std::string, std::size_t> qty_count;
    for (const auto& q : qtys) ++qty_count[sku_of(q.sku)];

    std::map<std::string, std::size_t> taken;
    for (std::size_t i = 0; i < qtys.size(); ++i) {
        const auto sku = sku_of(qtys[i].sku);
        auto found = seqs_by_sku.find(sku);
        if (found == seqs_by_sku.end()) {
            out.unpaired_reason[i] = "SKU " + quoted(sku) + ": " + std::string(names.qtys) +
                                     " item has no matching " + std::string(names.seqs) + " item";
            continue;
        }
        const auto& candidates = found->second;
        if (candidates.size() == 1) {
            out.seq_of[i] = candidates.front();
        } else if (candidates.size() == qty_count[sku]) {
            out.seq_of[i] = candidates[taken[sku]++];
        } else {
            out.unpaired_reason[i] = "SKU " + quoted(sku) + ": " + std::to_string(qty_count[sku]) +
                                     " " + std::string(names.qtys) + " items but " +
                                     std::to_string(candidates.size()) + " " +
                                     std::string(names.seqs) + " items; cannot pair them";
        }
    }
    for (const auto& [sku, indices] : seqs_by_sku)
        if (!qty_count.contains(sku))
            out.orphan_seqs.insert(out.orphan_seqs.end(), indices.begin(), indices.end());
    std::sort(out.orphan_seqs.begin(), out.orphan_seqs.end());
    return out;
}

}  // namespace

std::optional<std::string> text_problem(std::string_view text, TextKind kind) {
    const auto code = [](std::uint32_t cp) {
        constexpr char hex[] = "0123456789ABCDEF";
        std::string out = "U+";
        for (int shift = 12; shift >= 0; shift -= 4) out += hex[(cp >> shift) & 0xF];
        return out;
    };
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    for (std::size_t i = 0; i < text.size();) {
        const unsigned char lead = bytes[i];
        if (lead < 0x80) {
            const bool line_space =
                kind == TextKind::free_text && (lead == '\t' || lead == '\n' || lead == '\r');
            if ((lead < 0x20 && !line_space) || lead == 0x7F)
                return "control character " + code(lead) + " at byte " + std::to_string(i);
            ++i;
            continue;
        }
        // UTF-8 as RFC 3629 defines it: no overlongs, no surrogates, nothing above U+10FFFF.
        std::size_t length = 0;
        unsigned char low = 0x80, high = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0) low = 0xA0;
            if (lead == 0xED) high = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0) low = 0x90;
            if (lead == 0xF4) high = 0x8F;
        }
        bool valid =
            length != 0 && i + length <= text.size() && bytes[i + 1] >= low && bytes[i + 1] <= high;
        for (std::size_t k = 2; valid && k < length; ++k)
            valid = bytes[i + k] >= 0x80 && bytes[i + k] <= 0xBF;
        if (!valid) return "invalid UTF-8 at byte " + std::to_string(i);
        std::uint32_t cp = lead & (0xFF >> (length + 1));
        for (std::size_t k = 1; k < length; ++k) cp = (cp << 6) | (bytes[i + k] & 0x3F);
        if (cp <= 0x9F) return "control character " + code(cp) + " at byte " + std::to_string(i);
        if (cp == 0xFFFE || cp == 0xFFFF)
            return "non-character " + code(cp) + " at byte " + std::to_string(i);
        i += length;
    }
    return std::nullopt;
}

std::optional<std::int64_t> parse_integer(std::string_view text, bool allow_integral_decimal) {
    if (text.empty()) return std::nullopt;
    std::string_view digits = text;
    bool negative = false;
    if (digits.front() == '+' || digits.front() == '-') {
        negative = digits.front() == '-';
        digits.remove_prefix(1);
    }
    if (allow_integral_decimal) {
        if (auto dot = digits.find('.'); dot != std::string_view::npos) {
            auto fraction = digits.substr(dot + 1);
            if (fraction.empty() || fraction.find_first_not_of('0') != std::string_view::npos)
                return std::nullopt;
            digits = digits.substr(0, dot);
        }
    }
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    std::uint64_t magnitude = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (negative) {
        if (magnitude > max + 1) return std::nullopt;
        return magnitude == max + 1 ? std::numeric_limits<std::int64_t>::min()
                                    : -static_cast<std::int64_t>(magnitude);
    }
    if (magnitude > max) return std::nullopt;
    return static_cast<std::int64_t>(magnitude);
}

Validated<InventoryUpdate> validate(const WireInventoryUpdate& in, const Limits& limits,
                                    InventoryNotes* notes) {
    const auto& names = in.pairing == Pairing::by_position ? m1_names : m2_names;
    constexpr std::size_t max_time_length = 64;
    InventoryUpdate out;
    auto seq_id = integer_at(in.message_seq_id, "messageSeqId", {0, max_id});
    if (auto* e = std::get_if<ValidationError>(&seq_id)) return *e;
    out.message_seq_id = std::get<std::int64_t>(seq_id);

    if (in.qtys.empty()) return error(std::string(names.qtys) + " has no items");
    if (in.qtys.size() > limits.max_lines || in.seqs.size() > limits.max_lines)
        return error("too many items: at most " + std::to_string(limits.max_lines) +
                     " per message");

    // Malformed items fault the whole message: text, then each number's type.
    const bool decimal_qty = in.pairing == Pairing::by_sku;
    std::vector<std::int64_t> qtys(in.qtys.size());
    for (std::size_t i = 0; i < in.qtys.size(); ++i) {
        const auto& q = in.qtys[i];
        if (auto e = check_text(q.sku, {names.qtys, i, names.sku}, limits.max_sku_length, true))
            return *e;
        if (auto e = check_text(q.source, {names.qtys, i, "source", &q.sku}, limits.max_sku_length,
                                false))
            return *e;
        if (auto e = check_text(q.last_order_exported, {names.qtys, i, "lastOrderExported", &q.sku},
                                max_time_length, false))
            return *e;
        auto qty = integer_type_at(q.qty, {names.qtys, i, names.qty, &q.sku}, decimal_qty);
        if (auto* e = std::get_if<ValidationError>(&qty)) return *e;
        qtys[i] = std::get<std::int64_t>(qty);
    }
    std::vector<std::optional<std::int64_t>> seqs(in.seqs.size());  // nullopt = none sent
    for (std::size_t i = 0; i < in.seqs.size(); ++i) {
        const auto& s = in.seqs[i];
        if (auto e = check_text(s.sku, {names.seqs, i, names.sku}, limits.max_sku_length, true))
            return *e;
        if (auto e = check_text(s.last_order_exported, {names.seqs, i, "lastOrderExported", &s.sku},
                                max_time_length, false))
            return *e;
        if (blank(s.seq)) continue;
        auto seq = integer_type_at(s.seq, {names.seqs, i, names.seq, &s.sku}, false);
        if (auto* e = std::get_if<ValidationError>(&seq)) return *e;
        seqs[i] = std::get<std::int64_t>(seq);
    }

    // Well-typed values the rules refuse become Failure lines with their reason.
    const auto paired = pair_items(in, names, notes);
    const IntegerRule qty_rule{-limits.max_abs_qty, limits.max_abs_qty};
    const IntegerRule seq_rule{1, max_id};
    out.lines.reserve(in.qtys.size() + paired.orphan_seqs.size());
    for (std::size_t i = 0; i < in.qtys.size(); ++i) {
        const auto& q = in.qtys[i];
        InventoryLine line;
        line.sku = *q.sku;
        if (q.source && !q.source->empty()) line.source = *q.source;
        line.qty = qtys[i];
        const WireText* exported = &q.last_order_exported;
        if (const auto j = paired.seq_of[i]) {
            const auto& s = in.seqs[*j];
            const FieldPath seq_path{names.seqs, *j, names.seq, &s.sku};
            if (s.last_order_exported) exported = &s.last_order_exported;
            if (!seqs[*j]) {
                line.failure = seq_path.str() + " is missing";
            } else {
                line.seq = *seqs[*j];
                if (auto problem = range_problem(line.seq, seq_path, seq_rule))
                    line.failure = std::move(*problem);
            }
        } else {
            line.failure = paired.unpaired_reason[i];
        }
        if (line.failure.empty())
            if (auto problem =
                    range_problem(line.qty, {names.qtys, i, names.qty, &q.sku}, qty_rule))
                line.failure = std::move(*problem);
        if (*exported) line.last_order_exported = **exported;
        out.lines.push_back(std::move(line));
    }
    for (const auto j : paired.orphan_seqs) {
        const auto& s = in.seqs[j];
        InventoryLine line;
        line.sku = *s.sku;
        line.seq = seqs[j].value_or(0);
        if (s.last_order_exported) line.last_order_exported = *s.last_order_exported;
        line.failure = "SKU " + quoted(*s.sku) + ": " + std::string(names.seqs) +
                       " item has no matching " + std::string(names.qtys) + " item";
        out.lines.push_back(std::move(line));
    }
    return out;
}

namespace {
Validated<bool> flag_at(const WireText& text, std::string_view path) {
    if (!text || text->empty()) return false;
    if (*text == "1" || *text == "true") return true;
    if (*text == "0" || *text == "false") return false;
    return error(std::string(path) + ": expected 0, 1, true or false, got " + quoted(*text));
}
}  // namespace

Validated<ShipmentCreate> validate(const WireShipmentCreate& in, const Limits& limits) {
    ShipmentCreate out;
    if (auto e = check_text(in.order_increment_id, "orderIncrementId", 64, true)) return *e;
    out.order_increment_id = *in.order_increment_id;
    if (in.items.size() > limits.max_lines)
        return error("too many items: at most " + std::to_string(limits.max_lines) +
                     " per message");
    for (std::size_t i = 0; i < in.items.size(); ++i) {
        const auto& item = in.items[i];
        if (auto e = check_text(item.sku, {"skuQty", i, "sku"}, limits.max_sku_length, true))
            return *e;
        if (auto e = check_text(item.source, {"skuQty", i, "source", &item.sku},
                                limits.max_sku_length, false))
            return *e;
        // Zero is allowed (a partial despatch may list a line it did not ship); the worker
        // decides what an all-zero shipment means.
        auto qty =
            integer_at(item.qty, {"skuQty", i, "qty", &item.sku}, {0, limits.max_abs_qty, true});
        if (auto* e = std::get_if<ValidationError>(&qty)) return *e;
        ShipmentItem shipped{*item.sku, std::get<std::int64_t>(qty), std::string{default_source}};
        if (item.source && !item.source->empty()) shipped.source = *item.source;
        out.items.push_back(std::move(shipped));
    }
    struct TextField {
        const WireText& text;
        std::string_view path;
        std::string& target;
    };
    for (const auto& [text, path, target] :
         {TextField{in.comment, "comment", out.comment},
          TextField{in.courier_name, "courierName", out.courier_name},
          TextField{in.service_name, "serviceName", out.service_name},
          TextField{in.date_shipped, "dateShipped", out.date_shipped}}) {
        if (auto e = check_text(text, path, limits.max_text_length, false, TextKind::free_text))
            return *e;
        if (text) target = *text;
    }
    if (auto e = check_text(in.tracking_number, "trackingNumber", limits.max_text_length, false,
                            TextKind::free_text))
        return *e;
    if (in.tracking_number && !in.tracking_number->empty())
        out.tracking_numbers.push_back(*in.tracking_number);
    for (std::size_t i = 0; i < in.tracks.size(); ++i) {
        if (auto e = check_text(in.tracks[i], {"tracks", i, "trackingNumber"},
                                limits.max_text_length, true, TextKind::free_text))
            return *e;
        out.tracking_numbers.push_back(in.tracks[i]);
    }
    auto email = flag_at(in.email, "email");
    if (auto* e = std::get_if<ValidationError>(&email)) return *e;
    out.email = std::get<bool>(email);
    auto include_comment = flag_at(in.include_comment, "includeComment");
    if (auto* e = std::get_if<ValidationError>(&include_comment)) return *e;
    out.include_comment = std::get<bool>(include_comment);
    if (in.message_seq_id && !in.message_seq_id->empty()) {
        auto seq_id = integer_at(in.message_seq_id, "messageSeqId", {0, max_id});
        if (auto* e = std::get_if<ValidationError>(&seq_id)) return *e;
        out.message_seq_id = std::get<std::int64_t>(seq_id);
    }
    return out;
}

Validated<ExportAck> validate(const WireExportAck& in, const Limits& limits) {
    if (auto e = check_text(in.reference, "reference", limits.max_sku_length, true)) return *e;
    return ExportAck{in.entity, *in.reference};
}

}  // namespace ofbridge::domain
