// The one parse of a SOAP body, and the linear checks on it (DESIGN §4.2, reliability §4).
//
// pugixml parses the body once, without decoding references or line ends, so every value stays
// the raw text that was sent: the checks see references as written, the secret ranges found for
// masking are byte ranges of the body, and the decoder (decode.cpp) reads the message from the
// same document. Everything hostile or ambiguous is refused here with a client fault: DTDs,
// entities other than XML's five, bad UTF-8 and character references, control characters, and
// depth, attribute, namespace-declaration, element-count and size floods, each in one pass. The
// gate also works out what the message is (SOAP version, style, operation, service) so the
// decoder never guesses, and cross-checks SOAPAction and Content-Type.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ofbridge/soap/codec.h"

namespace ofbridge::soap::gate {

// The operations this broker accepts. `Request` suffixes of Magento-2 elements are stripped:
// `operation` is the name the WSDL gives the operation (and the reply is `<operation>Response`).
enum class Operation {
    m1_login,
    m1_end_session,
    m1_inventory_update,
    m1_shipment_create,
    m2_inventory_update,
    m2_shipment_create,
    m2_product_export,
    m2_order_export,
    m2_create_admin_token,
    m2_product_get,
    m2_order_get,
};

struct Verdict {
    SoapVersion version = SoapVersion::v11;
    Style style = Style::m1_rpc;
    Operation operation = Operation::m1_login;
    std::string operation_name;  // e.g. "orderflowInventoryMultiUpdate", "...V1Update"
    std::string namespace_uri;   // the operation element's namespace as declared ("" = undeclared)
    std::string service;         // Magento-2 service name, "" for Magento-1
    // The parsed body (values raw: references and line ends as sent) and, inside it, the
    // operation element the decoder reads the message from.
    std::unique_ptr<pugi::xml_document> document;
    pugi::xml_node operation_element;
    // Byte ranges (offset, length) of the text of every element, anywhere in the envelope, whose
    // local name the `is_secret` given to inspect() accepts: masked in the stored body. Sorted.
    std::vector<std::pair<std::size_t, std::size_t>> secret_text;
    // The body holds no '&' and no CR: every raw value is already its value (nothing to decode,
    // no line end to normalise), so the decoder copies it as it stands.
    bool raw_values_are_values = false;
    // The elements (by the address of their name in the document, in document order) with a
    // namespace declaration or an attribute that changes what the element means (xsi:nil, href,
    // ref, position, offset). The decoder reads the attributes of these elements only.
    std::vector<const char*> elements_with_meaningful_attributes;

    bool has_meaningful_attributes(const char* element_name) const {
        return std::binary_search(elements_with_meaningful_attributes.begin(),
                                  elements_with_meaningful_attributes.end(), element_name,
                                  std::less<>{});
    }
};

using GateResult = std::variant<Verdict, Fault>;

// Parses `body` and checks it (and the HTTP Content-Type / SOAPAction that came with it) against
// `limits`. Every rejection is a client Fault whose message names the problem. With `is_secret`,
// the verdict also lists the text to mask.
GateResult inspect(std::string_view body, std::string_view content_type,
                   std::string_view soap_action, const GateLimits& limits,
                   SecretName is_secret = nullptr);

// The pugixml options of that one parse: raw values (no escapes, no end-of-line normalisation),
// whitespace-only text kept (it is part of a value), CDATA and DOCTYPE as nodes.
constexpr unsigned parse_options =
    pugi::parse_doctype | pugi::parse_cdata | pugi::parse_declaration | pugi::parse_ws_pcdata;

// Adds the byte ranges of the text children of `element` to `ranges` when its local name is a
// secret (shared by the gate and mask_secrets()).
void add_secret_text(pugi::xml_node element, SecretName is_secret,
                     std::vector<std::pair<std::size_t, std::size_t>>& ranges);
// The same, with the element's (qualified) name already read.
void add_secret_text(pugi::xml_node element, std::string_view name, SecretName is_secret,
                     std::vector<std::pair<std::size_t, std::size_t>>& ranges);

// Exposed for tests: the raw-byte checks (strict UTF-8 without overlongs/surrogates/non-characters,
// no C0 controls except TAB/LF/CR). Returns "" when valid, else the problem with its byte offset.
std::string check_raw_bytes(std::string_view body);

}  // namespace ofbridge::soap::gate
