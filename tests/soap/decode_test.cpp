// decode() on every real message shape (tests/data/) and on the variants that made gSOAP
// lose data silently (gsoap-beast notes §2.4), which the one parse must decode exactly.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "ofbridge/ingest/secrets.h"
#include "test_support.h"

namespace ofbridge::soap::test {
namespace {

using domain::WireInventoryUpdate;
using domain::WireShipmentCreate;
using domain::WireText;

constexpr std::string_view inventory_service =
    "realtimeDespatchOrderFlowInventoryRequestManagementV1";
constexpr std::string_view shipment_service =
    "realtimeDespatchOrderFlowShipmentRequestManagementV1";

TEST(DecodeMagento1, ByteExactDesignInventoryMessage) {
    const auto request = expect_decoded(read_data("m1_inventory.xml"), "text/xml; charset=utf-8",
                                        "urn:Mage_Api_Model_Server_V2_HandlerAction");
    EXPECT_EQ(request.version, SoapVersion::v11);
    EXPECT_EQ(request.style, Style::m1_rpc);
    EXPECT_EQ(request.operation, "orderflowInventoryMultiUpdate");
    EXPECT_EQ(request.namespace_uri, "urn:Magento");
    EXPECT_EQ(request.service, "");
    const auto message = expect_message<WireInventoryUpdate>(request);
    EXPECT_EQ(message.pairing, domain::Pairing::by_position);
    EXPECT_EQ(message.session_id, WireText{"SESSION"});
    EXPECT_EQ(message.message_seq_id, WireText{"4"});
    ASSERT_EQ(message.qtys.size(), 1u);
    EXPECT_EQ(message.qtys[0].sku, WireText{"hdd000"});
    EXPECT_EQ(message.qtys[0].qty, WireText{"0"});
    EXPECT_EQ(message.qtys[0].source, std::nullopt);
    ASSERT_EQ(message.seqs.size(), 1u);
    EXPECT_EQ(message.seqs[0].sku, WireText{"hdd000"});
    EXPECT_EQ(message.seqs[0].seq, WireText{"10"});
    EXPECT_EQ(message.seqs[0].last_order_exported, std::nullopt);
}

TEST(DecodeMagento1, OtherArraySpellingWithUndeclaredPrefixes) {
    // skusQty/skusSeqId, and ns1:, xsi:, SOAP-ENC: used without being declared (real WMS
    // templates do it): Magento-1 children are read by local name.
    const auto request = expect_decoded(read_data("m1_inventory_undeclared.xml"));
    EXPECT_EQ(request.operation, "orderflowInventoryMultiUpdate");
    EXPECT_EQ(request.namespace_uri, "");  // undeclared
    const auto message = expect_message<WireInventoryUpdate>(request);
    EXPECT_EQ(message.session_id, WireText{"0b6fd9e1c9f1e2d8a4f3"});
    EXPECT_EQ(message.message_seq_id, WireText{"5"});
    ASSERT_EQ(message.qtys.size(), 2u);
    EXPECT_EQ(message.qtys[1].sku, WireText{"ssd512"});
    EXPECT_EQ(message.qtys[1].qty, WireText{"3"});
    ASSERT_EQ(message.seqs.size(), 2u);
    EXPECT_EQ(message.seqs[0].seq, WireText{"101"});
    EXPECT_EQ(message.seqs[0].last_order_exported, WireText{"2026-11-20T10:15:00"});
    EXPECT_EQ(message.seqs[1].last_order_exported, std::nullopt);
}

TEST(DecodeMagento1, OtherArraySpellingWithDeclaredNamespaces) {
    auto body = replace_all(read_data("m1_inventory.xml"), "<skuQty ", "<skusQty ");
    body = replace_all(body, "</skuQty>", "</skusQty>");
    body = replace_all(body, "<skuSeqId ", "<skusSeqId ");
    body = replace_all(body, "</skuSeqId>", "</skusSeqId>");
    const auto message = expect_message<WireInventoryUpdate>(expect_decoded(body));
    ASSERT_EQ(message.qtys.size(), 1u);
    ASSERT_EQ(message.seqs.size(), 1u);
    EXPECT_EQ(message.seqs[0].seq, WireText{"10"});
}

TEST(DecodeMagento1, BothArraySpellingsAtOnceIsAFault) {
    auto body =
        replace_all(read_data("m1_inventory.xml"), "<messageSeqId",
                    "<skusQty><item><key>x</key><value>1</value></item></skusQty><messageSeqId");
    EXPECT_NE(expect_client_fault(body).find("skusQty"), std::string::npos);
}

TEST(DecodeMagento1, ArrayTypeSizeIsNeverTrusted) {
    const auto inflated =
        replace_all(read_data("m1_inventory.xml"), "ns1:skuQty[1]", "ns1:skuQty[99999]");
    EXPECT_EQ(expect_message<WireInventoryUpdate>(expect_decoded(inflated)).qtys.size(), 1u);

    const std::string item =
        R"(<item xsi:type="ns1:skuQty"><key xsi:type="xsd:string">hdd000</key><value xsi:type="xsd:int">0</value></item>)";
    std::string five_items;
    for (int i = 0; i < 5; ++i)
        five_items += replace_all(item, "hdd000", "sku" + std::to_string(i));
    auto understated = replace_all(read_data("m1_inventory.xml"), "ns1:skuQty[1]", "ns1:skuQty[2]");
    understated = replace_all(understated, item, five_items);
    const auto message = expect_message<WireInventoryUpdate>(expect_decoded(understated));
    ASSERT_EQ(message.qtys.size(), 5u);
    EXPECT_EQ(message.qtys[4].sku, WireText{"sku4"});
}

TEST(DecodeMagento1, NumbersArePassedThroughAsSentWhateverTheXsiType) {
    auto body =
        replace_all(read_data("m1_inventory.xml"), R"(<value xsi:type="xsd:int">10</value>)",
                    R"(<value xsi:type="xsd:string"> 7 </value>)");
    body = replace_all(body, R"(<messageSeqId xsi:type="xsd:int">4)",
                       R"(<messageSeqId xsi:type="xsd:string">99999999999)");
    body = replace_all(body, R"(<value xsi:type="xsd:int">0</value>)",
                       R"(<value xsi:type="xsd:long">1e9</value>)");
    const auto message = expect_message<WireInventoryUpdate>(expect_decoded(body));
    EXPECT_EQ(message.seqs[0].seq, WireText{" 7 "});
    EXPECT_EQ(message.message_seq_id, WireText{"99999999999"});
    EXPECT_EQ(message.qtys[0].qty, WireText{"1e9"});
}

TEST(DecodeMagento1, AbsentAndEmptyAndNilAreDistinguished) {
    auto body = replace_all(read_data("m1_inventory.xml"),
                            R"(<sessionId xsi:type="xsd:string">SESSION</sessionId>)", "");
    body = replace_all(body, R"(<messageSeqId xsi:type="xsd:int">4</messageSeqId>)",
                       "<messageSeqId></messageSeqId>");
    auto message = expect_message<WireInventoryUpdate>(expect_decoded(body));
    EXPECT_EQ(message.session_id, std::nullopt);
    EXPECT_EQ(message.message_seq_id, WireText{""});

    body = replace_all(read_data("m1_inventory.xml"),
                       R"(<sessionId xsi:type="xsd:string">SESSION</sessionId>)",
                       R"(<sessionId xsi:nil="true"/>)");
    message = expect_message<WireInventoryUpdate>(expect_decoded(body));
    EXPECT_EQ(message.session_id, std::nullopt);
}

TEST(DecodeMagento1, QualifiedChildrenDecode) {
    const auto body = replace_all(read_data("m1_inventory.xml"),
                                  R"(<sessionId xsi:type="xsd:string">SESSION</sessionId>)",
                                  "<ns1:sessionId>QUALIFIED</ns1:sessionId>");
    EXPECT_EQ(expect_message<WireInventoryUpdate>(expect_decoded(body)).session_id,
              WireText{"QUALIFIED"});
}

TEST(DecodeMagento1, UnknownElementIsAFaultNotSilentlyDropped) {
    const auto body = replace_all(read_data("m1_inventory.xml"),
                                  "<sessionId xsi:type=\"xsd:string\">SESSION</sessionId>",
                                  "<sesionId>SESSION</sesionId>");
    EXPECT_NE(expect_client_fault(body).find("sesionId"), std::string::npos);
    // A field the array member's type does not have is refused, whatever the member's name.
    const auto unknown_field =
        replace_all(read_data("m1_inventory.xml"), "<value xsi:type=\"xsd:int\">0</value>",
                    "<value>0</value><source>leeds</source>");
    EXPECT_NE(expect_client_fault(unknown_field).find("skuQty/item/source"), std::string::npos);
    // So is a field with children of its own (its text would be lost).
    const auto nested_field =
        replace_all(read_data("m1_inventory.xml"), "<value xsi:type=\"xsd:int\">0</value>",
                    "<value><amount>0</amount></value>");
    EXPECT_NE(expect_client_fault(nested_field).find("skuQty/item/value"), std::string::npos);
}

// SOAP 1.1 §5.4.2: the members of a SOAP-ENC array may have any element name. zeep names them
// after their type (<skuQty>, <skuSeq>), PHP <item>; some toolkits mix names in one array.
std::string zeep_style_m1_inventory() {
    return R"(<?xml version='1.0' encoding='utf-8'?>
<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body><ns0:orderflowInventoryMultiUpdate xmlns:ns0="urn:Magento"><sessionId>SESSION</sessionId><skusQty><skuQty><key>A-1</key><value>12</value></skuQty><skuQty><key>B-2</key><value>0</value></skuQty></skusQty><skusSeqId><skuSeq><key>A-1</key><value>8101</value><lastOrderExported>2026-11-20T10:00:00</lastOrderExported></skuSeq><item><key>B-2</key><value>8102</value></item></skusSeqId><messageSeqId>8100</messageSeqId></ns0:orderflowInventoryMultiUpdate></soap-env:Body></soap-env:Envelope>)";
}

TEST(DecodeMagento1, ArrayMembersMayHaveAnyName) {
    const auto message =
        expect_message<WireInventoryUpdate>(expect_decoded(zeep_style_m1_inventory()));
    EXPECT_EQ(message.session_id, WireText{"SESSION"});
    EXPECT_EQ(message.message_seq_id, WireText{"8100"});
    ASSERT_EQ(message.qtys.size(), 2u);
    EXPECT_EQ(message.qtys[0].sku, WireText{"A-1"});
    EXPECT_EQ(message.qtys[0].qty, WireText{"12"});
    EXPECT_EQ(message.qtys[1].sku, WireText{"B-2"});
    EXPECT_EQ(message.qtys[1].qty, WireText{"0"});
    ASSERT_EQ(message.seqs.size(), 2u);
    EXPECT_EQ(message.seqs[0].seq, WireText{"8101"});
    EXPECT_EQ(message.seqs[0].last_order_exported, WireText{"2026-11-20T10:00:00"});
    EXPECT_EQ(message.seqs[1].sku, WireText{"B-2"});
    EXPECT_EQ(message.seqs[1].seq, WireText{"8102"});

    // The byte-exact DESIGN message with its <item> members renamed to their type.
    auto renamed = replace_all(read_data("m1_inventory.xml"), "<item xsi:type=\"ns1:skuQty\">",
                               "<skuQty xsi:type=\"ns1:skuQty\">");
    renamed =
        replace_all(renamed, "<item xsi:type=\"ns1:skuSeq\">", "<skuSeq xsi:type=\"ns1:skuSeq\">");
    renamed = replace_all(renamed, "</value></item></skuQty>", "</value></skuQty></skuQty>");
    renamed = replace_all(renamed, "</value></item></skuSeqId>", "</value></skuSeq></skuSeqId>");
    const auto design = expect_message<WireInventoryUpdate>(expect_decoded(renamed));
    ASSERT_EQ(design.qtys.size(), 1u);
    EXPECT_EQ(design.qtys[0].sku, WireText{"hdd000"});
    ASSERT_EQ(design.seqs.size(), 1u);
    EXPECT_EQ(design.seqs[0].seq, WireText{"10"});
}

TEST(DecodeMagento1, ShipmentArrayMembersMayHaveAnyName) {
    auto body = replace_all(read_data("m1_shipment.xml"), "<item", "<skuQty");
    body = replace_all(body, "</item>", "</skuQty>");
    const auto shipment = expect_message<WireShipmentCreate>(expect_decoded(body));
    ASSERT_EQ(shipment.items.size(), 2u);
    EXPECT_EQ(shipment.items[1].sku, WireText{"ssd512"});
    EXPECT_EQ(shipment.items[1].qty, WireText{"2"});
}

TEST(DecodeMagento1, Utf8TextSurvives) {
    const auto body = replace_all(read_data("m1_inventory.xml"), ">hdd000<", ">Ωmega-😀-caf&#xE9;<");
    const auto message = expect_message<WireInventoryUpdate>(expect_decoded(body));
    EXPECT_EQ(message.qtys[0].sku, WireText{"Ωmega-😀-café"});
}

TEST(DecodeMagento1, Login) {
    const auto request = expect_decoded(read_data("m1_login.xml"));
    EXPECT_EQ(request.operation, "login");
    const auto login = expect_message<domain::WireLogin>(request);
    EXPECT_EQ(login.username, WireText{"orderflow"});
    EXPECT_EQ(login.api_key, WireText{"s3cr3t-api-key"});
}

TEST(DecodeMagento1, LoginWithUndeclaredPrefixesAndEncodingStyleTypo) {
    const std::string body =
        R"(<?xml version="1.0" encoding="UTF-8"?>)"
        R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" )"
        R"(SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/,"><SOAP-ENV:Body><ns1:login>)"
        R"(<username xsi:type="xsd:string">wms</username><apiKey xsi:type="xsd:string">k</apiKey>)"
        R"(</ns1:login></SOAP-ENV:Body></SOAP-ENV:Envelope>)";
    const auto login = expect_message<domain::WireLogin>(expect_decoded(body));
    EXPECT_EQ(login.username, WireText{"wms"});
    EXPECT_EQ(login.api_key, WireText{"k"});
}

