// The one parse and its linear checks, and the routing facts (version, style, operation) read off
// the envelope. See gate.h for why.
#include "gate.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <pugixml.hpp>
#include <vector>

#include "xml_text.h"

namespace ofbridge::soap::gate {
namespace {

constexpr std::string_view soap11_envelope_ns = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr std::string_view soap12_envelope_ns = "http://www.w3.org/2003/05/soap-envelope";
constexpr std::string_view magento1_ns = "urn:Magento";

struct KnownOperation {
    std::string_view element;  // local name of the Body child
    std::string_view name;     // operation name (Magento-2: element without "Request")
    std::string_view service;  // Magento-2 service, "" for Magento-1
    Operation operation;
};

constexpr std::array known_operations{
    KnownOperation{"login", "login", "", Operation::m1_login},
    KnownOperation{"endSession", "endSession", "", Operation::m1_end_session},
    KnownOperation{"orderflowInventoryMultiUpdate", "orderflowInventoryMultiUpdate", "",
                   Operation::m1_inventory_update},
    KnownOperation{"orderflowShipmentCreate", "orderflowShipmentCreate", "",
                   Operation::m1_shipment_create},
    KnownOperation{"realtimeDespatchOrderFlowInventoryRequestManagementV1UpdateRequest",
                   "realtimeDespatchOrderFlowInventoryRequestManagementV1Update",
                   "realtimeDespatchOrderFlowInventoryRequestManagementV1",
                   Operation::m2_inventory_update},
    KnownOperation{"realtimeDespatchOrderFlowShipmentRequestManagementV1CreateRequest",
                   "realtimeDespatchOrderFlowShipmentRequestManagementV1Create",
                   "realtimeDespatchOrderFlowShipmentRequestManagementV1",
                   Operation::m2_shipment_create},
    KnownOperation{"realtimeDespatchOrderFlowProductRequestManagementV1ExportRequest",
                   "realtimeDespatchOrderFlowProductRequestManagementV1Export",
                   "realtimeDespatchOrderFlowProductRequestManagementV1",
                   Operation::m2_product_export},
    KnownOperation{"realtimeDespatchOrderFlowOrderRequestManagementV1ExportRequest",
                   "realtimeDespatchOrderFlowOrderRequestManagementV1Export",
                   "realtimeDespatchOrderFlowOrderRequestManagementV1", Operation::m2_order_export},
    KnownOperation{"integrationAdminTokenServiceV1CreateAdminAccessTokenRequest",
                   "integrationAdminTokenServiceV1CreateAdminAccessToken",
                   "integrationAdminTokenServiceV1", Operation::m2_create_admin_token},
    KnownOperation{"catalogProductRepositoryV1GetRequest", "catalogProductRepositoryV1Get",
                   "catalogProductRepositoryV1", Operation::m2_product_get},
    KnownOperation{"salesOrderRepositoryV1GetRequest", "salesOrderRepositoryV1Get",
                   "salesOrderRepositoryV1", Operation::m2_order_get},
};

Fault client_fault(SoapVersion version, std::string message) {
    return Fault{FaultKind::client, "", std::move(message), version};
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view space = " \t\r\n";
    auto first = s.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

std::string hex_byte(unsigned char byte) {
    constexpr std::string_view digits = "0123456789ABCDEF";
    return std::string{"0x"} + digits[byte >> 4] + digits[byte & 0xF];
}

bool is_xml_char(std::uint32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Validates the character and entity references in one raw (undecoded) text or attribute value.
// Only the five predefined entities are allowed (there is no DTD to define others), and char refs
// must name XML characters in the BMP; characters above it must arrive as raw UTF-8 (the
// hostile-input rules of reliability §4, H13, kept as they were).
std::optional<std::string> check_references(std::string_view raw) {
    for (auto amp = raw.find('&'); amp != std::string_view::npos; amp = raw.find('&', amp + 1)) {
        auto semicolon = raw.find(';', amp);
        if (semicolon == std::string_view::npos || semicolon - amp > 32)
            return std::string{"a bare '&' that does not start a reference (write &amp;)"};
        auto name = raw.substr(amp + 1, semicolon - amp - 1);
        if (name.empty()) return std::string{"an empty reference '&;'"};
        if (name.front() != '#') {
            if (name == "lt" || name == "gt" || name == "amp" || name == "apos" || name == "quot")
                continue;
            return "the entity reference &" + std::string(name) +
                   "; (only &lt; &gt; &amp; &apos; &quot; are allowed; no DTD entities)";
        }
        auto digits = name.substr(1);
        unsigned base = 10;
        if (!digits.empty() && digits.front() == 'x') {
            base = 16;
            digits.remove_prefix(1);
        }
        if (digits.empty() || digits.size() > 8)
            return "a malformed character reference &" + std::string(name) + ";";
        std::uint32_t code_point = 0;
        for (char c : digits) {
            unsigned digit = 0;
            if (c >= '0' && c <= '9')
                digit = static_cast<unsigned>(c - '0');
            else if (base == 16 && c >= 'a' && c <= 'f')
                digit = static_cast<unsigned>(c - 'a' + 10);
            else if (base == 16 && c >= 'A' && c <= 'F')
                digit = static_cast<unsigned>(c - 'A' + 10);
            else
                return "a malformed character reference &" + std::string(name) + ";";
            code_point = code_point * base + digit;
        }
        if (!is_xml_char(code_point))
            return "the character reference &" + std::string(name) +
                   "; names a character XML 1.0 forbids";
        if (code_point > 0xFFFF)
            return "the character reference &" + std::string(name) +
                   "; (characters above U+FFFF must be sent as raw UTF-8, not as references)";
    }
    return std::nullopt;
}

// The attributes (besides namespace declarations) the decoder acts on: xsi:nil, and the
// multi-reference and sparse-array ones it refuses (decode.cpp, MessageReader::enter).
bool changes_meaning(std::string_view attribute_name) {
    const auto local = xml::local_name(attribute_name);
    return local == "nil" || local == "ref" || local == "position" || local == "offset" ||
           attribute_name == "href";
}

// What a scan of the raw body proves about every value in it, so the structure walk can skip the
// per-value work that cannot find anything: without a '&' no value holds a reference to check,
// and a body no longer than the text limit holds no value longer than it.
struct BodyFacts {
    bool has_ampersand = true;
    bool values_fit = false;
};

// Structural limits over the whole document, in one iterative pass (pugixml is non-recursive
// too, so a million-deep document costs memory, never stack); the secret text is noted on the way.
// Each pugixml accessor is an out-of-line call, so every node's type, first child and next
// sibling are read once.
std::optional<std::string> check_structure(const pugi::xml_document& document,
                                           const GateLimits& limits, SecretName is_secret,
                                           BodyFacts facts, Verdict& verdict) {
    const bool check_values = facts.has_ampersand || !facts.values_fit;
    std::size_t elements = 0;
    std::size_t depth = 0;
    pugi::xml_node node = document.first_child();
    while (node) {
        const auto type = node.type();
        pugi::xml_node first_child;
        switch (type) {
            case pugi::node_doctype:
                return std::string{"a DOCTYPE declaration (DTDs are not accepted)"};
            case pugi::node_element: {
                ++elements;
                if (elements > limits.max_elements)
                    return "more than " + std::to_string(limits.max_elements) + " elements";
                if (depth + 1 > limits.max_depth)
                    return "elements nested deeper than " + std::to_string(limits.max_depth) +
                           " levels";
                std::string_view name = node.name();
                if (name.size() > limits.max_name_bytes)
                    return "an element name longer than " + std::to_string(limits.max_name_bytes) +
                           " bytes";
                if (is_secret) add_secret_text(node, name, is_secret, verdict.secret_text);
                std::size_t attributes = 0;
                std::size_t declarations = 0;
                bool noted = false;
                for (auto attribute = node.first_attribute(); attribute;
                     attribute = attribute.next_attribute()) {
                    std::string_view attribute_name = attribute.name();
                    bool is_declaration = attribute_name.starts_with("xmlns") &&
                                          (attribute_name.size() == 5 || attribute_name[5] == ':');
                    if (!noted && (is_declaration || changes_meaning(attribute_name))) {
                        verdict.elements_with_meaningful_attributes.push_back(name.data());
                        noted = true;
                    }
                    if (is_declaration && ++declarations > limits.max_namespace_declarations)
                        return xml::describe(node) + " with more than " +
                               std::to_string(limits.max_namespace_declarations) +
                               " namespace declarations";
                    if (!is_declaration && ++attributes > limits.max_attributes_per_element)
                        return xml::describe(node) + " with more than " +
                               std::to_string(limits.max_attributes_per_element) + " attributes";
                    if (attribute_name.size() > limits.max_name_bytes)
                        return "an attribute name longer than " +
                               std::to_string(limits.max_name_bytes) + " bytes in " +
                               xml::describe(node);
                    if (!check_values) continue;
                    std::string_view value = attribute.value();
                    if (value.size() > limits.max_text_bytes)
                        return "attribute " + std::string(attribute_name) + " of " +
                               xml::describe(node) + " longer than " +
                               std::to_string(limits.max_text_bytes) + " bytes";
                    if (auto problem = check_references(value))
                        return "attribute " + std::string(attribute_name) + " of " +
                               xml::describe(node) + " contains " + *problem;
                }
                first_child = node.first_child();
                break;
            }
            case pugi::node_pcdata:
            case pugi::node_cdata: {
                if (!check_values) break;
                std::string_view text = node.value();
                if (text.size() > limits.max_text_bytes)
                    return "text in " + xml::describe(node.parent()) + " longer than " +
                           std::to_string(limits.max_text_bytes) + " bytes";
                if (type == pugi::node_pcdata)
                    if (auto problem = check_references(text))
                        return "text in " + xml::describe(node.parent()) + " contains " + *problem;
                break;
            }
            default:
                break;
        }
        // Next node in document order.
        if (first_child) {
            node = first_child;
            ++depth;
            continue;
        }
        auto next = node.next_sibling();
        while (!next) {
            node = node.parent();
            if (!node || node.type() == pugi::node_document) return std::nullopt;
            --depth;
            next = node.next_sibling();
        }
        node = next;
    }
    return std::nullopt;
}

std::optional<std::string> check_declaration(const pugi::xml_document& document) {
    for (auto node : document.children()) {
        if (node.type() != pugi::node_declaration) continue;
        std::string_view version = node.attribute("version").value();
        if (!version.empty() && version != "1.0")
            return "XML version " + std::string(version) + " (only 1.0 is accepted)";
        auto encoding = lowercase(node.attribute("encoding").value());
        if (!encoding.empty() && encoding != "utf-8" && encoding != "utf8")
            return "encoding " + std::string(node.attribute("encoding").value()) +
                   " (only UTF-8 is accepted)";
    }
    return std::nullopt;
}

// No header block is processed here, so one the sender marks mustUnderstand (SOAP 1.1 "1",
// SOAP 1.2 "true") cannot be honoured and is refused (SOAP 1.1 §4.2.3, 1.2 §5.2.3).
std::optional<std::string> check_header_blocks(pugi::xml_node header,
                                               std::string_view envelope_ns) {
    for (auto block = header.first_child(); block; block = block.next_sibling()) {
        if (block.type() != pugi::node_element) continue;
        for (auto attribute = block.first_attribute(); attribute;
             attribute = attribute.next_attribute()) {
            const std::string_view name = attribute.name();
            if (xml::local_name(name) != "mustUnderstand") continue;
            const std::string_view value = attribute.value();
            if (value != "1" && value != "true") continue;
            const auto ns = xml::resolve_prefix(block, xml::prefix_of(name));
            if (xml::prefix_of(name).empty() || !ns || *ns != envelope_ns) continue;
            return "The data in element '" + std::string(block.name()) +
                   "' must be understood but cannot be processed";
        }
    }
    return std::nullopt;
}

// The media type of a Content-Type header, lower-cased, and its `action` parameter (SOAP 1.2).
struct MediaType {
    std::string type;
    std::string action;
};

MediaType parse_content_type(std::string_view header) {
    MediaType media;
    auto semicolon = header.find(';');
    media.type = lowercase(trim(header.substr(0, semicolon)));
    while (semicolon != std::string_view::npos) {
        header.remove_prefix(semicolon + 1);
        semicolon = header.find(';');
        auto parameter = trim(header.substr(0, semicolon));
        auto equals = parameter.find('=');
        if (equals == std::string_view::npos) continue;
        if (lowercase(trim(parameter.substr(0, equals))) == "action")
            media.action = std::string(trim(parameter.substr(equals + 1)));
    }
    return media;
}

// The operation a SOAPAction names: its last '/', '#' or ':' separated segment, quotes removed.
std::string_view action_operation(std::string_view action) {
    action = trim(action);
    if (action.size() >= 2 && action.front() == '"' && action.back() == '"')
        action = trim(action.substr(1, action.size() - 2));
    auto separator = action.find_last_of("/#:");
    return separator == std::string_view::npos ? action : action.substr(separator + 1);
}

const KnownOperation* find_named_operation(std::string_view name) {
    for (const auto& known : known_operations)
        if (known.name == name || known.element == name) return &known;
    return nullptr;
}

}  // namespace

std::string check_raw_bytes(std::string_view body) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(body.data());
    const std::size_t size = body.size();
    std::size_t i = 0;
    while (i < size) {
        // Fast path: eight bytes at a time while they are all printable ASCII (0x20..0x7F).
        while (i + 8 <= size) {
            std::uint64_t word;
            std::memcpy(&word, bytes + i, sizeof word);
            constexpr std::uint64_t high_bits = 0x8080808080808080ull;
            constexpr std::uint64_t ones = 0x0101010101010101ull;
            const std::uint64_t below_space =
                (word - 0x20 * ones) & ~word & high_bits;  // a byte < 0x20
            if ((word & high_bits) || below_space) break;
            i += 8;
        }
        if (i >= size) break;
        const unsigned char lead = bytes[i];
        if (lead < 0x80) {
            if (lead < 0x20 && lead != 0x9 && lead != 0xA && lead != 0xD)
                return "control character " + hex_byte(lead) + " at byte " + std::to_string(i) +
                       " (not allowed in XML 1.0)";
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF)
            length = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0) low = 0xA0;   // overlong
            if (lead == 0xED) high = 0x9F;  // UTF-16 surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0) low = 0x90;   // overlong
            if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
        } else {
            return "invalid UTF-8 byte " + hex_byte(lead) + " at byte " + std::to_string(i);
        }
        if (i + length > size) return "truncated UTF-8 sequence at byte " + std::to_string(i);
        if (bytes[i + 1] < low || bytes[i + 1] > high)
            return "invalid UTF-8 sequence (overlong, surrogate or out of range) at byte " +
                   std::to_string(i);
        for (std::size_t k = 2; k < length; ++k)
            if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF)
                return "invalid UTF-8 continuation byte at byte " + std::to_string(i + k);
        if (length == 3 && lead == 0xEF && bytes[i + 1] == 0xBF &&
            (bytes[i + 2] == 0xBE || bytes[i + 2] == 0xBF))
            return "the non-character U+FFFE/U+FFFF at byte " + std::to_string(i);
        i += length;
    }
    return {};
}

