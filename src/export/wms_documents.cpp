// The push-mode documents (see wms_documents.h): <imports> out, <importResult> in.
#include "ofbridge/export/wms_documents.h"

#include <boost/json.hpp>
#include <pugixml.hpp>

#include <cctype>

#include "ofbridge/soap/xml_escape.h"

namespace ofbridge::exporting {
namespace {

namespace json = boost::json;

std::string text_of(const json::value* v) {
    if (!v) return {};
    switch (v->kind()) {
        case json::kind::string:
            return std::string(v->get_string());
        case json::kind::int64:
            return std::to_string(v->get_int64());
        case json::kind::uint64:
            return std::to_string(v->get_uint64());
        case json::kind::double_:
            return domain::decimal_text(v->get_double());
        case json::kind::bool_:
            return v->get_bool() ? "1" : "0";
        default:
            return {};
    }
}

const json::value* at(const json::object* o, std::string_view key) {
    return o ? o->if_contains(key) : nullptr;
}
const json::object* object_at(const json::object* o, std::string_view key) {
    const auto* v = at(o, key);
    return v ? v->if_object() : nullptr;
}

// Left out as the reference library leaves them out (notes §3.3): empty, 0 and false.
bool worth_sending(const std::string& value) {
    if (value.empty() || value == "false") return false;
    bool zero = true;
    for (char c : value)
        if (c != '0' && c != '.' && c != '-') zero = false;
    return !zero;
}

void add(KeyValues& out, std::string key, std::string value) {
    for (auto& c : value)
        if (c == '\n' || c == '\r') c = ' ';
    if (worth_sending(value)) out.emplace_back(std::move(key), std::move(value));
}

// Magento's street[] lines, city and region as AddressLine1..6, empty lines collapsed upward.
void add_address(KeyValues& out, const std::string& prefix, const json::object* address) {
    if (!address) return;
    std::vector<std::string> lines;
    if (const auto* street = at(address, "street"); street && street->is_array())
        for (const auto& line : street->get_array())
            if (auto text = text_of(&line); !text.empty() && lines.size() < 4)
                lines.push_back(text);
    for (const char* key : {"city", "region"})
        if (auto text = text_of(at(address, key)); !text.empty()) lines.push_back(text);
    for (std::size_t i = 0; i < lines.size() && i < 6; ++i)
        add(out, prefix + "AddressLine" + std::to_string(i + 1), lines[i]);
    add(out, prefix + "CountryCode", text_of(at(address, "country_id")));
    add(out, prefix + "PostCode", text_of(at(address, "postcode")));
    auto name = text_of(at(address, "firstname"));
    if (auto last = text_of(at(address, "lastname")); !last.empty())
        name += (name.empty() ? "" : " ") + last;
    add(out, prefix + "ContactName", name);
    add(out, prefix + "EmailAddress", text_of(at(address, "email")));
    add(out, prefix + "DayPhoneNumber", text_of(at(address, "telephone")));
    add(out, prefix + "FaxNumber", text_of(at(address, "fax")));
    add(out, prefix + "CompanyName", text_of(at(address, "company")));
}

void append_cdata(std::string& out, std::string_view text) {
    out += "<![CDATA[";
    // "]]>" would close the section: end it after "]]" and open a new one for ">".
    for (auto end = text.find("]]>"); end != std::string_view::npos; end = text.find("]]>")) {
        out += text.substr(0, end);
        out += "]]]]><![CDATA[>";
        text.remove_prefix(end + 3);
    }
    out += text;
    out += "]]>";
}

std::string contains_no_case(std::string_view haystack, std::string_view needle) {
    if (needle.empty() || haystack.size() < needle.size()) return {};
    for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
        bool match = true;
        for (std::size_t j = 0; j < needle.size() && match; ++j)
            match = std::tolower(static_cast<unsigned char>(haystack[i + j])) ==
                    std::tolower(static_cast<unsigned char>(needle[j]));
        if (match) return std::string(needle);
    }
    return {};
}

std::string_view local_name(const char* name) {
    std::string_view n(name);
    auto colon = n.find(':');
    return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

std::string trimmed(std::string text, std::size_t max = 500) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    std::size_t start = 0;
    while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
    text.erase(0, start);
    if (text.size() > max) text = text.substr(0, max) + "...";
    return text;
}

}  // namespace