TEST(DecodeMagento1, EndSession) {
    const auto request = expect_decoded(read_data("m1_end_session.xml"));
    EXPECT_EQ(request.operation, "endSession");
    EXPECT_EQ(expect_message<domain::WireEndSession>(request).session_id,
              WireText{"0b6fd9e1c9f1e2d8a4f3"});
}

TEST(DecodeMagento1, Shipment) {
    const auto request = expect_decoded(read_data("m1_shipment.xml"));
    EXPECT_EQ(request.operation, "orderflowShipmentCreate");
    const auto shipment = expect_message<WireShipmentCreate>(request);
    EXPECT_EQ(shipment.session_id, WireText{"0b6fd9e1c9f1e2d8a4f3"});
    EXPECT_EQ(shipment.order_increment_id, WireText{"100000042"});
    ASSERT_EQ(shipment.items.size(), 2u);
    EXPECT_EQ(shipment.items[1].sku, WireText{"ssd512"});
    EXPECT_EQ(shipment.items[1].qty, WireText{"2"});
    EXPECT_EQ(shipment.items[1].source, std::nullopt);
    EXPECT_EQ(shipment.comment, WireText{"Despatched from warehouse 1 & packed"});
    EXPECT_EQ(shipment.email, WireText{"1"});
    EXPECT_EQ(shipment.include_comment, WireText{"0"});
    EXPECT_EQ(shipment.courier_name, WireText{"Royal Mail"});
    EXPECT_EQ(shipment.service_name, WireText{"Tracked 24"});
    EXPECT_EQ(shipment.tracking_number, WireText{"RM123456789GB"});
    EXPECT_EQ(shipment.date_shipped, WireText{"2026-11-23"});
    EXPECT_EQ(shipment.message_seq_id, WireText{"77"});
    EXPECT_TRUE(shipment.tracks.empty());
}

