// Replies and faults, written from templates: they are tiny, fixed-shape, and must look like
// PHP SoapServer's so existing WMS clients read them.
#include <string>

#include "ofbridge/soap/codec.h"
#include "xml_escape.h"

namespace ofbridge::soap {
namespace {

constexpr std::string_view soap11_envelope_ns = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr std::string_view soap12_envelope_ns = "http://www.w3.org/2003/05/soap-envelope";
constexpr std::string_view soap11_encoding_ns = "http://schemas.xmlsoap.org/soap/encoding/";
constexpr std::string_view soap12_encoding_ns = "http://www.w3.org/2003/05/soap-encoding";

// The element that carries the result of a Magento-1 operation, as PHP SoapServer names it
// from the WSDL's output part (wsdl/magento1.wsdl).
std::string_view magento1_result_part(std::string_view operation) {
    if (operation == "login") return "loginReturn";
    if (operation == "endSession") return "endSessionReturn";
    return "result";
}

std::string encode_result(const DecodedRequest& request, std::string_view value,
                          std::string_view xsd_type) {
    const bool v12 = request.version == SoapVersion::v12;
    std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)";
    out += '\n';
    if (request.style == Style::m1_rpc) {
        const auto part = magento1_result_part(request.operation);
        const auto encoding_ns = v12 ? soap12_encoding_ns : soap11_encoding_ns;
        out += R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV=")";
        out += v12 ? soap12_envelope_ns : soap11_envelope_ns;
        out += R"(" xmlns:ns1="urn:Magento" xmlns:xsd="http://www.w3.org/2001/XMLSchema")";
        out += R"( xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:SOAP-ENC=")";
        out += encoding_ns;
        out += '"';
        // SOAP 1.1 lets encodingStyle sit on the Envelope (as PHP does); 1.2 only below Body.
        if (!v12)
            out += std::string{R"( SOAP-ENV:encodingStyle=")"} + std::string(encoding_ns) + '"';
        out += "><SOAP-ENV:Body><ns1:";
        out += request.operation;
        out += "Response";
        if (v12)
            out += std::string{R"( SOAP-ENV:encodingStyle=")"} + std::string(encoding_ns) + '"';
        out += "><";
        out += part;
        out += R"( xsi:type="xsd:)";
        out += xsd_type;
        out += R"(">)";
        append_escaped(out, value);
        out += "</";
        out += part;
        out += "></ns1:";
        out += request.operation;
        out += "Response></SOAP-ENV:Body></SOAP-ENV:Envelope>\n";
        return out;
    }
    out += R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV=")";
    out += v12 ? soap12_envelope_ns : soap11_envelope_ns;
    out += R"(" xmlns:ns1=")";
    append_escaped_attribute(out, request.namespace_uri);
    out += R"("><SOAP-ENV:Body><ns1:)";
    out += request.operation;
    out += "Response><result>";
    append_escaped(out, value);
    out += "</result></ns1:";
    out += request.operation;
    out += "Response></SOAP-ENV:Body></SOAP-ENV:Envelope>\n";
    return out;
}

}  // namespace

std::string encode_string_result(const DecodedRequest& request, std::string_view result) {
    return encode_result(request, result, "string");
}

std::string encode_bool_result(const DecodedRequest& request, bool result) {
    return encode_result(request, result ? "true" : "false", "boolean");
}

// SOAP 1.1: <faultcode> is SOAP-ENV:Client / SOAP-ENV:Server, or the bare Magento number ("2",
// "5") exactly as Magento-1 sends it. SOAP 1.2 needs a QName in Code/Value, so the Code is
// env:Sender / env:Receiver and a Magento number travels in <env:Detail><ns1:faultcode>.
std::string encode_fault(const Fault& fault) {
    const bool client = fault.kind == FaultKind::client;
    std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)";
    out += '\n';
    if (fault.version == SoapVersion::v11) {
        out += R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV=")";
        out += soap11_envelope_ns;
        out += R"("><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>)";
        if (fault.code.empty())
            out += client ? "SOAP-ENV:Client" : "SOAP-ENV:Server";
        else
            append_escaped(out, fault.code);
        out += "</faultcode><faultstring>";
        append_escaped(out, fault.message);
        out += "</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>\n";
        return out;
    }
    out += R"(<env:Envelope xmlns:env=")";
    out += soap12_envelope_ns;
    out += R"("><env:Body><env:Fault><env:Code><env:Value>)";
    out += client ? "env:Sender" : "env:Receiver";
    out += R"(</env:Value></env:Code><env:Reason><env:Text xml:lang="en">)";
    append_escaped(out, fault.message);
    out += "</env:Text></env:Reason>";
    if (!fault.code.empty()) {
        out += R"(<env:Detail><ns1:faultcode xmlns:ns1="urn:Magento">)";
        append_escaped(out, fault.code);
        out += "</ns1:faultcode></env:Detail>";
    }
    out += "</env:Fault></env:Body></env:Envelope>\n";
    return out;
}

std::string_view content_type(SoapVersion version) {
    return version == SoapVersion::v12 ? "application/soap+xml; charset=utf-8"
                                       : "text/xml; charset=utf-8";
}

unsigned fault_http_status(const Fault& fault) {
    return fault.kind == FaultKind::server ? 503u : 500u;
}

}  // namespace ofbridge::soap