KeyValues product_fields(std::string_view normalised_json) {
    std::error_code ec;
    auto document = json::parse(normalised_json, ec);
    const auto* p = ec ? nullptr : document.if_object();
    KeyValues out;
    auto field = [&](std::string_view key) { return text_of(at(p, key)); };
    add(out, "externalReference", field("sku"));
    add(out, "description", field("name"));
    auto barcode = field("attr.barcode");
    if (barcode.empty()) barcode = field("attr.ean");
    if (barcode.empty()) barcode = field("attr.upc");
    add(out, "barcode", barcode);
    add(out, "imageReference", field("attr.image"));
    add(out, "weight", field("weight"));
    add(out, "priceNet", field("price"));
    add(out, "taxCode", field("attr.tax_class_id"));
    // Magento status 1 = enabled, 2 = disabled; a disabled product is not sellable (left out).
    add(out, "sellable", field("status") == "1" ? "1" : "");
    for (const char* dimension : {"length", "width", "height"})
        add(out, dimension, field(std::string("attr.") + dimension));
    add(out, "magentoType", field("type_id"));
    return out;
}

KeyValues order_fields(std::string_view raw_json) {
    std::error_code ec;
    auto document = json::parse(raw_json, ec);
    const auto* o = ec ? nullptr : document.if_object();
    KeyValues out;
    auto field = [&](std::string_view key) { return text_of(at(o, key)); };
    add(out, "externalReference", field("increment_id"));
    add(out, "currency", field("order_currency_code"));
    add(out, "customerComment", field("customer_note"));
    add(out, "promotionCode", field("coupon_code"));
    add(out, "promotionDescription", field("discount_description"));
    add(out, "goodsPriceNet", field("subtotal"));
    add(out, "goodsPriceGross", field("subtotal_incl_tax"));
    add(out, "shippingPriceNet", field("shipping_amount"));
    add(out, "shippingPriceGross", field("shipping_incl_tax"));
    add(out, "shippingTax", field("shipping_tax_amount"));
    add(out, "totalPriceGross", field("grand_total"));
    add(out, "totalTax", field("tax_amount"));
    add(out, "placed", field("created_at"));
    if (const auto* payment = object_at(o, "payment")) {
        std::string title;
        if (const auto* info = at(payment, "additional_information");
            info && info->is_array() && !info->get_array().empty())
            title = text_of(&info->get_array()[0]);
        add(out, "paymentGatewayIdentifier",
            title.empty() ? text_of(at(payment, "method")) : title);
    }

    // The delivery address and method: Magento 2 keeps them in the first shipping assignment.
    const json::object* shipping = nullptr;
    std::string shipping_method = field("shipping_method");
    if (const auto* extension = object_at(o, "extension_attributes")) {
        if (const auto* assignments = at(extension, "shipping_assignments");
            assignments && assignments->is_array() && !assignments->get_array().empty()) {
            const auto* shipping_block =
                object_at(assignments->get_array()[0].if_object(), "shipping");
            shipping = object_at(shipping_block, "address");
            if (auto method = text_of(at(shipping_block, "method")); !method.empty())
                shipping_method = method;
        }
    }
    const auto* billing = object_at(o, "billing_address");
    add_address(out, "delivery", shipping ? shipping : billing);
    add_address(out, "invoice", billing);

    // Lines: simple items only (M1's rule); a configurable's child takes the parent's prices.
    if (const auto* items = at(o, "items"); items && items->is_array()) {
        std::map<std::string, const json::object*> by_id;
        for (const auto& item : items->get_array())
            if (const auto* i = item.if_object()) by_id[text_of(at(i, "item_id"))] = i;
        int n = 0;
        for (const auto& item : items->get_array()) {
            const auto* i = item.if_object();
            if (!i) continue;
            auto type = text_of(at(i, "product_type"));
            if (type == "configurable" || type == "bundle") continue;
            const json::object* priced = i;
            if (auto parent = text_of(at(i, "parent_item_id"));
                !parent.empty() && by_id.contains(parent))
                priced = by_id[parent];
            const auto prefix = "orderLine." + std::to_string(++n) + ".";
            add(out, prefix + "product.externalReference", text_of(at(i, "sku")));
            auto qty = at(i, "qty_ordered");
            add(out, prefix + "quantity",
                qty && qty->is_double() ? domain::decimal_text(qty->get_double()) : text_of(qty));
            add(out, prefix + "description", text_of(at(i, "name")));
            add(out, prefix + "unitPriceNet", text_of(at(priced, "price")));
            add(out, prefix + "unitPriceGross", text_of(at(priced, "price_incl_tax")));
            add(out, prefix + "totalPriceNet", text_of(at(priced, "row_total")));
            add(out, prefix + "totalPriceGross", text_of(at(priced, "row_total_incl_tax")));
            add(out, prefix + "totalTax", text_of(at(priced, "tax_amount")));
            add(out, prefix + "shipment", "entity:shipment");
        }
    }
    add(out, "shipment.deliveryInstruction", field("customer_note"));
    add(out, "shipment.deliverySuggestionCode", shipping_method);
    add(out, "shipment.deliverySuggestionName", field("shipping_description"));
    add(out, "shipment.orderItem", "entity:order");
    return out;
}