TEST(DecodeMagento1, Soap12Envelope) {
    const auto request =
        expect_decoded(read_data("m1_inventory_soap12.xml"), "application/soap+xml; charset=utf-8");
    EXPECT_EQ(request.version, SoapVersion::v12);
    const auto message = expect_message<WireInventoryUpdate>(request);
    EXPECT_EQ(message.session_id, WireText{"SESSION12"});
    EXPECT_EQ(message.qtys.at(0).qty, WireText{"9"});
    EXPECT_EQ(message.seqs.at(0).seq, WireText{"11"});
}

TEST(DecodeMagento2, InventoryTwoSourcesOneSkuUnqualifiedChildren) {
    const auto request =
        expect_decoded(read_data("m2_inventory.xml"),
                       "application/soap+xml; charset=utf-8; "
                       "action=\"realtimeDespatchOrderFlowInventoryRequestManagementV1Update\"");
    EXPECT_EQ(request.version, SoapVersion::v12);
    EXPECT_EQ(request.style, Style::m2_document);
    EXPECT_EQ(request.operation, "realtimeDespatchOrderFlowInventoryRequestManagementV1Update");
    EXPECT_EQ(request.service, inventory_service);
    EXPECT_EQ(request.namespace_uri,
              "https://shop.example.com/soap/"
              "default?services=realtimeDespatchOrderFlowInventoryRequestManagementV1");
    const auto message = expect_message<WireInventoryUpdate>(request);
    EXPECT_EQ(message.pairing, domain::Pairing::by_sku);
    EXPECT_EQ(message.session_id, std::nullopt);
    EXPECT_EQ(message.message_seq_id, WireText{"900"});
    ASSERT_EQ(message.qtys.size(), 3u);
    EXPECT_EQ(message.qtys[0].sku, WireText{"hdd000"});
    EXPECT_EQ(message.qtys[0].source, WireText{"default"});
    EXPECT_EQ(message.qtys[1].sku, WireText{"hdd000"});
    EXPECT_EQ(message.qtys[1].qty, WireText{"4"});
    EXPECT_EQ(message.qtys[1].source, WireText{"leeds"});
    EXPECT_EQ(message.qtys[2].source, std::nullopt);
    ASSERT_EQ(message.seqs.size(), 2u);
    EXPECT_EQ(message.seqs[0].seq, WireText{"2001"});
    EXPECT_EQ(message.seqs[0].last_order_exported, WireText{"2026-11-22 23:59:00"});
    EXPECT_EQ(message.qtys[0].last_order_exported, std::nullopt);
}

