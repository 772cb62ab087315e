// SOAP bytes -> wire messages, from the one parse the gate made (gate.h).
//
// decode() transcodes a non-UTF-8 body, lets the gate parse and check it, then walks the
// operation element once against the operation's shape (the parameters of wsdl/magento1.wsdl
// and wsdl/magento2.wsdl) and fills the domain's wire structs with each value's exact text.
// Nothing the shape does not define is skipped: an unknown element, a second scalar, text where
// elements belong, an element inside a value, a multi-reference (href) or sparse (position)
// array member are each a client fault naming the element's path. Children are matched by local
// name: Magento-1 accepts any namespace on them (real WMS templates use undeclared prefixes),
// Magento-2 only none or the operation's own. A Magento-1 SOAP-ENC array's members may have any
// element name (SOAP 1.1 §5.4.2), a Magento-2 literal array's are <item>. xsi:type is not
// consulted (every leaf is text the domain layer parses); xsi:nil="true" is an absent value.
#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gate.h"
#include "mask.h"
#include "ofbridge/soap/codec.h"
#include "transcode.h"
#include "xml_text.h"

namespace ofbridge::soap {
namespace {

using domain::WireText;

// How the members of an array parameter are named.
enum class Members {
    item,      // Magento-2 literal arrays: <item> only
    any_name,  // Magento-1 SOAP-ENC arrays: any element name (PHP <item>, zeep <skuQty>)
};

// A text field of a structure: its element name and where its value goes.
struct TextField {
    std::string_view name;
    WireText* value;
};

// An element below the operation, as its parent found it: its attributes are read once, here.
struct Child {
    pugi::xml_node element;
    bool rebinds = false;  // it or an element between it and the operation declares xmlns
    bool nil = false;      // xsi:nil="true" (or "1")
};

// Reads one operation element. The path of the element being read is kept as a stack of local
// names (array members as "item") so a fault can name where the problem is.
class MessageReader {
public:
    explicit MessageReader(const gate::Verdict& verdict)
        : verdict_(verdict), check_namespaces_(verdict.style == Style::m2_document) {}

    const std::string& problem() const { return problem_; }

    // The operation's parameters: text fields, plus whatever `other(name, child)` accepts (the
    // arrays). Returns false with problem() set on a fault.
    template <class Other>
    bool parameters(std::span<const TextField> fields, Other other) {
        return structure(Child{verdict_.operation_element}, fields, other);
    }

    bool parameters(std::span<const TextField> fields) {
        return parameters(fields, [](std::string_view, const Child&) { return false; });
    }

    // An array parameter: calls `member(child)` for each member. A nil array is absent (returns
    // true, `present` false).
    template <class Member>
    bool array(const Child& list, Members naming, bool& present, Member member) {
        present = !list.nil;
        if (!present) return check_nil_is_empty(list.element);
        for (auto node = list.element.first_child(); node; node = node.next_sibling()) {
            if (const auto type = node.type(); type != pugi::node_element) {
                if (!is_blank(node, type)) return fail_text(list.element);
                continue;
            }
            const char* qualified_name = node.name();
            const auto name = xml::local_name(qualified_name);
            if (naming == Members::item && name != "item") return fail_unknown(name);
            path_.push_back("item");
            Child child;
            const bool ok = enter(node, qualified_name, list.rebinds, child) && member(child);
            path_.pop_back();
            if (!ok) return false;
        }
        return true;
    }

    // An array member: a structure of text fields. A nil member is a member without fields.
    bool member_fields(const Child& member, std::span<const TextField> fields) {
        if (member.nil) return check_nil_is_empty(member.element);
        return structure(member, fields, [](std::string_view, const Child&) { return false; });
    }

