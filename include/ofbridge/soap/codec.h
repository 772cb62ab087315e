// The SOAP edge: bytes in, wire messages out; results and faults in, bytes out.
//
// decode() parses each body once, with pugixml: a linear gate over that parse (src/soap/gate.h)
// rejects hostile input (DOCTYPE, depth, attribute and namespace-declaration floods, bad UTF-8,
// control characters, stray entities, duplicate Envelope/Body/operation), the operation element
// of the same parse is read into the domain's wire structs (src/soap/decode.cpp), and the secret
// text found on the way is masked in the body that is stored. Nothing in the body is skipped:
// what the operation does not define is a fault naming it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "ofbridge/domain/wire.h"

namespace ofbridge::soap {

enum class SoapVersion { v11, v12 };

// Magento-1 rpc/encoded (`urn:Magento`) or Magento-2 document/literal (namespace = endpoint URL).
enum class Style { m1_rpc, m2_document };

using WireMessage =
    std::variant<domain::WireLogin, domain::WireEndSession, domain::WireInventoryUpdate,
                 domain::WireShipmentCreate, domain::WireExportAck, domain::WireCreateToken,
                 domain::WireProductGet, domain::WireOrderGet>;

struct DecodedRequest {
    SoapVersion version = SoapVersion::v11;
    Style style = Style::m1_rpc;
    // The operation's name: for M1 the local name of the Body's child
    // ("orderflowInventoryMultiUpdate"), for M2 that name without its "Request" suffix
    // ("...RequestManagementV1Update"), as the WSDL names it. The reply element is
    // operation + "Response".
    std::string operation;
    // That element's namespace as the caller sent it (echoed in M2 replies); "" when its prefix
    // was not declared (tolerated for M1 only: real WMS templates do it).
    std::string namespace_uri;
    std::string service;  // M2: the service name matched from `services=`; M1: ""
    WireMessage message;
    // The body transcoded to UTF-8 (declaration rewritten) when it arrived in another encoding
    // (ISO-8859-1, US-ASCII, UTF-16); "" when it was UTF-8. The UTF-8 form is what is stored.
    std::string utf8_body;
    // What is stored: the UTF-8 form of the body with its secrets masked, as mask_secrets() would
    // give it, from the same parse. Filled when decode() is given `is_secret`.
    std::string stored_body;
};

enum class FaultKind { client, server };

struct Fault {
    FaultKind kind = FaultKind::client;
    std::string code;     // Magento-1 numeric code ("2", "5") or "" for the SOAP default
    std::string message;  // faultstring: names the problem (element path, expected type)
    SoapVersion version = SoapVersion::v11;
};

struct GateLimits {
    std::size_t max_depth = 64;
    std::size_t max_attributes_per_element = 64;
    std::size_t max_namespace_declarations = 64;  // per element
    std::size_t max_elements = 50000;             // whole document
    std::size_t max_text_bytes = 65536;           // one text node or attribute value
    std::size_t max_name_bytes = 256;             // one element or attribute name
};

using DecodeResult = std::variant<DecodedRequest, Fault>;

// Whether an element's local name names a credential (ingest::is_secret_field is the list).
using SecretName = bool (*)(std::string_view local_name);

// A body in ISO-8859-1, US-ASCII or UTF-16 (by its byte order mark, its XML declaration or the
// Content-Type charset) is transcoded to UTF-8 first; any other encoding is a client fault.
// `content_type` is the HTTP Content-Type (SOAP 1.2 envelopes need application/soap+xml and
// 1.1 envelopes text/xml when one is clearly given); `soap_action` the SOAPAction header
// (a non-empty one naming a different operation is a fault). With `is_secret`, the result's
// stored_body is the masked body to store. Thread-safe (no shared state).
DecodeResult decode(std::string_view body, std::string_view content_type,
                    std::string_view soap_action, const GateLimits& limits,
                    SecretName is_secret = nullptr);

// Replies. `result` is the string result of an inventory/shipment/export operation or the
// session id of `login`; endSession answers a boolean.
std::string encode_string_result(const DecodedRequest& request, std::string_view result);
std::string encode_bool_result(const DecodedRequest& request, bool result);
// SOAP 1.1: <faultcode> SOAP-ENV:Client / SOAP-ENV:Server, or the bare Magento code ("2").
// SOAP 1.2: env:Sender / env:Receiver, a Magento code in <env:Detail><ns1:faultcode> (urn:Magento).
std::string encode_fault(const Fault& fault);

// HTTP status and Content-Type for a reply in that SOAP version.
std::string_view content_type(SoapVersion version);
unsigned fault_http_status(const Fault& fault);  // 500 (SOAP 1.1 / Sender), 503 for server faults

// The body as it may be stored or shown: the text of every element anywhere in the envelope
// (SOAP Header included, e.g. a WS-Security <wsse:Password>) whose local name `is_secret`
// accepts, replaced by "***". Input must have passed decode() (well-formed); a body pugixml
// refuses is masked by a plain scan of its tags instead.
std::string mask_secrets(std::string_view body, SecretName is_secret);

}  // namespace ofbridge::soap
