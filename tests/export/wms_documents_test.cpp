// The push-mode documents: field mapping, CDATA with "]]>" split, empty values left out, and
// every failure form of an OrderFlow reply (notes §3.2), including those that come with HTTP 200.
#include "ofbridge/export/wms_documents.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>

#include <fstream>
#include <sstream>

namespace ofbridge::exporting {
namespace {

using domain::ExportResult;

std::string value_of(const KeyValues& fields, const std::string& key) {
    for (const auto& [k, v] : fields)
        if (k == key) return v;
    return "<absent>";
}

TEST(WmsDocuments, ProductFieldsMapAndLeaveOutEmptyValues) {
    auto fields = product_fields(
        R"({"attr.barcode":"5012345678900","attr.tax_class_id":"2","name":"Joust\nDuffle",)"
        R"("price":"34","sku":"24-MB01","status":"1","type_id":"simple","weight":"0"})");
    EXPECT_EQ(value_of(fields, "externalReference"), "24-MB01");
    EXPECT_EQ(value_of(fields, "description"), "Joust Duffle") << "line breaks stripped";
    EXPECT_EQ(value_of(fields, "barcode"), "5012345678900");
    EXPECT_EQ(value_of(fields, "priceNet"), "34");
    EXPECT_EQ(value_of(fields, "sellable"), "1");
    EXPECT_EQ(value_of(fields, "taxCode"), "2");
    EXPECT_EQ(value_of(fields, "weight"), "<absent>") << "0 is left out";
    EXPECT_EQ(value_of(fields, "length"), "<absent>");
}

TEST(WmsDocuments, OrderFieldsFromMagentoDocument) {
    std::ifstream in(std::string{OFBRIDGE_ORDERS_TEST_DATA} + "/order_three_lines.json");
    std::stringstream text;
    text << in.rdbuf();
    auto fields = order_fields(text.str());
    EXPECT_EQ(value_of(fields, "externalReference"), "000000101");
    EXPECT_EQ(value_of(fields, "totalPriceGross"), "74.85");
    EXPECT_EQ(value_of(fields, "deliveryAddressLine1"), "12 Park Row");
    EXPECT_EQ(value_of(fields, "deliveryAddressLine3"), "Leeds");
    EXPECT_EQ(value_of(fields, "deliveryContactName"), "Jane Doe");
    EXPECT_EQ(value_of(fields, "invoicePostCode"), "LS1 4AP");
    EXPECT_EQ(value_of(fields, "orderLine.1.product.externalReference"), "SKU-A");
    EXPECT_EQ(value_of(fields, "orderLine.1.shipment"), "entity:shipment");
    EXPECT_EQ(value_of(fields, "shipment.deliverySuggestionCode"), "flatrate_flatrate");
}

TEST(WmsDocuments, ImportsDocumentSplitsCdataEnd) {
    auto doc = imports_document(
        "product", "merge", {{"A&B", {{"externalReference", "A&B"}, {"description", "x]]>y"}}}});
    EXPECT_NE(doc.find(R"(<import type="product" operation="merge" externalReference="A&amp;B">)"),
              std::string::npos)
        << doc;
    EXPECT_NE(doc.find("<![CDATA[externalReference=A&B\ndescription=x]]]]><![CDATA[>y]]>"),
              std::string::npos)
        << doc;
}

// A reference is an attribute value: tab and line breaks are character references, so a parser
// (the WMS's) reads back the reference that was sent, not one with spaces in their place.
TEST(WmsDocuments, ImportsDocumentReferenceSurvivesAttributeNormalisation) {
    auto doc = imports_document("order", "insert", {{"A\tB\nC\rD", {{"externalReference", "x"}}}});
    EXPECT_NE(doc.find(R"(externalReference="A&#9;B&#10;C&#13;D")"), std::string::npos) << doc;
    pugi::xml_document parsed;
    ASSERT_TRUE(parsed.load_string(doc.c_str())) << doc;
    EXPECT_STREQ(parsed.child("imports").child("import").attribute("externalReference").value(),
                 "A\tB\nC\rD");
}

TEST(WmsDocuments, ImportResultSuccessesDuplicatesFailuresAndMissing) {
    const std::string body = R"(<importResult>
  <importSuccesses><import type="product" operation="merge" externalReference="A"/></importSuccesses>
  <importFailures><import externalReference="B"><failureMessage>Bad barcode</failureMessage>
      <failureDetail>too long</failureDetail></import>
    <import externalReference="D"><failureMessage>x</failureMessage></import></importFailures>
  <importDuplicates><import externalReference="C"><duplicateMessage>exists</duplicateMessage></import>
    <import externalReference="D"/></importDuplicates>
</importResult>)";
    auto reply = read_import_reply(200, body, {"A", "B", "C", "D", "E"});
    ASSERT_EQ(reply.error, "");
    EXPECT_EQ(reply.results["A"].result, ExportResult::success);
    EXPECT_EQ(reply.results["B"].result, ExportResult::failure);
    EXPECT_EQ(reply.results["B"].message, "Bad barcode: too long");
    EXPECT_EQ(reply.results["C"].result, ExportResult::duplicate);
    EXPECT_EQ(reply.results["D"].result, ExportResult::duplicate) << "duplicate beats failure";
    EXPECT_EQ(reply.results["E"].result, ExportResult::missing);
}

TEST(WmsDocuments, EveryFailureFormFailsTheExchange) {
    EXPECT_NE(reply_error(500, "<importResult/>"), "");
    EXPECT_NE(reply_error(401, ""), "");
    EXPECT_NE(reply_error(200, "Service temporarily unavailable"), "");
    EXPECT_NE(reply_error(200, ""), "");
    EXPECT_NE(reply_error(200,
                          "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><h2>HTTP ERROR 500"
                          "</h2></body></html>"),
              "");
    EXPECT_NE(reply_error(200, "<exception><message>boom</message></exception>"), "");
    EXPECT_NE(reply_error(200, "<error>channel unknown</error>"), "");
    EXPECT_NE(reply_error(200, "<result>Result 'no_operation' for product</result>"), "");
    EXPECT_NE(reply_error(200, "<message>No cancel operation performed</message>",
                          "No cancel operation performed"),
              "");
    EXPECT_EQ(reply_error(200, "<importResult/>"), "");
    EXPECT_NE(read_import_reply(200, "<result>ok</result>", {"A"}).error, "")
        << "not an import report";
}

}  // namespace
}  // namespace ofbridge::exporting