TEST(DecodeMagento2, InventoryQualifiedChildrenDefaultNamespaceLastOrderOnQtyItem) {
    const auto request = expect_decoded(read_data("m2_inventory_qualified.xml"), "text/xml");
    EXPECT_EQ(request.version, SoapVersion::v11);
    EXPECT_EQ(request.namespace_uri,
              "http://10.0.0.7:8080/index.php/soap/"
              "all?services=realtimeDespatchOrderFlowInventoryRequestManagementV1");
    const auto message = expect_message<WireInventoryUpdate>(request);
    ASSERT_EQ(message.qtys.size(), 1u);
    EXPECT_EQ(message.qtys[0].qty, WireText{"7"});
    EXPECT_EQ(message.qtys[0].last_order_exported, WireText{"2026-11-21T08:00:00"});
    ASSERT_EQ(message.seqs.size(), 1u);
    EXPECT_EQ(message.seqs[0].last_order_exported, std::nullopt);
}

TEST(DecodeMagento2, InventoryQualifiedChildrenWithPrefix) {
    auto body = read_data("m2_inventory.xml");
    for (std::string_view name : {"productQtys", "productSeqs", "item", "sku", "qty", "source",
                                  "seq", "lastOrderExported", "messageSeqId"}) {
        body = replace_all(body, "<" + std::string(name) + ">", "<ns1:" + std::string(name) + ">");
        body =
            replace_all(body, "</" + std::string(name) + ">", "</ns1:" + std::string(name) + ">");
    }
    const auto message = expect_message<WireInventoryUpdate>(expect_decoded(body));
    EXPECT_EQ(message.qtys.size(), 3u);
    EXPECT_EQ(message.qtys[1].source, WireText{"leeds"});
    EXPECT_EQ(message.seqs.size(), 2u);
    EXPECT_EQ(message.message_seq_id, WireText{"900"});
}

