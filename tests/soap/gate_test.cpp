// The hostile-input catalogue (reliability.md §4: H1-H5, H7, H8, H10-H13) and the gate's
// envelope, Content-Type and SOAPAction rules. Every case must end in a client fault.
#include <gtest/gtest.h>

#include "gate.h"
#include "test_support.h"

namespace ofbridge::soap::test {
namespace {

// A minimal valid M1 login wrapped around `inner` (placed inside the operation element).
std::string m1_login_with(std::string_view inner) {
    return std::string{
               R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" )"
               R"(xmlns:ns1="urn:Magento"><SOAP-ENV:Body><ns1:login>)"} +
           std::string(inner) + "</ns1:login></SOAP-ENV:Body></SOAP-ENV:Envelope>";
}

std::string login_with_username(std::string_view username) {
    return m1_login_with("<username>" + std::string(username) + "</username><apiKey>k</apiKey>");
}

bool mentions(const std::string& message, std::string_view word) {
    return message.find(word) != std::string::npos;
}

TEST(GateHostile, H1_DoctypeWithExternalFileEntity) {
    const std::string body =
        R"(<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>)" +
        login_with_username("&x;");
    EXPECT_TRUE(mentions(expect_client_fault(body), "DOCTYPE"));
}

TEST(GateHostile, H1_DoctypeInsideTheEnvelope) {
    const std::string body = m1_login_with(
        R"(<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><username>&x;</username>)");
    EXPECT_TRUE(mentions(expect_client_fault(body), "DOCTYPE"));
}

TEST(GateHostile, H2_DoctypeWithNetworkEntity) {
    const std::string body =
        R"(<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/">]>)" + login_with_username("&x;");
    EXPECT_TRUE(mentions(expect_client_fault(body), "DOCTYPE"));
}

TEST(GateHostile, H3_BillionLaughs) {
    std::string dtd = R"(<!DOCTYPE lolz [<!ENTITY lol0 "lol">)";
    for (int level = 1; level <= 10; ++level) {
        dtd += "<!ENTITY lol" + std::to_string(level) + " \"";
        for (int i = 0; i < 10; ++i) dtd += "&lol" + std::to_string(level - 1) + ";";
        dtd += "\">";
    }
    dtd += "]>";
    // Refused on the DOCTYPE itself, before any entity could be expanded (the time it takes is
    // measured in tests/bench/gate_bench.cpp, not asserted here).
    EXPECT_TRUE(mentions(expect_client_fault(dtd + login_with_username("&lol10;")), "DOCTYPE"));
}

TEST(GateHostile, H4_QuadraticBlowup) {
    std::string body = R"(<!DOCTYPE r [<!ENTITY a ")" + std::string(50000, 'a') + "\">]>";
    std::string references;
    for (int i = 0; i < 50000; ++i) references += "&a;";
    body += login_with_username(references);
    EXPECT_TRUE(mentions(expect_client_fault(body), "DOCTYPE"));
}

TEST(GateHostile, H4_UndeclaredEntityWithoutDoctype) {
    EXPECT_TRUE(mentions(expect_client_fault(login_with_username("&a;")), "entity reference &a;"));
}

