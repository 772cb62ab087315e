// The served WSDL documents: well-formed, addressed at the caller's base URL, and for Magento-2
// holding exactly the requested services in the endpoint's namespace.
#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "ofbridge/soap/wsdl.h"

namespace ofbridge::soap {
namespace {

std::vector<std::string> names_of(const pugi::xml_node& definitions, std::string_view local_name) {
    std::vector<std::string> names;
    for (auto child : definitions.children()) {
        std::string_view name = child.name();
        if (name == local_name || name.ends_with(":" + std::string(local_name)))
            names.emplace_back(child.attribute("name").value());
    }
    return names;
}

TEST(Magento1Wsdl, AddressIsTheCallersEndpoint) {
    const auto wsdl = magento1_wsdl("http://127.0.0.1:8080/", "/index.php/api/v2_soap/");
    pugi::xml_document document;
    ASSERT_TRUE(document.load_string(wsdl.c_str()));
    EXPECT_EQ(wsdl.find("@ENDPOINT@"), std::string::npos);
    const auto address = document.select_node("//*[local-name()='address']");
    ASSERT_TRUE(address);
    EXPECT_STREQ(address.node().attribute("location").value(),
                 "http://127.0.0.1:8080/index.php/api/v2_soap/");
    EXPECT_STREQ(document.document_element().attribute("targetNamespace").value(), "urn:Magento");
    // The four operations, with the part names the replies use.
    const auto operations =
        document.select_nodes("/*/*[local-name()='portType']/*[local-name()='operation']");
    EXPECT_EQ(operations.size(), 4u);
    EXPECT_TRUE(document.select_node("//*[@name='loginResponse']/*[@name='loginReturn']"));
    EXPECT_TRUE(
        document.select_node("//*[@name='endSessionResponse']/*[@name='endSessionReturn']"));
    EXPECT_TRUE(document.select_node(
        "//*[@name='orderflowInventoryMultiUpdateResponse']/*[@name='result']"));
    EXPECT_TRUE(
        document.select_node("//*[@name='orderflowShipmentCreateResponse']/*[@name='result']"));
}

TEST(Magento1Wsdl, ImportsTheSoapEncodingSchemaFromTheSameEndpoint) {
    const auto wsdl = magento1_wsdl("https://wms.example:8443", "/api/v2_soap/");
    EXPECT_NE(
        wsdl.find(R"(schemaLocation="https://wms.example:8443/api/v2_soap/?xsd=soap-encoding")"),
        std::string::npos);
    for (std::string_view name : {"soap-encoding", "soap-encoding-members"}) {
        const auto schema = schema_document(name);
        ASSERT_TRUE(schema) << name;
        pugi::xml_document document;
        ASSERT_TRUE(document.load_buffer(schema->data(), schema->size())) << name;
        EXPECT_STREQ(document.document_element().name(), "xs:schema");
    }
    const auto encoding = *schema_document("soap-encoding");
    EXPECT_NE(encoding.find(R"(targetNamespace="http://schemas.xmlsoap.org/soap/encoding/")"),
              std::string_view::npos);
    EXPECT_NE(encoding.find(R"(<xs:complexType name="Array">)"), std::string_view::npos);
    EXPECT_NE(encoding.find(R"(<xs:attribute name="arrayType")"), std::string_view::npos);
    EXPECT_FALSE(schema_document("../etc/passwd"));
}

TEST(Magento1Wsdl, UrlIsEscaped) {
    const auto wsdl = magento1_wsdl("http://h/?a=1&b=\"2\"", "/api/v2_soap/");
    pugi::xml_document document;
    ASSERT_TRUE(document.load_string(wsdl.c_str()));
    EXPECT_STREQ(
        document.select_node("//*[local-name()='address']").node().attribute("location").value(),
        "http://h/?a=1&b=\"2\"/api/v2_soap/");
}

TEST(Magento2Wsdl, OneServiceOnly) {
    const auto wsdl = magento2_wsdl("https://wms.example:8443", "default",
                                    {"realtimeDespatchOrderFlowInventoryRequestManagementV1"});
    ASSERT_TRUE(wsdl);
    EXPECT_EQ(wsdl->find("@ENDPOINT@"), std::string::npos);
    pugi::xml_document document;
    ASSERT_TRUE(document.load_string(wsdl->c_str()));
    const auto definitions = document.document_element();
    const std::string endpoint =
        "https://wms.example:8443/soap/"
        "default?services=realtimeDespatchOrderFlowInventoryRequestManagementV1";
    EXPECT_EQ(std::string(definitions.attribute("targetNamespace").value()), endpoint);
    EXPECT_EQ(std::string(definitions.attribute("xmlns:tns").value()), endpoint);
    EXPECT_EQ(std::string(document.select_node("//*[local-name()='schema']")
                              .node()
                              .attribute("targetNamespace")
                              .value()),
              endpoint);
    EXPECT_EQ(std::string(document.select_node("//*[local-name()='address']")
                              .node()
                              .attribute("location")
                              .value()),
              endpoint);
    EXPECT_EQ(
        names_of(definitions, "service"),
        std::vector<std::string>{"realtimeDespatchOrderFlowInventoryRequestManagementV1Service"});
    EXPECT_EQ(names_of(definitions, "portType").size(), 1u);
    EXPECT_EQ(names_of(definitions, "binding").size(), 1u);
    EXPECT_EQ(names_of(definitions, "message").size(), 2u);
    EXPECT_FALSE(document.select_node(
        "//*[@name='integrationAdminTokenServiceV1CreateAdminAccessTokenRequest']"));
    EXPECT_TRUE(document.select_node(
        "//*[@name='realtimeDespatchOrderFlowInventoryRequestManagementV1UpdateRequest']"));
}

TEST(Magento2Wsdl, SeveralServicesInOneDocument) {
    const std::vector<std::string> services{"integrationAdminTokenServiceV1",
                                            "realtimeDespatchOrderFlowShipmentRequestManagementV1"};
    const auto wsdl = magento2_wsdl("http://127.0.0.1:8080", "store_2", services);
    ASSERT_TRUE(wsdl);
    pugi::xml_document document;
    ASSERT_TRUE(document.load_string(wsdl->c_str()));
    EXPECT_STREQ(document.document_element().attribute("targetNamespace").value(),
                 "http://127.0.0.1:8080/soap/store_2?services=integrationAdminTokenServiceV1,"
                 "realtimeDespatchOrderFlowShipmentRequestManagementV1");
    EXPECT_EQ(names_of(document.document_element(), "service").size(), 2u);
    EXPECT_EQ(names_of(document.document_element(), "message").size(), 4u);
    // The shipment's helper types are kept with it.
    EXPECT_TRUE(document.select_node(
        "//*[@name='realtimeDespatchOrderFlowShipmentRequestManagementV1TrackArray']"));
}

TEST(Magento2Wsdl, EveryOfferedServiceHasADocument) {
    for (const auto& service : magento2_services()) {
        const auto wsdl = magento2_wsdl("http://h", "default", {service});
        ASSERT_TRUE(wsdl) << service;
        pugi::xml_document document;
        EXPECT_TRUE(document.load_string(wsdl->c_str())) << service;
        EXPECT_EQ(names_of(document.document_element(), "service"),
                  std::vector<std::string>{service + "Service"});
    }
    EXPECT_TRUE(magento2_wsdl("http://h", "default", magento2_services()));
}

TEST(Magento2Wsdl, UnknownOrNoServiceIsNullopt) {
    EXPECT_FALSE(magento2_wsdl("http://h", "default", {"catalogProductRepositoryV1Nope"}));
    EXPECT_FALSE(magento2_wsdl("http://h", "default",
                               {"realtimeDespatchOrderFlowInventoryRequestManagementV1", "nope"}));
    EXPECT_FALSE(magento2_wsdl("http://h", "default", {}));
}

}  // namespace
}  // namespace ofbridge::soap