TEST(DecodeMagento2, AnyEndpointNamespaceMatches) {
    for (std::string_view uri :
         {"http://a/soap/default?services=",
          "https://wms.example:8443/index.php/soap/store_2?services=", "urn:x?services="}) {
        const auto body =
            replace_all(read_data("m2_inventory.xml"),
                        "https://shop.example.com/soap/default?services=", std::string(uri));
        const auto request = expect_decoded(body);
        EXPECT_EQ(request.namespace_uri, std::string(uri) + std::string(inventory_service));
        EXPECT_EQ(expect_message<WireInventoryUpdate>(request).qtys.size(), 3u);
    }
    // A multi-service endpoint URL, as a client built from ?wsdl&services=a,b sends it.
    const auto multi = replace_all(read_data("m2_inventory.xml"), "?services=realtimeDespatch",
                                   "?services=integrationAdminTokenServiceV1,realtimeDespatch");
    EXPECT_EQ(expect_message<WireInventoryUpdate>(expect_decoded(multi)).qtys.size(), 3u);
}

TEST(DecodeMagento2, MultiServiceEndpointWhereAnotherServiceMatchesFirst) {
    // The URI names the inventory service first (a prefix table matching the first service
    // would bind it to inventory): the operation element's own name decides.
    const auto body =
        replace_all(read_data("m2_shipment.xml"), "?services=realtimeDespatchOrderFlowShipment",
                    "?services=realtimeDespatchOrderFlowInventoryRequestManagementV1,"
                    "realtimeDespatchOrderFlowShipment");
    const auto shipment = expect_message<WireShipmentCreate>(expect_decoded(body));
    EXPECT_EQ(shipment.items.size(), 2u);
    EXPECT_EQ(shipment.tracks.size(), 2u);
    EXPECT_EQ(shipment.message_seq_id, WireText{"78"});
}

TEST(DecodeMagento2, WrongServiceNamespaceIsAFault) {
    const auto body =
        replace_all(read_data("m2_inventory.xml"), "services=realtimeDespatchOrderFlowInventory",
                    "services=realtimeDespatchOrderFlowShipment");
    EXPECT_NE(expect_client_fault(body).find("services="), std::string::npos);
}

TEST(DecodeMagento2, ChildInForeignNamespaceIsAFault) {
    const auto body = replace_all(read_data("m2_inventory.xml"), "<messageSeqId>900</messageSeqId>",
                                  R"(<x:messageSeqId xmlns:x="urn:other">900</x:messageSeqId>)");
    EXPECT_NE(expect_client_fault(body).find("urn:other"), std::string::npos);
}

TEST(DecodeMagento2, ShipmentWithTracksIgnoresLeftoverSessionId) {
    const auto request = expect_decoded(read_data("m2_shipment.xml"), "application/soap+xml");
    EXPECT_EQ(request.service, shipment_service);
    EXPECT_EQ(request.operation, "realtimeDespatchOrderFlowShipmentRequestManagementV1Create");
    const auto shipment = expect_message<WireShipmentCreate>(request);
    EXPECT_EQ(shipment.session_id, std::nullopt);
    EXPECT_EQ(shipment.order_increment_id, WireText{"000000123"});
    ASSERT_EQ(shipment.items.size(), 2u);
    EXPECT_EQ(shipment.items[0].source, WireText{"default"});
    EXPECT_EQ(shipment.items[1].qty, WireText{"2"});
    EXPECT_EQ(shipment.tracks, (std::vector<std::string>{"TRK-1", "TRK-2"}));
    EXPECT_EQ(shipment.tracking_number, WireText{"TRK-0"});
    EXPECT_EQ(shipment.courier_name, WireText{"DPD"});
    EXPECT_EQ(shipment.service_name, WireText{"Next Day"});
    EXPECT_EQ(shipment.email, WireText{"1"});
    EXPECT_EQ(shipment.include_comment, WireText{"1"});
    EXPECT_EQ(shipment.comment, WireText{"Part shipment"});
    EXPECT_EQ(shipment.date_shipped, WireText{"2026-11-23 09:00:00"});
    EXPECT_EQ(shipment.message_seq_id, WireText{"78"});
}