TEST(GateHostile, H5_DeepNesting) {
    for (std::size_t depth : {100'000u, 1'000'000u}) {
        std::string nested;
        nested.reserve(depth * 7);
        for (std::size_t i = 0; i < depth; ++i) nested += "<a>";
        for (std::size_t i = 0; i < depth; ++i) nested += "</a>";
        EXPECT_TRUE(mentions(expect_client_fault(m1_login_with(nested)), "deeper than 64"));
    }
}

// H7: gSOAP takes seconds on an element with tens of thousands of attributes or namespace
// declarations (quadratic). The gate must refuse them itself, before gSOAP runs, and the refusal
// must come from the per-element limit, not from the size of the body. How long the refusal
// takes is measured by tests/bench/gate_bench.cpp.
std::string login_with_attributes(int count) {
    std::string attributes;
    for (int i = 0; i < count; ++i) attributes += " a" + std::to_string(i) + "=\"xxxx\"";
    return m1_login_with("<username" + attributes + ">u</username><apiKey>k</apiKey>");
}

std::string login_with_declarations(int count) {
    std::string declarations;
    for (int i = 0; i < count; ++i)
        declarations += " xmlns:p" + std::to_string(i) + "=\"urn:p" + std::to_string(i) + "\"";
    return m1_login_with("<username" + declarations + ">u</username><apiKey>k</apiKey>");
}

// The gate's own verdict, without gSOAP: a Fault here means decode() never reaches gSOAP.
std::string gate_fault(std::string_view body) {
    auto verdict = gate::inspect(body, "", "", GateLimits{});
    const auto* fault = std::get_if<Fault>(&verdict);
    if (!fault) {
        ADD_FAILURE() << "the gate let the body through";
        return {};
    }
    return fault->message;
}

TEST(GateHostile, H7_EightyThousandAttributesAreRefusedByTheGateAtTheLimit) {
    const auto body = login_with_attributes(80000);
    ASSERT_GT(body.size(), 1000000u);  // ~1 MiB, as in reliability.md H7
    EXPECT_TRUE(mentions(gate_fault(body), "more than 64 attributes"));
    EXPECT_EQ(expect_client_fault(body), gate_fault(body));
    // The per-element limit decides: 64 attributes pass the gate, 65 do not.
    EXPECT_TRUE(std::holds_alternative<gate::Verdict>(
        gate::inspect(login_with_attributes(64), "", "", GateLimits{})));
    EXPECT_TRUE(mentions(gate_fault(login_with_attributes(65)), "more than 64 attributes"));
}

TEST(GateHostile, H7_FortyThousandNamespaceDeclarationsAreRefusedByTheGateAtTheLimit) {
    const auto body = login_with_declarations(40000);
    EXPECT_TRUE(mentions(gate_fault(body), "namespace declarations"));
    EXPECT_EQ(expect_client_fault(body), gate_fault(body));
    EXPECT_TRUE(std::holds_alternative<gate::Verdict>(
        gate::inspect(login_with_declarations(64), "", "", GateLimits{})));
    EXPECT_TRUE(mentions(gate_fault(login_with_declarations(65)), "namespace declarations"));
}

TEST(GateHostile, H8_LongTokens) {
    EXPECT_TRUE(mentions(expect_client_fault(login_with_username(std::string(1 << 20, 'S'))),
                         "longer than 65536"));
    EXPECT_TRUE(mentions(expect_client_fault(login_with_username(std::string(10 << 20, 'S'))),
                         "longer than 65536"));
    const std::string long_name(64 * 1024, 'e');
    EXPECT_TRUE(mentions(expect_client_fault(m1_login_with("<" + long_name + "/>")),
                         "element name longer"));
    EXPECT_TRUE(mentions(expect_client_fault(m1_login_with(
                             "<username a=\"" + std::string(70000, 'v') + "\">u</username>")),
                         "longer than 65536"));
}

TEST(GateHostile, H10_SoapActionSpoofing) {
    const auto body = read_data("m1_inventory.xml");
    EXPECT_TRUE(
        mentions(expect_client_fault(body, "text/xml", "\"urn:Magento#orderflowShipmentCreate\""),
                 "SOAPAction names operation orderflowShipmentCreate"));
    EXPECT_FALSE(expect_client_fault(body, "text/xml",
                                     "realtimeDespatchOrderFlowShipmentRequestManagementV1Create")
                     .empty());
    // Harmless actions are accepted: empty, "", Magento-1's handler action, the right operation.
    for (std::string_view action :
         {"", "\"\"", "urn:Mage_Api_Model_Server_V2_HandlerAction",
          "\"urn:Mage_Api_Model_Server_V2_HandlerAction\"",
          "urn:Magento#orderflowInventoryMultiUpdate", "http://example/whatever"})
        expect_decoded(body, "text/xml", action);
    // SOAP 1.2 carries the action in the Content-Type.
    const auto m2 = read_data("m2_inventory.xml");
    expect_decoded(m2,
                   "application/soap+xml; "
                   "action=\"realtimeDespatchOrderFlowInventoryRequestManagementV1Update\"");
    EXPECT_FALSE(
        expect_client_fault(m2,
                            "application/soap+xml; "
                            "action=\"realtimeDespatchOrderFlowShipmentRequestManagementV1Create\"")
            .empty());
}

TEST(GateHostile, H11_BodyInWrongNamespace) {
    const std::string body =
        R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:x="urn:evil">)"
        R"(<x:Body><ns1:login xmlns:ns1="urn:Magento"><username>u</username></ns1:login></x:Body></SOAP-ENV:Envelope>)";
    EXPECT_FALSE(expect_client_fault(body).empty());
}

