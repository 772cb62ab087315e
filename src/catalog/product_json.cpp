// parse_products_json and content_hash (see product_import.h). The whole document is checked
// before anything is written, so an import is refused whole with one message naming the product
// and the field.
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "ofbridge/catalog/product_import.h"
#include "ofbridge/domain/export_rules.h"
#include "ofbridge/storage/sha256.h"

namespace ofbridge::catalog {
namespace {

namespace json = boost::json;

constexpr unsigned max_json_depth = 32;
constexpr std::size_t max_sku_length = 64;  // catalog_product_entity.sku is varchar(64)

bool has_control_characters(std::string_view text) {
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

// A scalar as the text the export sends: strings as they are, numbers in JSON's shortest form
// ("34.5", "1", never exponents), booleans as 1/0; null and structures are not scalars.
std::optional<std::string> scalar_text(const json::value& v) {
    switch (v.kind()) {
        case json::kind::string:
            return std::string(v.get_string());
        case json::kind::int64:
            return std::to_string(v.get_int64());
        case json::kind::uint64:
            return std::to_string(v.get_uint64());
        case json::kind::double_:
            return domain::decimal_text(v.get_double());
        case json::kind::bool_:
            return v.get_bool() ? "1" : "0";
        default:
            return std::nullopt;
    }
}

ProductRecord parse_product(const json::object& object, std::size_t number,
                            const std::string& store_code) {
    const auto where = "product " + std::to_string(number);
    const auto* sku = object.if_contains("sku");
    if (!sku || !sku->is_string() || sku->get_string().empty())
        throw ProductImportError(where + ": sku: required (a non-empty string)");
    const std::string sku_text(sku->get_string());
    if (sku_text.size() > max_sku_length)
        throw ProductImportError(where + ": sku: longer than 64 bytes");
    if (has_control_characters(sku_text))
        throw ProductImportError(where + ": sku: control characters are not allowed");

    std::map<std::string, std::string> fields;  // sorted: the canonical order
    for (const char* key :
         {"sku", "name", "price", "weight", "status", "type_id", "visibility", "updated_at"}) {
        if (const auto* v = object.if_contains(key)) {
            if (auto text = scalar_text(*v))
                fields[key] = *text;
            else if (!v->is_null())
                throw ProductImportError(where + " (" + sku_text + "): " + key +
                                         ": expected a string or a number");
        }
    }
    if (const auto* custom = object.if_contains("custom_attributes");
        custom && !custom->is_null()) {
        const auto* array = custom->if_array();
        if (!array)
            throw ProductImportError(where + " (" + sku_text +
                                     "): custom_attributes: expected an array");
        for (std::size_t i = 0; i < array->size(); ++i) {
            const auto* attribute = (*array)[i].if_object();
            const auto* code = attribute ? attribute->if_contains("attribute_code") : nullptr;
            if (!code || !code->is_string() || code->get_string().empty())
                throw ProductImportError(where + " (" + sku_text + "): custom_attributes[" +
                                         std::to_string(i) + "]: attribute_code required");
            const auto* value = attribute->if_contains("value");
            if (!value) continue;
            // Multi-select values arrive as arrays; the WMS mapping has no use for them.
            if (auto text = scalar_text(*value))
                fields["attr." + std::string(code->get_string())] = *text;
        }
    }
    json::object normalised;
    for (const auto& [key, value] : fields) normalised[key] = value;
    ProductRecord record;
    record.sku = sku_text;
    record.name = fields.contains("name") ? fields["name"] : std::string{};
    record.store_code = store_code;
    record.raw_json = json::serialize(object);
    record.normalised_json = json::serialize(normalised);
    return record;
}

}  // namespace

std::vector<ProductRecord> parse_products_json(std::string_view text,
                                               const std::string& store_code) {
    json::parse_options options;
    options.max_depth = max_json_depth;
    std::error_code ec;
    json::value document = json::parse(text, ec, {}, options);
    if (ec) throw ProductImportError("invalid JSON: " + ec.message());
    std::vector<const json::object*> items;
    const auto* object = document.if_object();
    if (object && object->contains("items") && !object->contains("sku")) {
        const auto* array = object->at("items").if_array();
        if (!array) throw ProductImportError("document: items: expected an array of products");
        if (array->size() > max_products_per_document)
            throw ProductImportError("document: more than " +
                                     std::to_string(max_products_per_document) + " products");
        for (std::size_t i = 0; i < array->size(); ++i) {
            const auto* item = (*array)[i].if_object();
            if (!item)
                throw ProductImportError("product " + std::to_string(i + 1) +
                                         ": expected an object");
            items.push_back(item);
        }
    } else if (object) {
        items.push_back(object);
    } else {
        throw ProductImportError(
            "document: expected a product (with sku) or {\"items\": [products]}");
    }
    std::vector<ProductRecord> products;
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < items.size(); ++i) {
        auto product = parse_product(*items[i], i + 1, store_code);
        if (auto [it, fresh] = seen.emplace(product.sku, i + 1); !fresh)
            throw ProductImportError("product " + std::to_string(i + 1) + " (" + product.sku +
                                     "): sku: also product " + std::to_string(it->second));
        products.push_back(std::move(product));
    }
    return products;
}

std::string content_hash(std::string_view normalised_json) {
    std::error_code ec;
    json::value value = json::parse(normalised_json, ec);
    if (ec || !value.is_object()) return storage::sha256_hex(normalised_json);
    json::object hashed;  // same order, without updated_at
    for (const auto& [key, field] : value.as_object())
        if (key != "updated_at") hashed[key] = field;
    return storage::sha256_hex(json::serialize(hashed));
}

}  // namespace ofbridge::catalog