void add_secret_text(pugi::xml_node element, SecretName is_secret,
                     std::vector<std::pair<std::size_t, std::size_t>>& ranges) {
    add_secret_text(element, element.name(), is_secret, ranges);
}

void add_secret_text(pugi::xml_node element, std::string_view name, SecretName is_secret,
                     std::vector<std::pair<std::size_t, std::size_t>>& ranges) {
    if (!is_secret(xml::local_name(name))) return;
    for (auto child = element.first_child(); child; child = child.next_sibling()) {
        if (child.type() != pugi::node_pcdata && child.type() != pugi::node_cdata) continue;
        const std::string_view text = child.value();
        // Whitespace hides nothing, and masking it would give `<x xsi:nil="true">***</x>`.
        if (child.type() == pugi::node_pcdata && trim(text).empty()) continue;
        const auto offset = child.offset_debug();
        if (offset < 0) continue;
        ranges.emplace_back(static_cast<std::size_t>(offset), text.size());
    }
}

GateResult inspect(std::string_view body, std::string_view content_type,
                   std::string_view soap_action, const GateLimits& limits, SecretName is_secret) {
    const MediaType media = parse_content_type(content_type);
    // Until the envelope is read, answer in the version the Content-Type suggests.
    SoapVersion version =
        media.type == "application/soap+xml" ? SoapVersion::v12 : SoapVersion::v11;

    if (auto problem = check_raw_bytes(body); !problem.empty())
        return client_fault(version, "Malformed request: " + problem);

    Verdict verdict;
    verdict.document = std::make_unique<pugi::xml_document>();
    auto& document = *verdict.document;
    // No parse_escapes: values stay raw so references can be checked; parse_doctype keeps a DTD
    // as a node so it can be refused rather than silently skipped.
    auto parsed =
        document.load_buffer(body.data(), body.size(), parse_options, pugi::encoding_utf8);
    if (!parsed) {
        if (body.find("<!DOCTYPE") != std::string_view::npos)
            return client_fault(version,
                                "Malformed request: a DOCTYPE declaration (DTDs are not accepted)");
        return client_fault(version, std::string{"Malformed request: not well-formed XML ("} +
                                         parsed.description() + " at byte " +
                                         std::to_string(parsed.offset) + ")");
    }
    if (auto problem = check_declaration(document))
        return client_fault(version, "Malformed request: " + *problem);
    BodyFacts facts;
    facts.has_ampersand = body.find('&') != std::string_view::npos;
    facts.values_fit = body.size() <= limits.max_text_bytes;
    verdict.raw_values_are_values =
        !facts.has_ampersand && body.find('\r') == std::string_view::npos;
    if (auto problem = check_structure(document, limits, is_secret, facts, verdict))
        return client_fault(version, "Malformed request: " + *problem);
    // Document order is buffer order, so this is sorted already; has_meaningful_attributes()
    // must not depend on it.
    auto& noted = verdict.elements_with_meaningful_attributes;
    if (!std::is_sorted(noted.begin(), noted.end(), std::less<>{}))
        std::sort(noted.begin(), noted.end(), std::less<>{});

    // Envelope: the single root element, by namespace URI and local name.
    pugi::xml_node envelope;
    for (auto child : document.children()) {
        if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)
            return client_fault(version, "Malformed request: text outside the Envelope");
        if (child.type() != pugi::node_element) continue;
        if (envelope) return client_fault(version, "Malformed request: more than one root element");
        envelope = child;
    }
    if (!envelope) return client_fault(version, "Malformed request: no root element");
    const auto envelope_ns = xml::resolve_prefix(envelope, xml::prefix_of(envelope.name()));
    if (xml::local_name(envelope.name()) != "Envelope" || !envelope_ns ||
        (*envelope_ns != soap11_envelope_ns && *envelope_ns != soap12_envelope_ns))
        return client_fault(version, "Malformed request: the root element " +
                                         xml::describe(envelope) +
                                         " is not a SOAP 1.1 or 1.2 Envelope");
    version = *envelope_ns == soap12_envelope_ns ? SoapVersion::v12 : SoapVersion::v11;

    if (version == SoapVersion::v12 && media.type == "text/xml")
        return client_fault(
            version, "A SOAP 1.2 envelope must be sent as application/soap+xml, not text/xml");
    if (version == SoapVersion::v11 && media.type == "application/soap+xml")
        return client_fault(
            version, "A SOAP 1.1 envelope must be sent as text/xml, not application/soap+xml");

    // Envelope children: an optional Header, then exactly one Body, nothing else.
    pugi::xml_node body_element;
    bool header_seen = false;
    for (auto child : envelope.children()) {
        if (child.type() == pugi::node_cdata ||
            (child.type() == pugi::node_pcdata && !trim(child.value()).empty()))
            return client_fault(version, "Malformed request: text directly inside the Envelope");
        if (child.type() != pugi::node_element) continue;
        const auto name = xml::local_name(child.name());
        const auto ns = xml::resolve_prefix(child, xml::prefix_of(child.name()));
        const bool in_envelope_ns = ns && *ns == *envelope_ns;
        if (in_envelope_ns && name == "Header" && !header_seen && !body_element) {
            header_seen = true;
            if (auto problem = check_header_blocks(child, *envelope_ns))
                return client_fault(version, "Malformed request: " + *problem);
            continue;
        }
        if (in_envelope_ns && name == "Body" && !body_element) {
            body_element = child;
            continue;
        }
        if (in_envelope_ns && name == "Body")
            return client_fault(version, "Malformed request: more than one SOAP Body");
        return client_fault(
            version, "Malformed request: unexpected element " + xml::describe(child) +
                         " in the Envelope (only Header and Body, in the envelope namespace)");
    }
    if (!body_element)
        return client_fault(version, "Malformed request: no SOAP Body in the envelope namespace");

    pugi::xml_node operation_element;
    for (auto child : body_element.children()) {
        if (child.type() == pugi::node_cdata ||
            (child.type() == pugi::node_pcdata && !trim(child.value()).empty()))
            return client_fault(version, "Malformed request: text directly inside the SOAP Body");
        if (child.type() != pugi::node_element) continue;
        if (operation_element)
            return client_fault(
                version, "Malformed request: the SOAP Body holds more than one element (" +
                             xml::describe(operation_element) + " and " + xml::describe(child) +
                             ")");
        operation_element = child;
    }
    if (!operation_element)
        return client_fault(version, "Malformed request: the SOAP Body is empty");

    verdict.version = version;
    verdict.operation_element = operation_element;
    const auto element_name = xml::local_name(operation_element.name());
    const KnownOperation* known = nullptr;
    for (const auto& candidate : known_operations)
        if (candidate.element == element_name) known = &candidate;
    const auto operation_ns =
        xml::resolve_prefix(operation_element, xml::prefix_of(operation_element.name()));
    if (!known)
        return client_fault(version,
                            "Unknown operation " + xml::describe(operation_element) +
                                (operation_ns ? " in namespace " + *operation_ns : std::string{}));
    verdict.operation = known->operation;
    verdict.operation_name = std::string(known->name);
    verdict.namespace_uri = operation_ns.value_or("");
    if (known->service.empty()) {
        verdict.style = Style::m1_rpc;
        // An undeclared prefix is tolerated (real WMS templates do it), a declared wrong
        // namespace is not.
        if (operation_ns && *operation_ns != magento1_ns)
            return client_fault(version, "Operation " + xml::describe(operation_element) +
                                             " is in namespace " + *operation_ns +
                                             "; Magento-1 operations are in urn:Magento");
    } else {
        verdict.style = Style::m2_document;
        verdict.service = std::string(known->service);
        const auto services = operation_ns ? operation_ns->find("services=") : std::string::npos;
        if (services == std::string::npos ||
            operation_ns->find(known->service, services) == std::string::npos)
            return client_fault(
                version,
                "Operation " + xml::describe(operation_element) +
                    " must be in the namespace of its endpoint URL (…?services=" +
                    std::string(known->service) + ")" +
                    (operation_ns ? ", not " + *operation_ns : std::string{", found none"}));
    }

    // SOAPAction (or the SOAP 1.2 action parameter) may only name this operation, if any.
    std::string_view action = trim(soap_action);
    if (action.empty() || action == "\"\"") action = media.action;
    if (const auto named = action_operation(action); !named.empty()) {
        const KnownOperation* action_names = find_named_operation(named);
        if (action_names && action_names->operation != verdict.operation)
            return client_fault(version, "SOAPAction names operation " + std::string(named) +
                                             " but the Body holds " + verdict.operation_name);
    }
    return verdict;
}

}  // namespace ofbridge::soap::gate