    bool fail(std::string message) {
        problem_ = std::move(message);
        return false;
    }

private:
    // The element children of a structure: each named field at most once, each read by its
    // field or by `other`; anything else is a fault.
    template <class Other>
    bool structure(const Child& parent, std::span<const TextField> fields, Other other) {
        std::array<std::string_view, 16> seen{};
        std::size_t seen_count = 0;
        for (auto node = parent.element.first_child(); node; node = node.next_sibling()) {
            if (const auto type = node.type(); type != pugi::node_element) {
                if (!is_blank(node, type)) return fail_text(parent.element);
                continue;
            }
            const char* qualified_name = node.name();
            const auto name = xml::local_name(qualified_name);
            if (std::find(seen.begin(), seen.begin() + seen_count, name) !=
                seen.begin() + seen_count)
                return fail("Malformed request: " + xml::describe(parent.element) +
                            " has more than one <" + std::string(name) + "> child");
            if (seen_count < seen.size()) seen[seen_count++] = name;
            path_.push_back(name);
            Child child;
            bool ok = enter(node, qualified_name, parent.rebinds, child);
            if (ok) {
                const auto field =
                    std::find_if(fields.begin(), fields.end(),
                                 [name](const TextField& f) { return f.name == name; });
                if (field != fields.end())
                    ok = text(child, *field->value);
                else if (!other(name, child))
                    ok = problem_.empty() ? fail_unknown({}) : false;
            }
            path_.pop_back();
            if (!ok) return false;
        }
        return true;
    }

    // Reads the attributes of `node` (the last name on the path) in one pass, and checks its
    // namespace. Some attributes would change what the element means if ignored: those are
    // faults. The gate noted which elements have any such attribute or a namespace declaration;
    // the attributes of the others (xsi:type, SOAP-ENC:arrayType) are not read again.
    bool enter(pugi::xml_node node, const char* qualified_name, bool parent_rebinds, Child& child) {
        child.element = node;
        child.rebinds = parent_rebinds;
        if (!verdict_.has_meaningful_attributes(qualified_name))
            return check_namespace(node, child.rebinds);
        for (auto attribute = node.first_attribute(); attribute;
             attribute = attribute.next_attribute()) {
            const std::string_view name = attribute.name();
            const auto local = xml::local_name(name);
            if (local == "nil") {
                const std::string_view value = attribute.value();
                child.nil = value == "true" || value == "1";
            } else if (name == "xmlns" || name.starts_with("xmlns:")) {
                child.rebinds = true;
            } else if (name == "href" || local == "ref") {
                return fail("Malformed request: element " + path() + " in " +
                            verdict_.operation_name + " is a multi-reference (" +
                            std::string(name) + ") value; send the value in place");
            } else if (local == "position" || local == "offset") {
                return fail("Malformed request: element " + path() + " in " +
                            verdict_.operation_name + " has " + std::string(name) +
                            " (sparse or partial SOAP-ENC arrays are not accepted)");
            }
        }
        return check_namespace(node, child.rebinds);
    }

    // A leaf: its text and CDATA, in order, as the value; nil = absent; an element inside is not
    // part of the operation.
    bool text(const Child& leaf, WireText& value) {
        if (leaf.nil) {
            value.reset();
            return check_nil_is_empty(leaf.element);
        }
        std::string out;
        const bool raw = verdict_.raw_values_are_values;
        for (auto node = leaf.element.first_child(); node; node = node.next_sibling()) {
            switch (node.type()) {
                case pugi::node_pcdata:
                    if (raw)
                        out.append(node.value());
                    else
                        xml::append_value(out, node.value());
                    break;
                case pugi::node_cdata:
                    if (raw)
                        out.append(node.value());
                    else
                        xml::append_cdata(out, node.value());
                    break;
                case pugi::node_element:
                    return fail_unknown(xml::local_name(node.name()));
                default:
                    break;
            }
        }
        value = std::move(out);
        return true;
    }

    bool check_nil_is_empty(pugi::xml_node element) {
        for (auto node = element.first_child(); node; node = node.next_sibling())
            if (const auto type = node.type(); type == pugi::node_element || !is_blank(node, type))
                return fail("Malformed request: element " + path() + " in " +
                            verdict_.operation_name + " is xsi:nil but has content");
        return true;
    }

    static bool is_blank(pugi::xml_node node, pugi::xml_node_type type) {
        if (type == pugi::node_cdata) return false;
        if (type != pugi::node_pcdata) return true;  // comments, PIs: not values
        const std::string_view text = node.value();
        return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
    }

