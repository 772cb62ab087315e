// The typed replies of the read operations (see fetch_replies.h). The only place that builds
// gSOAP objects: each reply has a soap context of its own (thread-safe, no shared state), whose
// namespace table is the generated one with the operation's namespace set to the endpoint URL
// the caller used, so the reply is in the namespace of the WSDL it was given.
#include "ofbridge/soap/fetch_replies.h"

#include <boost/json.hpp>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "soapH.h"

extern SOAP_NMAC struct Namespace namespaces[];

namespace ofbridge::soap {
namespace {

namespace json = boost::json;

// A value as the text gSOAP writes: strings as they are, numbers in their shortest JSON form,
// booleans as 1/0 (Magento's int flags); absent, null and "" as nothing.
std::string* text(struct soap* soap, const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    if (!value || value->is_null()) return nullptr;
    std::string out;
    if (value->is_string())
        out = std::string(value->get_string());
    else if (value->is_bool())
        out = value->get_bool() ? "1" : "0";
    else if (value->is_number())
        out = json::serialize(*value);
    else
        return nullptr;
    if (out.empty()) return nullptr;
    auto* s = soap_new_std__string(soap);
    *s = std::move(out);
    return s;
}

const json::object* object_at(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    return value && value->is_object() ? &value->get_object() : nullptr;
}

const json::array* array_at(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    return value && value->is_array() ? &value->get_array() : nullptr;
}

json::object parse_object(std::string_view document, std::string_view what) {
    boost::system::error_code ec;
    auto value = json::parse(document, ec);
    if (ec || !value.is_object())
        throw std::invalid_argument("stored " + std::string(what) + " is not a JSON object");
    return std::move(value.get_object());
}

// A per-reply copy of the namespace table with `prefix` bound to `uri`.
std::vector<Namespace> namespaces_with(const char* prefix, const std::string& uri) {
    std::vector<Namespace> table;
    for (const Namespace* ns = namespaces; ns->id; ++ns) {
        Namespace copy = *ns;
        if (std::string_view{ns->id} == prefix && !uri.empty()) copy.ns = uri.c_str();
        table.push_back(copy);
    }
    table.push_back(Namespace{nullptr, nullptr, nullptr, nullptr});
    return table;
}

struct SoapContext {
    // A tree (no multi-reference ids) without xsi:type attributes, as document/literal wants.
    SoapContext() : soap(soap_new1(SOAP_XML_TREE | SOAP_XML_NOTYPE)) {}
    ~SoapContext() {
        soap_destroy(soap);
        soap_end(soap);
        soap_free(soap);
    }
    SoapContext(const SoapContext&) = delete;
    SoapContext& operator=(const SoapContext&) = delete;
    struct soap* soap;
};

// Writes the envelope around `put` (which writes the response element) to a string.
template <class Put>
std::string envelope(struct soap* soap, const DecodedRequest& request, const char* prefix,
                     Put&& put) {
    const auto table = namespaces_with(prefix, request.namespace_uri);
    soap_set_namespaces(soap, table.data());
    soap_set_version(soap, request.version == SoapVersion::v12 ? 2 : 1);
    std::ostringstream out;
    soap->os = &out;
    if (soap_begin_send(soap) || soap_envelope_begin_out(soap) || soap_putheader(soap) ||
        soap_body_begin_out(soap) || put() || soap_body_end_out(soap) ||
        soap_envelope_end_out(soap) || soap_end_send(soap))
        throw std::runtime_error("gSOAP could not write the reply (error " +
                                 std::to_string(soap->error) + ")");
    soap->os = nullptr;
    soap_set_namespaces(soap, namespaces);
    return out.str();
}

ns8__SalesDataOrderAddressInterface* address(struct soap* soap, const json::object* a) {
    if (!a) return nullptr;
    auto* out = soap_new_ns8__SalesDataOrderAddressInterface(soap);
    out->addressType = text(soap, *a, "address_type");
    out->firstname = text(soap, *a, "firstname");
    out->lastname = text(soap, *a, "lastname");
    out->company = text(soap, *a, "company");
    if (const auto* street = array_at(*a, "street")) {
        out->street = soap_new_ns8__ArrayOfString(soap);
        for (const auto& line : *street)
            if (line.is_string()) out->street->item.emplace_back(line.get_string());
    }
    out->city = text(soap, *a, "city");
    out->region = text(soap, *a, "region");
    out->postcode = text(soap, *a, "postcode");
    out->countryId = text(soap, *a, "country_id");
    out->telephone = text(soap, *a, "telephone");
    out->email = text(soap, *a, "email");
    return out;
}

}  // namespace

std::string encode_product_get_response(const DecodedRequest& request,
                                        std::string_view product_json) {
    const auto p = parse_object(product_json, "product");
    SoapContext context;
    auto* soap = context.soap;
    auto* product = soap_new_ns7__CatalogDataProductInterface(soap);
    product->id = text(soap, p, "id");
    product->sku = text(soap, p, "sku");
    product->name = text(soap, p, "name");
    product->attributeSetId = text(soap, p, "attribute_set_id");
    product->price = text(soap, p, "price");
    product->status = text(soap, p, "status");
    product->visibility = text(soap, p, "visibility");
    product->typeId = text(soap, p, "type_id");
    product->createdAt = text(soap, p, "created_at");
    product->updatedAt = text(soap, p, "updated_at");
    product->weight = text(soap, p, "weight");
    if (const auto* attributes = array_at(p, "custom_attributes")) {
        product->customAttributes = soap_new_ns7__FrameworkAttributeInterfaceArray(soap);
        for (const auto& a : *attributes) {
            if (!a.is_object()) continue;
            ns7__FrameworkAttributeInterface attribute;
            attribute.attributeCode = text(soap, a.get_object(), "attribute_code");
            attribute.value = text(soap, a.get_object(), "value");
            if (attribute.attributeCode)
                product->customAttributes->item.push_back(std::move(attribute));
        }
    }
    ns7__catalogProductRepositoryV1GetResponse response;
    response.soap_default(soap);
    response.result = product;
    return envelope(soap, request, "ns7", [&] {
        return response.soap_out(soap, "ns7:catalogProductRepositoryV1GetResponse", -1, "");
    });
}

std::string encode_order_get_response(const DecodedRequest& request, std::string_view order_json) {
    const auto o = parse_object(order_json, "order");
    SoapContext context;
    auto* soap = context.soap;
    auto* order = soap_new_ns8__SalesDataOrderInterface(soap);
    order->entityId = text(soap, o, "entity_id");
    order->incrementId = text(soap, o, "increment_id");
    order->state = text(soap, o, "state");
    order->status = text(soap, o, "status");
    order->createdAt = text(soap, o, "created_at");
    order->updatedAt = text(soap, o, "updated_at");
    order->customerEmail = text(soap, o, "customer_email");
    order->customerFirstname = text(soap, o, "customer_firstname");
    order->customerLastname = text(soap, o, "customer_lastname");
    order->customerNote = text(soap, o, "customer_note");
    order->couponCode = text(soap, o, "coupon_code");
    order->orderCurrencyCode = text(soap, o, "order_currency_code");
    order->isVirtual = text(soap, o, "is_virtual");
    order->subtotal = text(soap, o, "subtotal");
    order->subtotalInclTax = text(soap, o, "subtotal_incl_tax");
    order->shippingAmount = text(soap, o, "shipping_amount");
    order->shippingInclTax = text(soap, o, "shipping_incl_tax");
    order->discountAmount = text(soap, o, "discount_amount");
    order->taxAmount = text(soap, o, "tax_amount");
    order->grandTotal = text(soap, o, "grand_total");
    order->shippingDescription = text(soap, o, "shipping_description");
    if (const auto* items = array_at(o, "items")) {
        order->items = soap_new_ns8__SalesDataOrderItemInterfaceArray(soap);
        for (const auto& value : *items) {
            if (!value.is_object()) continue;
            const auto& i = value.get_object();
            ns8__SalesDataOrderItemInterface item;
            item.soap_default(soap);
            item.itemId = text(soap, i, "item_id");
            item.sku = text(soap, i, "sku");
            item.name = text(soap, i, "name");
            item.productType = text(soap, i, "product_type");
            item.qtyOrdered = text(soap, i, "qty_ordered");
            item.price = text(soap, i, "price");
            item.priceInclTax = text(soap, i, "price_incl_tax");
            item.rowTotal = text(soap, i, "row_total");
            item.rowTotalInclTax = text(soap, i, "row_total_incl_tax");
            item.taxAmount = text(soap, i, "tax_amount");
            item.taxPercent = text(soap, i, "tax_percent");
            item.discountAmount = text(soap, i, "discount_amount");
            order->items->item.push_back(std::move(item));
        }
    }
    order->billingAddress = address(soap, object_at(o, "billing_address"));
    // Magento keeps the delivery address in extension_attributes.shipping_assignments; the
    // orders import also accepts it at the top level (shipping_address, shipping_method).
    const json::object* shipping_address = nullptr;
    const json::value* shipping_method = nullptr;
    if (const auto* extension = object_at(o, "extension_attributes"))
        if (const auto* assignments = array_at(*extension, "shipping_assignments"))
            if (!assignments->empty() && assignments->front().is_object())
                if (const auto* shipping =
                        object_at(assignments->front().get_object(), "shipping")) {
                    shipping_address = object_at(*shipping, "address");
                    shipping_method = shipping->if_contains("method");
                }
    if (!shipping_address) shipping_address = object_at(o, "shipping_address");
    if (!shipping_method) shipping_method = o.if_contains("shipping_method");
    if (shipping_address || shipping_method) {
        auto* shipping = soap_new_ns8__SalesDataShippingInterface(soap);
        shipping->address = address(soap, shipping_address);
        if (shipping_method && shipping_method->is_string() &&
            !shipping_method->get_string().empty()) {
            shipping->method = soap_new_std__string(soap);
            *shipping->method = std::string(shipping_method->get_string());
        }
        ns8__SalesDataShippingAssignmentInterface assignment;
        assignment.soap_default(soap);
        assignment.shipping = shipping;
        order->extensionAttributes = soap_new_ns8__SalesDataOrderExtensionInterface(soap);
        order->extensionAttributes->shippingAssignments =
            soap_new_ns8__SalesDataShippingAssignmentInterfaceArray(soap);
        order->extensionAttributes->shippingAssignments->item.push_back(std::move(assignment));
    }
    ns8__salesOrderRepositoryV1GetResponse response;
    response.soap_default(soap);
    response.result = order;
    return envelope(soap, request, "ns8", [&] {
        return response.soap_out(soap, "ns8:salesOrderRepositoryV1GetResponse", -1, "");
    });
}

}  // namespace ofbridge::soap