std::string imports_document(std::string_view type, std::string_view operation,
                             const std::vector<ImportEntry>& entries) {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<imports>\n";
    for (const auto& entry : entries) {
        out += "  <import type=\"";
        soap::append_escaped_attribute(out, type);
        out += "\" operation=\"";
        soap::append_escaped_attribute(out, operation);
        out += "\" externalReference=\"";
        soap::append_escaped_attribute(out, entry.reference);
        out += "\">";
        std::string content;
        for (const auto& [key, value] : entry.fields) {
            if (!content.empty()) content += '\n';
            content += key;
            content += '=';
            content += value;
        }
        append_cdata(out, content);
        out += "</import>\n";
    }
    out += "</imports>\n";
    return out;
}

std::string reply_error(int http_status, std::string_view body,
                        std::string_view extra_failure_text) {
    if (http_status >= 400)
        return "HTTP " + std::to_string(http_status) + ": " + trimmed(std::string(body), 300);
    pugi::xml_document document;
    auto parsed = document.load_buffer(body.data(), body.size(), pugi::parse_default);
    if (!parsed || !document.document_element())
        return "reply is not XML: " + trimmed(std::string(body), 300);
    auto root = document.document_element();
    auto root_name = local_name(root.name());
    if (root_name == "html") {
        // An XHTML error page (OrderFlow's servlet errors come with HTTP 200): body/h2 says it.
        for (auto h2 : root.select_nodes("//*[local-name()='h2']")) {
            std::string text = h2.node().child_value();
            if (!contains_no_case(text, "ERROR").empty()) return "error page: " + trimmed(text);
        }
        return "reply is an HTML page, not a result";
    }
    if (root_name == "exception" || root_name == "error") {
        std::string text;
        for (auto node : root.select_nodes("descendant-or-self::text()"))
            text += node.node().value();
        return "<" + std::string(root_name) + ">: " + trimmed(text);
    }
    if (body.find("no_operation") != std::string_view::npos)
        return "no_operation: the WMS did nothing";
    if (!extra_failure_text.empty() && body.find(extra_failure_text) != std::string_view::npos)
        return std::string(extra_failure_text) + ": " + trimmed(std::string(body), 300);
    return {};
}

ImportReply read_import_reply(int http_status, std::string_view body,
                              const std::vector<std::string>& references) {
    ImportReply reply;
    reply.error = reply_error(http_status, body);
    if (!reply.error.empty()) return reply;
    pugi::xml_document document;
    document.load_buffer(body.data(), body.size());
    auto root = document.document_element();
    if (local_name(root.name()) != "importResult") {
        reply.error = "reply is not an <importResult> but <" + std::string(root.name()) + ">";
        return reply;
    }
    for (const auto& reference : references) reply.results[reference] = {};
    // Rank: a success beats a duplicate beats a failure when a reference repeats.
    auto rank = [](domain::ExportResult r) {
        switch (r) {
            case domain::ExportResult::success:
                return 3;
            case domain::ExportResult::duplicate:
                return 2;
            case domain::ExportResult::failure:
                return 1;
            default:
                return 0;
        }
    };
    for (auto group : root.children()) {
        auto group_name = local_name(group.name());
        domain::ExportResult result;
        if (group_name == "importSuccesses")
            result = domain::ExportResult::success;
        else if (group_name == "importDuplicates")
            result = domain::ExportResult::duplicate;
        else if (group_name == "importFailures")
            result = domain::ExportResult::failure;
        else
            continue;
        for (auto import : group.children()) {
            if (local_name(import.name()) != "import") continue;
            std::string reference = import.attribute("externalReference").value();
            auto it = reply.results.find(reference);
            if (it == reply.results.end()) continue;  // not ours: nothing to update
            if (rank(result) <= rank(it->second.result)) continue;
            EntityResult entity{result, {}};
            auto child_text = [&](const char* name) {
                for (auto child : import.children())
                    if (local_name(child.name()) == name) return trimmed(child.text().get());
                return std::string{};
            };
            if (result == domain::ExportResult::failure) {
                entity.message = child_text("failureMessage");
                if (auto detail = child_text("failureDetail"); !detail.empty())
                    entity.message += (entity.message.empty() ? "" : ": ") + detail;
                if (entity.message.empty()) entity.message = "refused by the WMS (no message)";
            } else if (result == domain::ExportResult::duplicate) {
                entity.message = child_text("duplicateMessage");
            }
            it->second = std::move(entity);
        }
    }
    for (auto& [reference, entity] : reply.results)
        if (entity.result == domain::ExportResult::missing && entity.message.empty())
            entity.message = "not in the WMS's import report";
    return reply;
}

}  // namespace ofbridge::exporting