    // Magento-2: a child is unqualified or in the operation's namespace. The prefixes in scope at
    // the operation are resolved once; only below an element that declares namespaces is each
    // child resolved on its own.
    bool check_namespace(pugi::xml_node child, bool rebinds) {
        if (!check_namespaces_) return true;
        const std::string_view qualified_name = child.name();
        const auto prefix = xml::prefix_of(qualified_name);
        const std::optional<std::string>* ns = nullptr;
        std::optional<std::string> rebound;
        if (rebinds) {
            rebound = xml::resolve_prefix(child, prefix);
            ns = &rebound;
        } else {
            for (const auto& [known_prefix, known_ns] : resolved_at_operation_)
                if (known_prefix == prefix) ns = &known_ns;
            if (!ns) {
                resolved_at_operation_.emplace_back(
                    prefix, xml::resolve_prefix(verdict_.operation_element, prefix));
                ns = &resolved_at_operation_.back().second;
            }
        }
        if (*ns && **ns != verdict_.namespace_uri)
            return fail("Malformed request: " + xml::describe(child) + " is in namespace " + **ns +
                        " (expected no namespace or the operation's namespace)");
        if (!*ns && !prefix.empty())
            return fail("Malformed request: " + xml::describe(child) +
                        " uses an undeclared namespace prefix");
        return true;
    }

    std::string path() const {
        std::string out;
        for (const auto name : path_) {
            if (!out.empty()) out += '/';
            out += name;
        }
        return out;
    }

    bool fail_unknown(std::string_view child) {
        auto where = path();
        if (!child.empty()) where += (where.empty() ? "" : "/") + std::string(child);
        return fail("Malformed request: element " + where + " in " + verdict_.operation_name +
                    " is not part of the operation (unknown name or namespace)");
    }

    bool fail_text(pugi::xml_node element) {
        return fail("Malformed request: text in " +
                    (path_.empty() ? xml::describe(element) : "element " + path()) + " of " +
                    verdict_.operation_name + " where only elements belong");
    }

