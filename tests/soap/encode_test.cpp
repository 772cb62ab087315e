// Replies, faults, HTTP mapping and secret masking. Every encoded document must parse back with
// pugixml and carry exactly the text that was put in.
#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "gate.h"
#include "ofbridge/ingest/secrets.h"
#include "test_support.h"

namespace ofbridge::soap::test {
namespace {

struct Parsed {
    pugi::xml_document document;
    bool ok = false;
};

std::unique_ptr<Parsed> parse(const std::string& xml) {
    auto parsed = std::make_unique<Parsed>();
    parsed->ok = static_cast<bool>(parsed->document.load_string(xml.c_str()));
    EXPECT_TRUE(parsed->ok) << xml;
    return parsed;
}

pugi::xml_node body_child(const pugi::xml_document& document) {
    return document.document_element().first_child().first_child();
}

constexpr std::string_view awkward = R"(Success - Message 4 Received <&> "quoted" 'single' Ω)";

TEST(EncodeMagento1, InventoryResultLooksLikePhpSoapServer) {
    const auto request = expect_decoded(read_data("m1_inventory.xml"));
    const auto reply = encode_string_result(request, awkward);
    const auto parsed = parse(reply);
    const auto envelope = parsed->document.document_element();
    EXPECT_STREQ(envelope.name(), "SOAP-ENV:Envelope");
    EXPECT_STREQ(envelope.attribute("xmlns:SOAP-ENV").value(),
                 "http://schemas.xmlsoap.org/soap/envelope/");
    EXPECT_STREQ(envelope.attribute("xmlns:ns1").value(), "urn:Magento");
    const auto response = body_child(parsed->document);
    EXPECT_STREQ(response.name(), "ns1:orderflowInventoryMultiUpdateResponse");
    EXPECT_STREQ(response.child("result").attribute("xsi:type").value(), "xsd:string");
    EXPECT_EQ(std::string(response.child("result").text().get()), awkward);
}

TEST(EncodeMagento1, LoginAndEndSessionPartNames) {
    const auto login = expect_decoded(read_data("m1_login.xml"));
    const auto parsed_login = parse(encode_string_result(login, "sess-1"));
    EXPECT_STREQ(body_child(parsed_login->document).name(), "ns1:loginResponse");
    EXPECT_STREQ(body_child(parsed_login->document).child_value("loginReturn"), "sess-1");

    const auto end = expect_decoded(read_data("m1_end_session.xml"));
    const auto parsed_end = parse(encode_bool_result(end, true));
    const auto part = body_child(parsed_end->document).child("endSessionReturn");
    EXPECT_STREQ(part.attribute("xsi:type").value(), "xsd:boolean");
    EXPECT_STREQ(part.text().get(), "true");
    EXPECT_NE(encode_bool_result(end, false).find(">false<"), std::string::npos);
}

TEST(EncodeMagento1, ReplyFollowsSoap12) {
    const auto request =
        expect_decoded(read_data("m1_inventory_soap12.xml"), "application/soap+xml");
    const auto parsed = parse(encode_string_result(request, "ok"));
    EXPECT_STREQ(parsed->document.document_element().attribute("xmlns:SOAP-ENV").value(),
                 "http://www.w3.org/2003/05/soap-envelope");
    EXPECT_TRUE(parsed->document.document_element().attribute("SOAP-ENV:encodingStyle").empty());
    EXPECT_STREQ(body_child(parsed->document).child_value("result"), "ok");
    EXPECT_EQ(content_type(request.version), "application/soap+xml; charset=utf-8");
}

// The echoed namespace is an attribute value: a tab or line break in it (sent as a character
// reference) must come back as one, not as the space attribute-value normalisation would make.
TEST(EncodeMagento2, EchoedNamespaceKeepsWhitespaceCharacters) {
    auto request = expect_decoded(read_data("m2_inventory.xml"));
    request.namespace_uri = "urn:a\tb\nc\rd";
    const auto parsed = parse(encode_string_result(request, "Success - Message 4 Received"));
    EXPECT_EQ(std::string(parsed->document.document_element().attribute("xmlns:ns1").value()),
              request.namespace_uri);
}

TEST(EncodeMagento2, EchoesTheCallersNamespace) {
    auto body = replace_all(read_data("m2_inventory.xml"), "https://shop.example.com/soap/default",
                            "http://h:1/soap/x?a=1&amp;b=&quot;2&quot;&amp;c");
    const auto request = expect_decoded(body);
    EXPECT_EQ(request.namespace_uri,
              "http://h:1/soap/"
              "x?a=1&b=\"2\"&c?services=realtimeDespatchOrderFlowInventoryRequestManagementV1");
    const auto parsed = parse(encode_string_result(request, "Success - Message 900 Received"));
    const auto response = body_child(parsed->document);
    EXPECT_STREQ(response.name(),
                 "ns1:realtimeDespatchOrderFlowInventoryRequestManagementV1UpdateResponse");
    EXPECT_EQ(std::string(parsed->document.document_element().attribute("xmlns:ns1").value()),
              "http://h:1/soap/"
              "x?a=1&b=\"2\"&c?services=realtimeDespatchOrderFlowInventoryRequestManagementV1");
    EXPECT_STREQ(response.child_value("result"), "Success - Message 900 Received");
}

TEST(EncodeMagento2, TokenAndShipmentReplies) {
    const auto token = expect_decoded(read_data("m2_create_admin_token.xml"));
    const auto parsed = parse(encode_string_result(token, "tok<en>"));
    EXPECT_STREQ(body_child(parsed->document).name(),
                 "ns1:integrationAdminTokenServiceV1CreateAdminAccessTokenResponse");
    EXPECT_STREQ(body_child(parsed->document).child_value("result"), "tok<en>");
    EXPECT_STREQ(parsed->document.document_element().attribute("xmlns:SOAP-ENV").value(),
                 "http://www.w3.org/2003/05/soap-envelope");

    const auto shipment = expect_decoded(read_data("m2_shipment.xml"));
    const auto reply = encode_string_result(shipment, "Success - Message 78 Received");
    EXPECT_NE(reply.find("realtimeDespatchOrderFlowShipmentRequestManagementV1CreateResponse"),
              std::string::npos);
    EXPECT_NE(
        reply.find(
            R"(xmlns:ns1="http://wms-broker.example:8080/soap/default?services=realtimeDespatchOrderFlowShipmentRequestManagementV1")"),
        std::string::npos);
}

TEST(EncodeText, ControlCharactersAndBadUtf8NeverReachTheReply) {
    const auto request = expect_decoded(read_data("m1_inventory.xml"));
    const auto reply = encode_string_result(request, std::string("a\x01"
                                                                 "b\xFF"
                                                                 "c\r\n",
                                                                 7));
    const auto parsed = parse(reply);
    EXPECT_EQ(std::string(body_child(parsed->document).child_value("result")),
              "a\xEF\xBF\xBD"
              "b\xEF\xBF\xBD"
              "c\r\n");
    EXPECT_NE(reply.find("c&#13;\n"), std::string::npos);
    EXPECT_EQ(gate::check_raw_bytes(reply), "");
}

TEST(EncodeFault, Soap11ClientServerAndMagentoCodes) {
    const auto client =
        parse(encode_fault({FaultKind::client, "", "Bad <qty> & stuff", SoapVersion::v11}));
    auto fault = body_child(client->document);
    EXPECT_STREQ(fault.name(), "SOAP-ENV:Fault");
    EXPECT_STREQ(fault.child_value("faultcode"), "SOAP-ENV:Client");
    EXPECT_STREQ(fault.child_value("faultstring"), "Bad <qty> & stuff");

    const auto server =
        parse(encode_fault({FaultKind::server, "", "Storage unavailable", SoapVersion::v11}));
    EXPECT_STREQ(body_child(server->document).child_value("faultcode"), "SOAP-ENV:Server");

    const auto magento =
        parse(encode_fault({FaultKind::client, "2", "Access denied.", SoapVersion::v11}));
    EXPECT_STREQ(body_child(magento->document).child_value("faultcode"), "2");
    EXPECT_STREQ(body_child(magento->document).child_value("faultstring"), "Access denied.");
}

TEST(EncodeFault, Soap12SenderReceiverAndMagentoCodeInDetail) {
    const auto sender = parse(encode_fault(
        {FaultKind::client, "5", "Session expired. Try to relogin.", SoapVersion::v12}));
    const auto fault = body_child(sender->document);
    EXPECT_STREQ(fault.name(), "env:Fault");
    EXPECT_STREQ(fault.child("env:Code").child_value("env:Value"), "env:Sender");
    EXPECT_STREQ(fault.child("env:Reason").child_value("env:Text"),
                 "Session expired. Try to relogin.");
    EXPECT_STREQ(fault.child("env:Detail").child_value("ns1:faultcode"), "5");

    const auto receiver = parse(encode_fault({FaultKind::server, "", "down", SoapVersion::v12}));
    EXPECT_STREQ(body_child(receiver->document).child("env:Code").child_value("env:Value"),
                 "env:Receiver");
    EXPECT_TRUE(body_child(receiver->document).child("env:Detail").empty());
}

TEST(EncodeFault, GateFaultsEncodeInTheRequestVersion) {
    auto result =
        decode(replace_all(read_data("m2_shipment.xml"), "<messageSeqId>78</messageSeqId>",
                           "<messageSeqId>78</messageSeqId><messageSeqId>79</messageSeqId>"),
               "application/soap+xml", "", {});
    const auto& fault = std::get<Fault>(result);
    EXPECT_EQ(fault.version, SoapVersion::v12);
    const auto parsed = parse(encode_fault(fault));
    EXPECT_NE(std::string(body_child(parsed->document).child("env:Reason").child_value("env:Text"))
                  .find("messageSeqId"),
              std::string::npos);
}

TEST(EncodeHttp, StatusAndContentType) {
    EXPECT_EQ(fault_http_status({FaultKind::client, "", "x", SoapVersion::v11}), 500u);
    EXPECT_EQ(fault_http_status({FaultKind::client, "2", "x", SoapVersion::v12}), 500u);
    EXPECT_EQ(fault_http_status({FaultKind::server, "", "x", SoapVersion::v11}), 503u);
    EXPECT_EQ(content_type(SoapVersion::v11), "text/xml; charset=utf-8");
    EXPECT_EQ(content_type(SoapVersion::v12), "application/soap+xml; charset=utf-8");
}

TEST(MaskSecrets, MasksSecretTextAndKeepsEverythingElseByteForByte) {
    const auto login = read_data("m1_login.xml");
    const auto masked = mask_secrets(login, ingest::is_secret_field);
    EXPECT_EQ(masked, replace_all(login, "s3cr3t-api-key", "***"));

    const auto inventory = read_data("m1_inventory.xml");
    EXPECT_EQ(mask_secrets(inventory, ingest::is_secret_field),
              replace_all(inventory, ">SESSION<", ">***<"));

    const auto token = read_data("m2_create_admin_token.xml");
    EXPECT_EQ(mask_secrets(token, ingest::is_secret_field),
              replace_all(token, "p&lt;ss word", "***"));

    const auto shipment = read_data("m2_shipment.xml");
    EXPECT_EQ(mask_secrets(shipment, ingest::is_secret_field),
              replace_all(shipment, "leftover-session", "***"));
}

TEST(MaskSecrets, CdataEmptyAndOtherElements) {
    const std::string body =
        "<a "
        "xmlns:x=\"urn:x\"><x:password><![CDATA[p<w]]></x:password><token/"
        "><sessionIdentifier>keep</sessionIdentifier>"
        "<apiKey>\r\n k1 \t</apiKey><note>password</note><!-- <password>c</password> --></a>";
    const std::string expected =
        "<a "
        "xmlns:x=\"urn:x\"><x:password><![CDATA[***]]></x:password><token/"
        "><sessionIdentifier>keep</sessionIdentifier>"
        "<apiKey>***</apiKey><note>password</note><!-- <password>c</password> --></a>";
    EXPECT_EQ(mask_secrets(body, ingest::is_secret_field), expected);
}

TEST(MaskSecrets, WsSecurityPasswordInTheHeaderIsMaskedWhateverItsCase) {
    auto body = replace_all(
        read_data("m1_inventory.xml"), "<SOAP-ENV:Body>",
        R"(<SOAP-ENV:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><wsse:UsernameToken><wsse:Username>wms</wsse:Username><wsse:Password Type="#PasswordText">hunter2</wsse:Password></wsse:UsernameToken></wsse:Security></SOAP-ENV:Header><SOAP-ENV:Body>)");
    body = replace_all(body, "<sessionId xsi:type=\"xsd:string\">SESSION</sessionId>",
                       "<SessionID xsi:type=\"xsd:string\">SESSION</SessionID>");
    const auto masked = mask_secrets(body, ingest::is_secret_field);
    EXPECT_EQ(masked.find("hunter2"), std::string::npos) << masked;
    EXPECT_EQ(masked.find("SESSION"), std::string::npos) << masked;
    EXPECT_NE(masked.find(R"(<wsse:Password Type="#PasswordText">***</wsse:Password>)"),
              std::string::npos);
    EXPECT_NE(masked.find("<wsse:Username>wms</wsse:Username>"), std::string::npos);
}

TEST(MaskSecrets, MalformedBodiesStillMasked) {
    EXPECT_EQ(mask_secrets("<x><password>hunter2</password><unclosed>", ingest::is_secret_field),
              "<x><password>***</password><unclosed>");
}

}  // namespace
}  // namespace ofbridge::soap::test