TEST(DecodeMagento2, ProductAndOrderExport) {
    const auto product = expect_decoded(read_data("m2_product_export.xml"));
    const auto product_ack = expect_message<domain::WireExportAck>(product);
    EXPECT_EQ(product_ack.entity, domain::Entity::product_export);
    EXPECT_EQ(product_ack.reference, WireText{"hdd000"});
    EXPECT_EQ(product.operation, "realtimeDespatchOrderFlowProductRequestManagementV1Export");

    const auto order = expect_decoded(read_data("m2_order_export.xml"));
    const auto order_ack = expect_message<domain::WireExportAck>(order);
    EXPECT_EQ(order_ack.entity, domain::Entity::order_export);
    EXPECT_EQ(order_ack.reference, WireText{"000000123"});
}

TEST(DecodeMagento2, CreateAdminAccessToken) {
    const auto request = expect_decoded(read_data("m2_create_admin_token.xml"));
    EXPECT_EQ(request.operation, "integrationAdminTokenServiceV1CreateAdminAccessToken");
    EXPECT_EQ(request.service, "integrationAdminTokenServiceV1");
    const auto token = expect_message<domain::WireCreateToken>(request);
    EXPECT_EQ(token.username, WireText{"wms"});
    EXPECT_EQ(token.password, WireText{"p<ss word"});
}

TEST(DecodeThreads, EachThreadHasItsOwnContext) {
    const auto m1 = read_data("m1_inventory.xml");
    const auto m2 = read_data("m2_shipment.xml");
    std::atomic<int> failures{0};
    auto work = [&](const std::string& body, std::size_t expected_items) {
        for (int i = 0; i < 300; ++i) {
            auto result = decode(body, "", "", {});
            const auto* request = std::get_if<DecodedRequest>(&result);
            if (!request) {
                ++failures;
                continue;
            }
            std::size_t items = std::visit(
                [](const auto& m) -> std::size_t {
                    if constexpr (requires { m.qtys; })
                        return m.qtys.size();
                    else if constexpr (requires { m.items; })
                        return m.items.size();
                    else
                        return 0;
                },
                request->message);
            if (items != expected_items) ++failures;
        }
    };
    std::thread first(work, std::cref(m1), 1u);
    std::thread second(work, std::cref(m2), 2u);
    first.join();
    second.join();
    EXPECT_EQ(failures.load(), 0);
}

// Declared encodings: transcoded to UTF-8 (declaration rewritten) before the gate, and the UTF-8
// form is what DecodedRequest::utf8_body hands over to be stored.
std::string latin1_login() {
    return replace_all(
        replace_all(read_data("m1_login.xml"), "encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\""),
        ">orderflow<", ">caf\xE9 \xA3<");
}

std::string utf16(std::string_view utf8_ascii, bool little_endian) {
    std::string out = little_endian ? "\xFF\xFE" : "\xFE\xFF";
    for (char c : utf8_ascii) {
        if (little_endian) {
            out += c;
            out += '\0';
        } else {
            out += '\0';
            out += c;
        }
    }
    return out;
}

TEST(DecodeEncodings, Iso88591WithItsDeclarationIsTranscoded) {
    const auto request = expect_decoded(latin1_login());
    EXPECT_EQ(expect_message<domain::WireLogin>(request).username,
              WireText{"caf\xC3\xA9 \xC2\xA3"});
    EXPECT_TRUE(request.utf8_body.starts_with(R"(<?xml version="1.0" encoding="UTF-8"?>)"));
    EXPECT_NE(request.utf8_body.find(">caf\xC3\xA9 \xC2\xA3<"), std::string::npos);
    // The same bytes re-delivered give the same stored text (so dedupe still matches).
    EXPECT_EQ(expect_decoded(latin1_login()).utf8_body, request.utf8_body);
    // A UTF-8 body is stored as received: no copy is handed over.
    EXPECT_TRUE(expect_decoded(read_data("m1_login.xml")).utf8_body.empty());
}

TEST(DecodeEncodings, CharsetOfTheContentTypeCounts) {
    auto body =
        replace_all(read_data("m1_login.xml"), R"(<?xml version="1.0" encoding="UTF-8"?>)", "");
    body = replace_all(body, ">orderflow<", ">\xE9<");
    const auto request = expect_decoded(body, "text/xml; charset=\"iso-8859-1\"");
    EXPECT_EQ(expect_message<domain::WireLogin>(request).username, WireText{"\xC3\xA9"});
}