    const gate::Verdict& verdict_;
    const bool check_namespaces_;
    std::vector<std::string_view> path_;
    std::vector<std::pair<std::string_view, std::optional<std::string>>> resolved_at_operation_;
    std::string problem_;
};

using DecodeOutcome = std::variant<WireMessage, std::string>;  // the message, or the fault text

// The scalar shipment fields have the same names in both wire styles (DESIGN §2.1, §2.2).
std::vector<TextField> shipment_fields(domain::WireShipmentCreate& wire) {
    return {{"orderIncrementId", &wire.order_increment_id},
            {"comment", &wire.comment},
            {"email", &wire.email},
            {"includeComment", &wire.include_comment},
            {"courierName", &wire.courier_name},
            {"serviceName", &wire.service_name},
            {"trackingNumber", &wire.tracking_number},
            {"dateShipped", &wire.date_shipped},
            {"messageSeqId", &wire.message_seq_id}};
}

DecodeOutcome decode_m1_inventory(MessageReader& reader) {
    domain::WireInventoryUpdate wire;
    wire.pairing = domain::Pairing::by_position;
    const std::array fields{TextField{"sessionId", &wire.session_id},
                            TextField{"messageSeqId", &wire.message_seq_id}};
    std::string_view qty_spelling;
    std::string_view seq_spelling;
    const auto arrays = [&](std::string_view name, const Child& parameter) {
        bool present = false;
        if (name == "skuQty" || name == "skusQty") {
            std::vector<domain::WireQtyItem> items;
            if (!reader.array(parameter, Members::any_name, present, [&](const Child& member) {
                    auto& item = items.emplace_back();
                    const std::array item_fields{TextField{"key", &item.sku},
                                                 TextField{"value", &item.qty}};
                    return reader.member_fields(member, item_fields);
                }))
                return false;
            if (!present) return true;
            if (!qty_spelling.empty())
                return reader.fail("Both skuQty and skusQty were sent; send one");
            qty_spelling = name;
            wire.qtys = std::move(items);
            return true;
        }
        if (name == "skuSeqId" || name == "skusSeqId") {
            std::vector<domain::WireSeqItem> items;
            if (!reader.array(parameter, Members::any_name, present, [&](const Child& member) {
                    auto& item = items.emplace_back();
                    const std::array item_fields{
                        TextField{"key", &item.sku}, TextField{"value", &item.seq},
                        TextField{"lastOrderExported", &item.last_order_exported}};
                    return reader.member_fields(member, item_fields);
                }))
                return false;
            if (!present) return true;
            if (!seq_spelling.empty())
                return reader.fail("Both skuSeqId and skusSeqId were sent; send one");
            seq_spelling = name;
            wire.seqs = std::move(items);
            return true;
        }
        return false;
    };
    if (!reader.parameters(fields, arrays)) return reader.problem();
    return wire;
}

DecodeOutcome decode_m1_shipment(MessageReader& reader) {
    domain::WireShipmentCreate wire;
    auto fields = shipment_fields(wire);
    fields.push_back({"sessionId", &wire.session_id});
    bool items_seen = false;
    const auto arrays = [&](std::string_view name, const Child& parameter) {
        if (name != "skuQty" && name != "skusQty") return false;
        std::vector<domain::WireShipmentItem> items;
        bool present = false;
        if (!reader.array(parameter, Members::any_name, present, [&](const Child& member) {
                auto& item = items.emplace_back();
                const std::array item_fields{TextField{"key", &item.sku},
                                             TextField{"value", &item.qty}};
                return reader.member_fields(member, item_fields);
            }))
            return false;
        if (!present) return true;
        if (items_seen) return reader.fail("Both skuQty and skusQty were sent; send one");
        items_seen = true;
        wire.items = std::move(items);
        return true;
    };
    if (!reader.parameters(fields, arrays)) return reader.problem();
    return wire;
}

DecodeOutcome decode_m2_inventory(MessageReader& reader) {
    domain::WireInventoryUpdate wire;
    wire.pairing = domain::Pairing::by_sku;
    const std::array fields{TextField{"messageSeqId", &wire.message_seq_id}};
    const auto arrays = [&](std::string_view name, const Child& parameter) {
        bool present = false;
        if (name == "productQtys")
            return reader.array(parameter, Members::item, present, [&](const Child& member) {
                auto& item = wire.qtys.emplace_back();
                const std::array item_fields{
                    TextField{"sku", &item.sku}, TextField{"qty", &item.qty},
                    TextField{"source", &item.source},
                    TextField{"lastOrderExported", &item.last_order_exported}};
                return reader.member_fields(member, item_fields);
            });
        if (name == "productSeqs")
            return reader.array(parameter, Members::item, present, [&](const Child& member) {
                auto& item = wire.seqs.emplace_back();
                const std::array item_fields{
                    TextField{"sku", &item.sku}, TextField{"seq", &item.seq},
                    TextField{"lastOrderExported", &item.last_order_exported}};
                return reader.member_fields(member, item_fields);
            });
        return false;
    };
    if (!reader.parameters(fields, arrays)) return reader.problem();
    return wire;
}

DecodeOutcome decode_m2_shipment(MessageReader& reader) {
    domain::WireShipmentCreate wire;
    auto fields = shipment_fields(wire);
    // A leftover some WMS templates still send: read (so it is not unknown), never used.
    WireText session_id;
    fields.push_back({"sessionId", &session_id});
    const auto arrays = [&](std::string_view name, const Child& parameter) {
        bool present = false;
        if (name == "skuQty")
            return reader.array(parameter, Members::item, present, [&](const Child& member) {
                auto& item = wire.items.emplace_back();
                const std::array item_fields{TextField{"sku", &item.sku},
                                             TextField{"qty", &item.qty},
                                             TextField{"source", &item.source}};
                return reader.member_fields(member, item_fields);
            });
        if (name == "tracks")
            return reader.array(parameter, Members::item, present, [&](const Child& member) {
                WireText tracking_number;
                const std::array item_fields{TextField{"trackingNumber", &tracking_number}};
                if (!reader.member_fields(member, item_fields)) return false;
                if (tracking_number) wire.tracks.push_back(std::move(*tracking_number));
                return true;
            });
        return false;
    };
    if (!reader.parameters(fields, arrays)) return reader.problem();
    return wire;
}

DecodeOutcome decode_operation(const gate::Verdict& verdict) {
    MessageReader reader{verdict};
    switch (verdict.operation) {
        case gate::Operation::m1_login: {
            domain::WireLogin wire;
            const std::array fields{TextField{"username", &wire.username},
                                    TextField{"apiKey", &wire.api_key}};
            if (!reader.parameters(fields)) return reader.problem();
            return wire;
        }
        case gate::Operation::m1_end_session: {
            domain::WireEndSession wire;
            const std::array fields{TextField{"sessionId", &wire.session_id}};
            if (!reader.parameters(fields)) return reader.problem();
            return wire;
        }
        case gate::Operation::m1_inventory_update:
            return decode_m1_inventory(reader);
        case gate::Operation::m1_shipment_create:
            return decode_m1_shipment(reader);
        case gate::Operation::m2_inventory_update:
            return decode_m2_inventory(reader);
        case gate::Operation::m2_shipment_create:
            return decode_m2_shipment(reader);
        case gate::Operation::m2_product_export:
        case gate::Operation::m2_order_export: {
            domain::WireExportAck wire{verdict.operation == gate::Operation::m2_product_export
                                           ? domain::Entity::product_export
                                           : domain::Entity::order_export,
                                       std::nullopt};
            const std::array fields{TextField{"reference", &wire.reference}};
            if (!reader.parameters(fields)) return reader.problem();
            return wire;
        }
        case gate::Operation::m2_product_get: {
            domain::WireProductGet wire;
            domain::WireText edit_mode, store_id, force_reload;  // accepted, no effect
            const std::array fields{TextField{"sku", &wire.sku}, TextField{"editMode", &edit_mode},
                                    TextField{"storeId", &store_id},
                                    TextField{"forceReload", &force_reload}};
            if (!reader.parameters(fields)) return reader.problem();
            return wire;
        }
        case gate::Operation::m2_order_get: {
            domain::WireOrderGet wire;
            const std::array fields{TextField{"id", &wire.id}};
            if (!reader.parameters(fields)) return reader.problem();
            return wire;
        }
        case gate::Operation::m2_create_admin_token: {
            domain::WireCreateToken wire;
            const std::array fields{TextField{"username", &wire.username},
                                    TextField{"password", &wire.password}};
            if (!reader.parameters(fields)) return reader.problem();
            return wire;
        }
    }
    return std::string{"Unknown operation"};
}

}  // namespace

DecodeResult decode(std::string_view body, std::string_view content_type,
                    std::string_view soap_action, const GateLimits& limits, SecretName is_secret) {
    auto transcoded = transcode::to_utf8(body, content_type);
    if (!transcoded.problem.empty()) {
        const bool v12 = content_type.find("soap+xml") != std::string_view::npos;
        return Fault{FaultKind::client, "", "Malformed request: " + transcoded.problem,
                     v12 ? SoapVersion::v12 : SoapVersion::v11};
    }
    if (transcoded.utf8) body = *transcoded.utf8;

    auto gated = gate::inspect(body, content_type, soap_action, limits, is_secret);
    if (auto* fault = std::get_if<Fault>(&gated)) return std::move(*fault);
    const auto& verdict = std::get<gate::Verdict>(gated);

    auto decoded = decode_operation(verdict);
    if (auto* message = std::get_if<std::string>(&decoded))
        return Fault{FaultKind::client, "", std::move(*message), verdict.version};

    DecodedRequest request;
    request.version = verdict.version;
    request.style = verdict.style;
    request.operation = verdict.operation_name;
    request.namespace_uri = verdict.namespace_uri;
    request.service = verdict.service;
    request.message = std::move(std::get<WireMessage>(decoded));
    if (is_secret) request.stored_body = mask::apply(body, verdict.secret_text);
    if (transcoded.utf8) request.utf8_body = std::move(*transcoded.utf8);
    return request;
}

}  // namespace ofbridge::soap