TEST(GateHostile, H11_PrefixRebinding) {
    const std::string body =
        R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">)"
        R"(<SOAP-ENV:Body xmlns:SOAP-ENV="urn:evil"><ns1:login xmlns:ns1="urn:Magento"><username>u</username></ns1:login>)"
        R"(</SOAP-ENV:Body></SOAP-ENV:Envelope>)";
    EXPECT_FALSE(expect_client_fault(body).empty());
    const std::string operation_rebound =
        R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:Magento">)"
        R"(<SOAP-ENV:Body><ns1:login xmlns:ns1="urn:evil"><username>u</username></ns1:login></SOAP-ENV:Body></SOAP-ENV:Envelope>)";
    EXPECT_TRUE(mentions(expect_client_fault(operation_rebound), "urn:evil"));
}

TEST(GateHostile, H11_TwoBodiesAndTwoOperations) {
    const std::string two_bodies =
        R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:Magento">)"
        R"(<SOAP-ENV:Body><ns1:login><username>u</username></ns1:login></SOAP-ENV:Body>)"
        R"(<SOAP-ENV:Body><ns1:endSession><sessionId>s</sessionId></ns1:endSession></SOAP-ENV:Body></SOAP-ENV:Envelope>)";
    EXPECT_TRUE(mentions(expect_client_fault(two_bodies), "more than one SOAP Body"));
    const std::string two_operations =
        R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:Magento">)"
        R"(<SOAP-ENV:Body><ns1:login><username>u</username></ns1:login><ns1:endSession><sessionId>s</sessionId>)"
        R"(</ns1:endSession></SOAP-ENV:Body></SOAP-ENV:Envelope>)";
    EXPECT_TRUE(mentions(expect_client_fault(two_operations), "more than one element"));
    EXPECT_FALSE(
        expect_client_fault(
            R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body/></SOAP-ENV:Envelope>)")
            .empty());
}

TEST(GateHostile, H11_RootMustBeASoapEnvelope) {
    EXPECT_TRUE(mentions(expect_client_fault("<Envelope><Body/></Envelope>"), "not a SOAP"));
    EXPECT_TRUE(
        mentions(expect_client_fault(R"(<e:Envelope xmlns:e="urn:x"><e:Body/></e:Envelope>)"),
                 "not a SOAP"));
    EXPECT_FALSE(expect_client_fault("").empty());
    EXPECT_FALSE(expect_client_fault("not xml at all").empty());
    EXPECT_FALSE(expect_client_fault("POST / HTTP/1.1\r\n\r\n<x/>").empty());
}

TEST(GateHostile, H11_VersionMustMatchContentType) {
    EXPECT_TRUE(
        mentions(expect_client_fault(read_data("m2_shipment.xml"), "text/xml; charset=utf-8"),
                 "application/soap+xml"));
    EXPECT_TRUE(mentions(expect_client_fault(read_data("m1_inventory.xml"), "application/soap+xml"),
                         "text/xml"));
    // The fault is answered in the envelope's version.
    auto result = decode(read_data("m2_shipment.xml"), "text/xml", "", {});
    EXPECT_EQ(std::get<Fault>(result).version, SoapVersion::v12);
}

TEST(GateHostile, H11_UnknownOperation) {
    const std::string body =
        R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="urn:Magento">)"
        R"(<SOAP-ENV:Body><ns1:catalogProductDelete><sku>x</sku></ns1:catalogProductDelete></SOAP-ENV:Body></SOAP-ENV:Envelope>)";
    EXPECT_TRUE(mentions(expect_client_fault(body), "Unknown operation"));
}

TEST(GateHostile, H12_DuplicateScalarChildren) {
    const auto body = replace_all(read_data("m1_inventory.xml"),
                                  "<messageSeqId xsi:type=\"xsd:int\">4</messageSeqId>",
                                  "<messageSeqId>4</messageSeqId><messageSeqId>5</messageSeqId>");
    EXPECT_TRUE(mentions(expect_client_fault(body), "more than one <messageSeqId>"));
    const auto two_skus =
        replace_all(read_data("m2_inventory.xml"), "<sku>ssd512</sku><qty>0</qty>",
                    "<sku>ssd512</sku><sku>other</sku><qty>0</qty>");
    EXPECT_TRUE(mentions(expect_client_fault(two_skus), "more than one <sku>"));
}