TEST(DecodeEncodings, Utf16WithByteOrderMarkOrDeclaration) {
    const auto declared16 =
        replace_all(read_data("m1_login.xml"), "encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
    for (bool little_endian : {true, false}) {
        const auto request = expect_decoded(utf16(declared16, little_endian));
        EXPECT_EQ(expect_message<domain::WireLogin>(request).username, WireText{"orderflow"});
        EXPECT_TRUE(request.utf8_body.starts_with(R"(<?xml version="1.0" encoding="UTF-8"?>)"));
    }
    // Without a byte order mark, recognised from "<?" in UTF-16 (XML 1.0 Appendix F).
    EXPECT_EQ(expect_message<domain::WireLogin>(expect_decoded(utf16(declared16, true).substr(2)))
                  .username,
              WireText{"orderflow"});
    // A surrogate pair arrives as one 4-byte UTF-8 character.
    auto emoji = utf16(replace_all(declared16, ">orderflow<", ">@<"), true);
    emoji = replace_all(emoji, std::string_view{"@\0", 2}, std::string_view{"\x3D\xD8\x00\xDE", 4});
    EXPECT_EQ(expect_message<domain::WireLogin>(expect_decoded(emoji)).username,
              WireText{"\xF0\x9F\x98\x80"});
}

TEST(DecodeEncodings, UnknownOrInconsistentEncodingsAreClientFaults) {
    const auto declared = [](std::string_view encoding) {
        return replace_all(read_data("m1_login.xml"), "encoding=\"UTF-8\"",
                           "encoding=\"" + std::string(encoding) + "\"");
    };
    EXPECT_NE(expect_client_fault(declared("Shift_JIS")).find("Shift_JIS is not supported"),
              std::string::npos);
    EXPECT_NE(expect_client_fault(declared("UTF-16")).find("not UTF-16"), std::string::npos);
    EXPECT_NE(expect_client_fault(replace_all(declared("US-ASCII"), ">orderflow<", ">\xE9<"))
                  .find("US-ASCII"),
              std::string::npos);
    // UTF-16 whose declaration names another encoding, and a lone surrogate.
    EXPECT_NE(expect_client_fault(utf16(declared("ISO-8859-1"), true)).find("ISO-8859-1"),
              std::string::npos);
    auto lone = utf16(replace_all(read_data("m1_login.xml"), ">orderflow<", ">@<"), true);
    lone = replace_all(lone, std::string_view{"@\0", 2}, "\x3D\xD8");
    EXPECT_NE(expect_client_fault(lone).find("surrogate"), std::string::npos);
}

// The one parse: what gSOAP used to skip or mangle silently is now either decoded exactly or a
// fault naming the element.
const std::string qty_item =
    R"(<item xsi:type="ns1:skuQty"><key xsi:type="xsd:string">hdd000</key><value xsi:type="xsd:int">0</value></item>)";

TEST(DecodeOneParse, ValuesFollowXmlNotTheDecoder) {
    const auto sku_of = [](std::string_view sku) {
        const auto body =
            replace_all(read_data("m1_inventory.xml"), ">hdd000<", ">" + std::string(sku) + "<");
        return expect_message<WireInventoryUpdate>(expect_decoded(body)).qtys.at(0).sku;
    };
    // XML 1.0 §2.11: CR LF and a lone CR are read as LF; a CR sent as a reference stays.
    EXPECT_EQ(sku_of("a\r\nb\rc"), WireText{"a\nb\nc"});
    EXPECT_EQ(sku_of("a&#13;b"), WireText{"a\rb"});
    // Whitespace is part of the value, around CDATA and comments too.
    EXPECT_EQ(sku_of("  "), WireText{"  "});
    EXPECT_EQ(sku_of(" <![CDATA[x<y]]> "), WireText{" x<y "});
    EXPECT_EQ(sku_of("ab<!-- note -->cd"), WireText{"abcd"});
    EXPECT_EQ(sku_of(""), WireText{""});
}

TEST(DecodeOneParse, ArrayMembersWithShortNames) {
    // A member named shorter than <item> (the old decoder renamed members in place and overran).
    auto body =
        replace_all(read_data("m1_inventory.xml"), qty_item,
                    "<q><key>A</key><value>1</value></q><q><key>B</key><value>2</value></q>");
    const auto message = expect_message<WireInventoryUpdate>(expect_decoded(body));
    ASSERT_EQ(message.qtys.size(), 2u);
    EXPECT_EQ(message.qtys[1].sku, WireText{"B"});
    EXPECT_EQ(message.qtys[1].qty, WireText{"2"});
}

TEST(DecodeOneParse, NilMembersAndArrays) {
    // A nil member is a member without fields (the domain layer refuses it by name).
    auto message = expect_message<WireInventoryUpdate>(expect_decoded(
        replace_all(read_data("m1_inventory.xml"), qty_item, R"(<item xsi:nil="true"/>)")));
    ASSERT_EQ(message.qtys.size(), 1u);
    EXPECT_EQ(message.qtys[0].sku, std::nullopt);
    // A nil array is absent, so it does not count as a second spelling.
    message = expect_message<WireInventoryUpdate>(
        expect_decoded(replace_all(read_data("m1_inventory.xml"), "<messageSeqId",
                                   R"(<skusQty xsi:nil="true"/><messageSeqId)")));
    EXPECT_EQ(message.qtys.size(), 1u);
}

TEST(DecodeOneParse, NothingIsSkippedSilently) {
    const auto body = read_data("m1_inventory.xml");
    // Text where elements belong: in an array, in a member, in the operation.
    EXPECT_NE(expect_client_fault(replace_all(body, qty_item, "junk")).find("element skuQty "),
              std::string::npos);
    EXPECT_NE(expect_client_fault(replace_all(body, "<item xsi:type=\"ns1:skuQty\"><key",
                                              "<item xsi:type=\"ns1:skuQty\">junk<key"))
                  .find("skuQty/item"),
              std::string::npos);
    EXPECT_NE(expect_client_fault(replace_all(body, "<ns1:orderflowInventoryMultiUpdate>",
                                              "<ns1:orderflowInventoryMultiUpdate>junk"))
                  .find("where only elements belong"),
              std::string::npos);
    // xsi:nil with a value: which one was meant?
    EXPECT_NE(expect_client_fault(replace_all(body, R"(<key xsi:type="xsd:string">hdd000</key>)",
                                              R"(<key xsi:nil="true">hdd000</key>)"))
                  .find("skuQty/item/key"),
              std::string::npos);
    // Multi-reference values and sparse SOAP-ENC arrays would change what the lines are.
    EXPECT_NE(expect_client_fault(replace_all(body, qty_item, R"(<item href="#id1"/>)"))
                  .find("multi-reference"),
              std::string::npos);
    EXPECT_NE(expect_client_fault(replace_all(body, "<item xsi:type=\"ns1:skuQty\">",
                                              "<item SOAP-ENC:position=\"[3]\">"))
                  .find("SOAP-ENC:position"),
              std::string::npos);
    // M2: a member not named <item> is named in the fault.
    EXPECT_NE(expect_client_fault(replace_all(read_data("m2_inventory.xml"),
                                              "<item><sku>ssd512</sku><qty>0</qty></item>",
                                              "<line><sku>ssd512</sku><qty>0</qty></line>"))
                  .find("productQtys/line"),
              std::string::npos);
}

TEST(DecodeOneParse, HeaderBlocksThatMustBeUnderstoodAreRefused) {
    const auto with_header = [](std::string_view must_understand) {
        return replace_all(
            read_data("m1_inventory.xml"), "<SOAP-ENV:Body>",
            R"(<SOAP-ENV:Header><h:trace xmlns:h="urn:h" SOAP-ENV:mustUnderstand=")" +
                std::string(must_understand) + R"(">1</h:trace></SOAP-ENV:Header><SOAP-ENV:Body>)");
    };
    EXPECT_NE(expect_client_fault(with_header("1")).find("must be understood"), std::string::npos);
    expect_decoded(with_header("0"));
}

TEST(DecodeOneParse, StoredBodyIsTheMaskedBodyFromTheSameParse) {
    const auto secrets = ingest::is_secret_field;
    const auto stored = [&](const std::string& body) {
        auto result = decode(body, "", "", {}, secrets);
        EXPECT_TRUE(std::holds_alternative<DecodedRequest>(result));
        return std::get<DecodedRequest>(std::move(result));
    };
    for (std::string_view name : {"m1_login.xml", "m1_inventory.xml", "m1_shipment.xml",
                                  "m2_create_admin_token.xml", "m2_inventory.xml"}) {
        const auto body = read_data(name);
        EXPECT_EQ(stored(body).stored_body, mask_secrets(body, secrets)) << name;
    }
    const auto login = stored(read_data("m1_login.xml"));
    EXPECT_EQ(login.stored_body.find("s3cr3t-api-key"), std::string::npos);
    // A WS-Security password in the Header, and a transcoded body (masked in its UTF-8 form).
    const auto header = replace_all(
        read_data("m1_inventory.xml"), "<SOAP-ENV:Body>",
        R"(<SOAP-ENV:Header><wsse:Security xmlns:wsse="urn:w"><wsse:Password>hunter2</wsse:Password></wsse:Security></SOAP-ENV:Header><SOAP-ENV:Body>)");
    EXPECT_EQ(stored(header).stored_body.find("hunter2"), std::string::npos);
    const auto latin1 = replace_all(
        replace_all(read_data("m1_login.xml"), "encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\""),
        ">s3cr3t-api-key<", ">caf\xE9<");
    const auto transcoded = stored(latin1);
    EXPECT_EQ(transcoded.stored_body, mask_secrets(transcoded.utf8_body, secrets));
    EXPECT_EQ(transcoded.stored_body.find("caf"), std::string::npos);
    // Whitespace hides nothing: a nil session id stays a nil session id once stored.
    const auto nil_session = replace_all(read_data("m1_inventory.xml"),
                                         R"(<sessionId xsi:type="xsd:string">SESSION</sessionId>)",
                                         R"(<sessionId xsi:nil="true"> </sessionId>)");
    EXPECT_EQ(stored(nil_session).stored_body, nil_session);
    // Without `is_secret` nothing is masked or copied.
    EXPECT_TRUE(expect_decoded(read_data("m1_login.xml")).stored_body.empty());
}

}  // namespace
}  // namespace ofbridge::soap::test
