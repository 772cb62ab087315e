// The gSOAP namespace table (libgsoap++ links against a global `namespaces`). Hand-written
// instead of the generated .nsmap because of the third column: inbound patterns, so a
// Magento-2 operation in ANY endpoint namespace (`https://host:port/soap/store?services=X`)
// matches its service, and SOAP 1.2 envelopes match SOAP-ENV. Prefixes follow
// wsdl/orderflow.gsoap.h.
#include "stdsoap2.h"

SOAP_NMAC struct Namespace namespaces[] = {
    {"SOAP-ENV", "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/*/soap-envelope",
     nullptr},
    {"SOAP-ENC", "http://schemas.xmlsoap.org/soap/encoding/", "http://www.w3.org/*/soap-encoding",
     nullptr},
    {"xsi", "http://www.w3.org/2001/XMLSchema-instance", "http://www.w3.org/*/XMLSchema-instance",
     nullptr},
    {"xsd", "http://www.w3.org/2001/XMLSchema", "http://www.w3.org/*/XMLSchema", nullptr},
    {"ns1", "urn:Magento", nullptr, nullptr},
    {"ns2",
     "http://localhost/soap/default?services=realtimeDespatchOrderFlowInventoryRequestManagementV1",
     "*services=*realtimeDespatchOrderFlowInventoryRequestManagementV1*", nullptr},
    {"ns3",
     "http://localhost/soap/default?services=realtimeDespatchOrderFlowShipmentRequestManagementV1",
     "*services=*realtimeDespatchOrderFlowShipmentRequestManagementV1*", nullptr},
    {"ns4",
     "http://localhost/soap/default?services=realtimeDespatchOrderFlowProductRequestManagementV1",
     "*services=*realtimeDespatchOrderFlowProductRequestManagementV1*", nullptr},
    {"ns5",
     "http://localhost/soap/default?services=realtimeDespatchOrderFlowOrderRequestManagementV1",
     "*services=*realtimeDespatchOrderFlowOrderRequestManagementV1*", nullptr},
    {"ns6", "http://localhost/soap/default?services=integrationAdminTokenServiceV1",
     "*services=*integrationAdminTokenServiceV1*", nullptr},
    {"ns7", "http://localhost/soap/default?services=catalogProductRepositoryV1",
     "*services=*catalogProductRepositoryV1*", nullptr},
    {"ns8", "http://localhost/soap/default?services=salesOrderRepositoryV1",
     "*services=*salesOrderRepositoryV1*", nullptr},
    {nullptr, nullptr, nullptr, nullptr}};