TEST(GateHostile, H13_InvalidUtf8AndControlCharacters) {
    for (std::string_view bad : std::initializer_list<std::string_view>{
             "\xE9", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xEF\xBF\xBE",
             "\xF8\x88\x80\x80\x80", "\xE2\x82", "\x01", std::string_view("\0", 1), "\x1B"}) {
        const auto message = expect_client_fault(login_with_username("a" + std::string(bad) + "b"));
        EXPECT_TRUE(mentions(message, "UTF-8") || mentions(message, "control character") ||
                    mentions(message, "non-character"))
            << message;
    }
    // Raw TAB, LF, CR are fine.
    expect_decoded(login_with_username("a\tb\r\nc"));
}

TEST(GateHostile, H13_BadCharacterReferences) {
    for (std::string_view reference :
         {"&#0;", "&#1;", "&#x1;", "&#xD800;", "&#xFFFE;", "&#x110000;", "&#xZZ;", "&#;"})
        EXPECT_TRUE(mentions(expect_client_fault(login_with_username(reference)), "reference"))
            << reference;
    EXPECT_TRUE(mentions(expect_client_fault(login_with_username("&#x1F600;")), "raw UTF-8"));
    EXPECT_TRUE(mentions(expect_client_fault(login_with_username("a & b")), "bare '&'"));
    // Valid references decode.
    const auto login = expect_message<domain::WireLogin>(
        expect_decoded(login_with_username("&lt;&amp;&#65;&#x42;&quot;")));
    EXPECT_EQ(login.username, domain::WireText{"<&AB\""});
}

TEST(GateHostile, H13_OtherEncodings) {
    EXPECT_TRUE(mentions(expect_client_fault(R"(<?xml version="1.0" encoding="UTF-16"?>)" +
                                             login_with_username("u")),
                         "only UTF-8"));
    // ISO-8859-1 and UTF-16 are transcoded (decode_test.cpp, DecodeEncodings); others are not.
    EXPECT_TRUE(mentions(expect_client_fault(R"(<?xml version="1.0" encoding="EBCDIC-US"?>)" +
                                             login_with_username("u")),
                         "only UTF-8"));
    EXPECT_TRUE(mentions(expect_client_fault(R"(<?xml version="1.1"?>)" + login_with_username("u")),
                         "1.0"));
    // A UTF-16 body (BOM + UTF-16LE) cut in the middle of a code unit.
    std::string utf16 = "\xFF\xFE";
    for (char c : login_with_username("u")) {
        utf16 += c;
        utf16 += '\0';
    }
    EXPECT_TRUE(mentions(expect_client_fault(utf16.substr(0, utf16.size() - 1)), "odd number"));
    // A UTF-8 BOM is fine.
    expect_decoded("\xEF\xBB\xBF" + login_with_username("u"));
}

TEST(GateLimits, ConfiguredLimitsApply) {
    GateLimits tight;
    tight.max_elements = 5;
    EXPECT_TRUE(mentions(expect_client_fault(read_data("m1_inventory.xml"), "", "", tight),
                         "more than 5 elements"));
    tight = {};
    tight.max_attributes_per_element = 1;
    EXPECT_TRUE(
        mentions(expect_client_fault(read_data("m1_inventory.xml"), "", "", tight), "attributes"));
    tight = {};
    tight.max_text_bytes = 3;
    EXPECT_TRUE(mentions(expect_client_fault(read_data("m1_inventory.xml"), "", "", tight),
                         "longer than 3 bytes"));
    tight = {};
    tight.max_depth = 4;
    EXPECT_TRUE(mentions(expect_client_fault(read_data("m1_inventory.xml"), "", "", tight),
                         "deeper than 4"));
}

TEST(GateRawBytes, BadByteFoundAtEveryOffset) {
    // The scanner checks eight ASCII bytes at a time: a bad byte must be found wherever it sits.
    for (std::size_t offset = 0; offset < 24; ++offset) {
        for (std::string_view bad : std::initializer_list<std::string_view>{
                 "\x01", "\x1F", "\xC3", "\xFF", std::string_view("\0", 1)}) {
            std::string text(offset, 'a');
            text += bad;
            text += std::string(17, 'z');
            EXPECT_NE(gate::check_raw_bytes(text), "") << "offset " << offset;
        }
        EXPECT_EQ(
            gate::check_raw_bytes(std::string(offset, ' ') + "\x7F~ \t\n\r" + std::string(9, '~')),
            "");
    }
}

TEST(GateRawBytes, AcceptsValidUtf8) {
    EXPECT_EQ(gate::check_raw_bytes("plain \t\r\n Ω € 😀 \xEF\xBF\xBD"), "");
    EXPECT_NE(gate::check_raw_bytes("\xC3"), "");
}

}  // namespace
}  // namespace ofbridge::soap::test
