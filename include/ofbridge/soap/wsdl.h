// WSDL documents served to clients (DESIGN §2.1, §2.2). The files in wsdl/ are compiled into
// the binary; the service address (and for Magento-2 the targetNamespace) is rewritten to the
// base URL the client used, e.g. "http://127.0.0.1:8080".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ofbridge::soap {

// Magento-1: the single `urn:Magento` WSDL; `endpoint_path` is "/api/v2_soap/" or
// "/index.php/api/v2_soap/" as requested.
std::string magento1_wsdl(std::string_view base_url, std::string_view endpoint_path);

// The schema documents served at `<Magento-1 endpoint>?xsd=<name>`: "soap-encoding", the SOAP
// 1.1 encoding schema the Magento-1 WSDL imports (schemas/soap/), and "soap-encoding-members",
// which that one imports; so clients that resolve them need no internet access. nullopt for
// any other name.
std::optional<std::string_view> schema_document(std::string_view name);

// Magento-2: one WSDL holding the listed services for that store; nullopt when a service name
// is unknown or the list is empty (the caller answers 404 naming it).
std::optional<std::string> magento2_wsdl(std::string_view base_url, std::string_view store_code,
                                         const std::vector<std::string>& services);

// The Magento-2 services this broker offers.
const std::vector<std::string>& magento2_services();

}  // namespace ofbridge::soap
