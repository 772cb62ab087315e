// Wire text -> validated messages. Every error names the element path and, where there is
// one, the SKU, because the WMS operator reads these faults to find the bad record.
#include "ofbridge/domain/validation.h"

#include <charconv>
#include <limits>
#include <map>

namespace ofbridge::domain {
namespace {

std::string quoted(std::string_view s) {
    constexpr std::size_t shown = 40;
    std::string out = "'";
    out += s.size() > shown ? std::string(s.substr(0, shown)) + "..." : std::string(s);
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

// Required text: present, not blank, not longer than `max`.
std::optional<ValidationError> check_text(const WireText& text, const FieldPath& path,
                                          std::size_t max, bool required) {
    if (!text || text->find_first_not_of(" \t\r\n") == std::string::npos) {
        if (required) return error(path.str() + " is missing");
        return std::nullopt;
    }
    if (text->size() > max)
        return error(path.str() + " is longer than " + std::to_string(max) + " bytes");
    return std::nullopt;
}

struct IntegerRule {
    std::int64_t min;
    std::int64_t max;
    bool allow_integral_decimal = false;
};

// Parses `text` at `path` with range checks.
Validated<std::int64_t> integer_at(const WireText& text, const FieldPath& path,
                                   const IntegerRule& rule) {
    if (!text) return error(path.str() + " is missing");
    auto value = parse_integer(*text, rule.allow_integral_decimal);
    if (!value) return error(path.str() + ": expected an integer, got " + quoted(*text));
    if (*value < rule.min || *value > rule.max)
        return error(path.str() + ": " + std::to_string(*value) + " is out of range [" +
                     std::to_string(rule.min) + ", " + std::to_string(rule.max) + "]");
    return *value;
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

// For each qty item, the index of its seq item. Position first (M1), then SKU: the k-th qty
// item of a SKU takes the k-th seq item of that SKU, or the only one when the SKU has one seq
// item (M2 multi-source lines share their SKU's seq).
Validated<std::vector<std::size_t>> pair_items(const WireInventoryUpdate& in,
                                               const InventoryNames& names, InventoryNotes* notes) {
    const auto& qtys = in.qtys;
    const auto& seqs = in.seqs;
    if (in.pairing == Pairing::by_position && qtys.size() == seqs.size()) {
        bool keys_agree = true;
        for (std::size_t i = 0; i < qtys.size() && keys_agree; ++i)
            keys_agree = sku_of(qtys[i].sku) == sku_of(seqs[i].sku);
        if (keys_agree) {
            std::vector<std::size_t> pairs(qtys.size());
            for (std::size_t i = 0; i < pairs.size(); ++i) pairs[i] = i;
            return pairs;
        }
    }
    if (in.pairing == Pairing::by_position && notes) notes->paired_by_sku_fallback = true;

    std::map<std::string, std::vector<std::size_t>> seqs_by_sku;
    for (std::size_t i = 0; i < seqs.size(); ++i) seqs_by_sku[sku_of(seqs[i].sku)].push_back(i);
    std::map<std::string, std::size_t> qty_count;
    for (const auto& q : qtys) ++qty_count[sku_of(q.sku)];

    std::vector<std::size_t> pairs(qtys.size());
    std::map<std::string, std::size_t> taken;
    for (std::size_t i = 0; i < qtys.size(); ++i) {
        const auto sku = sku_of(qtys[i].sku);
        auto found = seqs_by_sku.find(sku);
        if (found == seqs_by_sku.end())
            return error("SKU " + quoted(sku) + ": " + std::string(names.qtys) +
                         " item has no matching " + std::string(names.seqs) + " item");
        const auto& candidates = found->second;
        if (candidates.size() == 1) {
            pairs[i] = candidates.front();
        } else if (candidates.size() == qty_count[sku]) {
            pairs[i] = candidates[taken[sku]++];
        } else {
            return error("SKU " + quoted(sku) + ": " + std::to_string(qty_count[sku]) + " " +
                         std::string(names.qtys) + " items but " +
                         std::to_string(candidates.size()) + " " + std::string(names.seqs) +
                         " items; cannot pair them");
        }
    }
    for (const auto& [sku, indices] : seqs_by_sku)
        if (!qty_count.contains(sku))
            return error("SKU " + quoted(sku) + ": " + std::string(names.seqs) +
                         " item has no matching " + std::string(names.qtys) + " item");
    return pairs;
}

}  // namespace

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
    InventoryUpdate out;
    auto seq_id = integer_at(in.message_seq_id, "messageSeqId", {0, max_id});
    if (auto* e = std::get_if<ValidationError>(&seq_id)) return *e;
    out.message_seq_id = std::get<std::int64_t>(seq_id);

    if (in.qtys.empty()) return error(std::string(names.qtys) + " has no items");
    if (in.qtys.size() > limits.max_lines || in.seqs.size() > limits.max_lines)
        return error("too many items: at most " + std::to_string(limits.max_lines) +
                     " per message");
    for (std::size_t i = 0; i < in.qtys.size(); ++i) {
        const auto& q = in.qtys[i];
        if (auto e = check_text(q.sku, {names.qtys, i, names.sku}, limits.max_sku_length, true))
            return *e;
        if (auto e = check_text(q.source, {names.qtys, i, "source", &q.sku}, limits.max_sku_length,
                                false))
            return *e;
    }
    for (std::size_t i = 0; i < in.seqs.size(); ++i)
        if (auto e =
                check_text(in.seqs[i].sku, {names.seqs, i, names.sku}, limits.max_sku_length, true))
            return *e;

    auto pairs = pair_items(in, names, notes);
    if (auto* e = std::get_if<ValidationError>(&pairs)) return *e;
    const auto& pair_of = std::get<std::vector<std::size_t>>(pairs);

    out.lines.reserve(in.qtys.size());
    for (std::size_t i = 0; i < in.qtys.size(); ++i) {
        const auto& q = in.qtys[i];
        const auto& s = in.seqs[pair_of[i]];
        InventoryLine line;
        line.sku = *q.sku;
        if (q.source && !q.source->empty()) line.source = *q.source;
        auto qty =
            integer_at(q.qty, {names.qtys, i, names.qty, &q.sku},
                       {-limits.max_abs_qty, limits.max_abs_qty, in.pairing == Pairing::by_sku});
        if (auto* e = std::get_if<ValidationError>(&qty)) return *e;
        line.qty = std::get<std::int64_t>(qty);
        auto seq = integer_at(s.seq, {names.seqs, pair_of[i], names.seq, &s.sku}, {1, max_id});
        if (auto* e = std::get_if<ValidationError>(&seq)) return *e;
        line.seq = std::get<std::int64_t>(seq);
        const WireText& exported =
            s.last_order_exported ? s.last_order_exported : q.last_order_exported;
        if (auto e = check_text(exported, {{}, 0, "lastOrderExported", &q.sku}, 64, false))
            return *e;
        if (exported) line.last_order_exported = *exported;
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
        if (auto e = check_text(text, path, limits.max_text_length, false)) return *e;
        if (text) target = *text;
    }
    if (auto e = check_text(in.tracking_number, "trackingNumber", limits.max_text_length, false))
        return *e;
    if (in.tracking_number && !in.tracking_number->empty())
        out.tracking_numbers.push_back(*in.tracking_number);
    for (std::size_t i = 0; i < in.tracks.size(); ++i) {
        if (auto e = check_text(in.tracks[i], {"tracks", i, "trackingNumber"},
                                limits.max_text_length, true))
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
