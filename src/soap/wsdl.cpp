// Serving the curated WSDL documents of wsdl/ (embedded at build time by embed_wsdl.cmake):
// the address, and for Magento-2 the targetNamespace, must be the URL the client itself used,
// and a Magento-2 document holds only the services that were asked for.
#include "ofbridge/soap/wsdl.h"

#include "xml_escape.h"

#include <algorithm>
#include <pugixml.hpp>
#include <sstream>

namespace ofbridge::soap {
namespace embedded {
extern const std::string_view magento1_wsdl;
extern const std::string_view magento2_wsdl;
extern const std::string_view soap_encoding_xsd;
extern const std::string_view soap_encoding_members_xsd;
}  // namespace embedded

namespace {

constexpr std::string_view endpoint_placeholder = "@ENDPOINT@";

std::string replace_placeholder(std::string_view document, std::string_view endpoint) {
    std::string replacement;
    append_escaped_attribute(replacement, endpoint);
    std::string out;
    out.reserve(document.size() + 8 * replacement.size());
    std::size_t copied = 0;
    for (auto at = document.find(endpoint_placeholder); at != std::string_view::npos;
         at = document.find(endpoint_placeholder, copied)) {
        out.append(document.substr(copied, at - copied));
        out += replacement;
        copied = at + endpoint_placeholder.size();
    }
    out.append(document.substr(copied));
    return out;
}

std::string_view without_trailing_slash(std::string_view url) {
    while (!url.empty() && url.back() == '/') url.remove_suffix(1);
    return url;
}

bool belongs_to_any(std::string_view name, const std::vector<std::string>& services) {
    return std::any_of(services.begin(), services.end(),
                       [name](const std::string& service) { return name.starts_with(service); });
}

// Removes every definition (schema type/element, message, portType, binding, service) whose
// name does not start with one of `services`: the curated file names them all that way.
void keep_only(pugi::xml_node parent, const std::vector<std::string>& services) {
    for (auto child = parent.first_child(); child;) {
        auto next = child.next_sibling();
        const auto name = child.attribute("name");
        if (name && !belongs_to_any(name.value(), services)) parent.remove_child(child);
        child = next;
    }
}

}  // namespace

const std::vector<std::string>& magento2_services() {
    static const std::vector<std::string> services{
        "realtimeDespatchOrderFlowInventoryRequestManagementV1",
        "realtimeDespatchOrderFlowShipmentRequestManagementV1",
        "realtimeDespatchOrderFlowProductRequestManagementV1",
        "realtimeDespatchOrderFlowOrderRequestManagementV1",
        "integrationAdminTokenServiceV1",
        "catalogProductRepositoryV1",
        "salesOrderRepositoryV1",
    };
    return services;
}

std::string magento1_wsdl(std::string_view base_url, std::string_view endpoint_path) {
    std::string endpoint(without_trailing_slash(base_url));
    if (!endpoint_path.starts_with('/')) endpoint += '/';
    endpoint += endpoint_path;
    return replace_placeholder(embedded::magento1_wsdl, endpoint);
}

std::optional<std::string_view> schema_document(std::string_view name) {
    if (name == "soap-encoding") return embedded::soap_encoding_xsd;
    if (name == "soap-encoding-members") return embedded::soap_encoding_members_xsd;
    return std::nullopt;
}

std::optional<std::string> magento2_wsdl(std::string_view base_url, std::string_view store_code,
                                         const std::vector<std::string>& services) {
    const auto& offered = magento2_services();
    std::vector<std::string> requested;
    for (const auto& service : services) {
        if (std::find(offered.begin(), offered.end(), service) == offered.end())
            return std::nullopt;
        if (std::find(requested.begin(), requested.end(), service) == requested.end())
            requested.push_back(service);
    }
    if (requested.empty()) return std::nullopt;

    pugi::xml_document document;
    const auto& source = embedded::magento2_wsdl;
    if (!document.load_buffer(source.data(), source.size(),
                              pugi::parse_default | pugi::parse_declaration, pugi::encoding_utf8))
        return std::nullopt;  // unreachable: the embedded file is checked by the tests
    auto definitions = document.document_element();
    keep_only(definitions, requested);
    for (auto types : definitions.children())
        if (std::string_view{types.name()}.ends_with("types"))
            for (auto schema : types.children()) keep_only(schema, requested);

    std::string endpoint(without_trailing_slash(base_url));
    endpoint += "/soap/";
    endpoint += store_code;
    endpoint += "?services=";
    for (std::size_t i = 0; i < requested.size(); ++i) {
        if (i) endpoint += ',';
        endpoint += requested[i];
    }
    std::ostringstream text;
    document.save(text, "  ", pugi::format_indent, pugi::encoding_utf8);
    return replace_placeholder(text.str(), endpoint);
}

}  // namespace ofbridge::soap
