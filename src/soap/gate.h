// The cheap, linear pre-parse gate in front of gSOAP (DESIGN §4.2, reliability §4).
//
// gSOAP is quadratic in attributes per element, skips DTDs silently, turns unknown entities into
// 0x7F, truncates on `&#0;` and mis-decodes `&#x1F600;`. Everything it would get wrong or slow is
// rejected here first, with pugixml (non-recursive, ~1 GB/s) and a byte scan of the raw body.
// The gate also works out what the message is (SOAP version, style, operation, service) so the
// decoder never has to guess, and so SOAPAction / Content-Type can be cross-checked.
#pragma once

#include <cstddef>
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
};

struct Verdict {
    SoapVersion version = SoapVersion::v11;
    Style style = Style::m1_rpc;
    Operation operation = Operation::m1_login;
    std::string operation_name;  // e.g. "orderflowInventoryMultiUpdate", "...V1Update"
    std::string namespace_uri;   // the operation element's namespace as declared ("" = undeclared)
    std::string service;         // Magento-2 service name, "" for Magento-1
    // How many leaf elements sit at each local-name path below the operation element
    // ({"skusQty/item/key", 2}, ...), sorted by path; elements marked xsi:nil are left out. The
    // decoder counts what gSOAP filled in the same way: any difference is data gSOAP skipped
    // (unknown name, wrong namespace, non-<item> literal array entries). The members of a
    // Magento-1 SOAP-ENC array are counted under "item" whatever their element name.
    std::vector<std::pair<std::string, std::size_t>> leaf_counts;
    // Some element below the operation carries a namespace prefix (`<ns0:sku>`). gSOAP's default
    // mode silently skips prefixed children it expects unqualified, so the decoder starts in
    // namespace-ignoring mode for these (and for undeclared operation prefixes).
    bool prefixed_descendants = false;
    // Byte ranges (offset, length) in the body of the start- and end-tag names of SOAP-ENC array
    // members not named <item>. gSOAP matches array members by the name <item>, so the decoder
    // renames these in its own copy of the body; the stored body keeps the names as sent.
    std::vector<std::pair<std::size_t, std::size_t>> member_names;
};

using GateResult = std::variant<Verdict, Fault>;

// Checks `body` (and the HTTP Content-Type / SOAPAction that came with it) against `limits`.
// Every rejection is a client Fault whose message names the problem.
GateResult inspect(std::string_view body, std::string_view content_type,
                   std::string_view soap_action, const GateLimits& limits);

// Exposed for tests: the raw-byte checks (strict UTF-8 without overlongs/surrogates/non-characters,
// no C0 controls except TAB/LF/CR). Returns "" when valid, else the problem with its byte offset.
std::string check_raw_bytes(std::string_view body);

}  // namespace ofbridge::soap::gate
