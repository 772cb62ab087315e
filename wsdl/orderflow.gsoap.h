// gSOAP interface header for the inbound OrderFlow operations. soapcpp2 turns it into typed
// (de)serialisers at build time; nothing generated is committed. Requests are decoded from one
// pugixml parse instead (src/soap/decode.cpp); this is kept for typed SOAP replies (the export
// feature's fetch responses) and as the baseline of tests/bench/decode_bench.cpp.
//
// The types are deliberately lenient (see the gsoap-beast notes, section 2.4):
//  * every number is a std::string typedef, so any xsi:type is accepted and the text reaches
//    the domain layer unchanged (the domain parses and range-checks it);
//  * arrays are std::vector containers, never __ptr/__size, so SOAP-ENC:arrayType="x[N]" is
//    ignored and exactly the items sent are returned;
//  * every parameter and member is a pointer, so an absent element is distinguishable from an
//    empty one;
//  * both Magento-1 array spellings (skuQty/skusQty, skuSeqId/skusSeqId) are parameters;
//  * Magento-2 children are declared unqualified, which gSOAP matches by local name, so both
//    qualified and unqualified children decode.
// The WSDL that soapcpp2 derives from this file is not served (it shows plain sequences):
// the curated documents next to this file are.
//
// Prefixes ns1..ns8 must stay in step with the namespace table in src/soap/gsoap_namespaces.cpp,
// which adds the `*?services=<service>` patterns that let any endpoint URI match.

#import "stlvector.h"

typedef std::string xsd__int;
typedef std::string xsd__long;
typedef std::string xsd__decimal;
typedef std::string xsd__date;
typedef std::string xsd__dateTime;

//gsoap ns1 service name:      Magento
//gsoap ns1 service type:      Mage_Api_Model_Server_V2_HandlerPortType
//gsoap ns1 service style:     rpc
//gsoap ns1 service encoding:  encoded
//gsoap ns1 service namespace: urn:Magento
//gsoap ns1 service location:  http://localhost/api/v2_soap/
//gsoap ns1 schema  namespace: urn:Magento

class ns1__skuQty {
  public:
    std::string *key;
    xsd__decimal *value;
};

class ns1__skuSeq {
  public:
    std::string *key;
    xsd__long *value;
    xsd__dateTime *lastOrderExported;
};

class ns1__skuQtyArray {
  public:
    std::vector<ns1__skuQty> item;
};

class ns1__skuSeqArray {
  public:
    std::vector<ns1__skuSeq> item;
};

//gsoap ns1 service method-action: login urn:Mage_Api_Model_Server_V2_HandlerAction
int ns1__login(std::string *username, std::string *apiKey, std::string &loginReturn);

//gsoap ns1 service method-action: endSession urn:Mage_Api_Model_Server_V2_HandlerAction
int ns1__endSession(std::string *sessionId, bool &endSessionReturn);

//gsoap ns1 service method-action: orderflowInventoryMultiUpdate urn:Mage_Api_Model_Server_V2_HandlerAction
int ns1__orderflowInventoryMultiUpdate(std::string *sessionId, ns1__skuQtyArray *skusQty,
                                       ns1__skuSeqArray *skusSeqId, xsd__long *messageSeqId,
                                       ns1__skuQtyArray *skuQty, ns1__skuSeqArray *skuSeqId,
                                       std::string &result);

//gsoap ns1 service method-action: orderflowShipmentCreate urn:Mage_Api_Model_Server_V2_HandlerAction
int ns1__orderflowShipmentCreate(std::string *sessionId, std::string *orderIncrementId,
                                 ns1__skuQtyArray *skuQty, std::string *comment, xsd__int *email,
                                 xsd__int *includeComment, std::string *courierName,
                                 std::string *serviceName, std::string *trackingNumber,
                                 xsd__date *dateShipped, xsd__long *messageSeqId,
                                 ns1__skuQtyArray *skusQty, std::string &result);

//gsoap ns2 service name:      realtimeDespatchOrderFlowInventoryRequestManagementV1
//gsoap ns2 service style:     document
//gsoap ns2 service encoding:  literal
//gsoap ns2 service namespace: http://localhost/soap/default?services=realtimeDespatchOrderFlowInventoryRequestManagementV1
//gsoap ns2 schema  namespace: http://localhost/soap/default?services=realtimeDespatchOrderFlowInventoryRequestManagementV1
//gsoap ns2 schema  elementForm: unqualified

class ns2__ProductQtyItem {
  public:
    std::string *sku;
    xsd__decimal *qty;
    std::string *source;
    xsd__dateTime *lastOrderExported;
};

class ns2__ProductSeqItem {
  public:
    std::string *sku;
    xsd__long *seq;
    xsd__dateTime *lastOrderExported;
};

class ns2__ArrayOfProductQty {
  public:
    std::vector<ns2__ProductQtyItem> item;
};

class ns2__ArrayOfProductSeq {
  public:
    std::vector<ns2__ProductSeqItem> item;
};

int ns2__realtimeDespatchOrderFlowInventoryRequestManagementV1UpdateRequest(
    ns2__ArrayOfProductQty *productQtys, ns2__ArrayOfProductSeq *productSeqs,
    xsd__long *messageSeqId, std::string &result);

//gsoap ns3 service name:      realtimeDespatchOrderFlowShipmentRequestManagementV1
//gsoap ns3 service style:     document
//gsoap ns3 service encoding:  literal
//gsoap ns3 service namespace: http://localhost/soap/default?services=realtimeDespatchOrderFlowShipmentRequestManagementV1
//gsoap ns3 schema  namespace: http://localhost/soap/default?services=realtimeDespatchOrderFlowShipmentRequestManagementV1
//gsoap ns3 schema  elementForm: unqualified

class ns3__ShipmentItem {
  public:
    std::string *sku;
    xsd__decimal *qty;
    std::string *source;
};

class ns3__ArrayOfShipmentItem {
  public:
    std::vector<ns3__ShipmentItem> item;
};

class ns3__Track {
  public:
    std::string *trackingNumber;
};

class ns3__ArrayOfTrack {
  public:
    std::vector<ns3__Track> item;
};

// `sessionId` is a leftover some WMS templates still send: declared so it is consumed, never used.
int ns3__realtimeDespatchOrderFlowShipmentRequestManagementV1CreateRequest(
    std::string *orderIncrementId, ns3__ArrayOfShipmentItem *skuQty, ns3__ArrayOfTrack *tracks,
    std::string *comment, xsd__int *email, xsd__int *includeComment, std::string *courierName,
    std::string *serviceName, std::string *trackingNumber, xsd__dateTime *dateShipped,
    xsd__long *messageSeqId, std::string *sessionId, std::string &result);

//gsoap ns4 service name:      realtimeDespatchOrderFlowProductRequestManagementV1
//gsoap ns4 service style:     document
//gsoap ns4 service encoding:  literal
//gsoap ns4 service namespace: http://localhost/soap/default?services=realtimeDespatchOrderFlowProductRequestManagementV1
//gsoap ns4 schema  namespace: http://localhost/soap/default?services=realtimeDespatchOrderFlowProductRequestManagementV1
//gsoap ns4 schema  elementForm: unqualified

int ns4__realtimeDespatchOrderFlowProductRequestManagementV1ExportRequest(std::string *reference,
                                                                         std::string &result);

//gsoap ns5 service name:      realtimeDespatchOrderFlowOrderRequestManagementV1
//gsoap ns5 service style:     document
//gsoap ns5 service encoding:  literal
//gsoap ns5 service namespace: http://localhost/soap/default?services=realtimeDespatchOrderFlowOrderRequestManagementV1
//gsoap ns5 schema  namespace: http://localhost/soap/default?services=realtimeDespatchOrderFlowOrderRequestManagementV1
//gsoap ns5 schema  elementForm: unqualified

int ns5__realtimeDespatchOrderFlowOrderRequestManagementV1ExportRequest(std::string *reference,
                                                                       std::string &result);

//gsoap ns6 service name:      integrationAdminTokenServiceV1
//gsoap ns6 service style:     document
//gsoap ns6 service encoding:  literal
//gsoap ns6 service namespace: http://localhost/soap/default?services=integrationAdminTokenServiceV1
//gsoap ns6 schema  namespace: http://localhost/soap/default?services=integrationAdminTokenServiceV1
//gsoap ns6 schema  elementForm: unqualified

int ns6__integrationAdminTokenServiceV1CreateAdminAccessTokenRequest(std::string *username,
                                                                    std::string *password,
                                                                    std::string &result);

// --- The read operations the WMS calls in notify mode (DESIGN §5): Magento's own
// catalogProductRepositoryV1Get and salesOrderRepositoryV1Get, with the response shapes of
// Magento's ProductInterface and OrderInterface (the fields a WMS reads; the served WSDL in
// wsdl/magento2.wsdl declares the same). Only the responses are serialised through these types.

//gsoap ns7 service name:      catalogProductRepositoryV1
//gsoap ns7 service style:     document
//gsoap ns7 service encoding:  literal
//gsoap ns7 service namespace: http://localhost/soap/default?services=catalogProductRepositoryV1
//gsoap ns7 schema  namespace: http://localhost/soap/default?services=catalogProductRepositoryV1
//gsoap ns7 schema  elementForm: unqualified

class ns7__FrameworkAttributeInterface {
  public:
    std::string *attributeCode;
    std::string *value;
};

class ns7__FrameworkAttributeInterfaceArray {
  public:
    std::vector<ns7__FrameworkAttributeInterface> item;
};

class ns7__CatalogDataProductInterface {
  public:
    xsd__int *id;
    std::string *sku;
    std::string *name;
    xsd__int *attributeSetId;
    xsd__decimal *price;
    xsd__int *status;
    xsd__int *visibility;
    std::string *typeId;
    std::string *createdAt;
    std::string *updatedAt;
    xsd__decimal *weight;
    ns7__FrameworkAttributeInterfaceArray *customAttributes;
};

class ns7__catalogProductRepositoryV1GetResponse {
  public:
    ns7__CatalogDataProductInterface *result;
};

int ns7__catalogProductRepositoryV1GetRequest(std::string *sku, std::string *editMode,
                                              xsd__int *storeId, std::string *forceReload,
                                              ns7__catalogProductRepositoryV1GetResponse &response);

//gsoap ns8 service name:      salesOrderRepositoryV1
//gsoap ns8 service style:     document
//gsoap ns8 service encoding:  literal
//gsoap ns8 service namespace: http://localhost/soap/default?services=salesOrderRepositoryV1
//gsoap ns8 schema  namespace: http://localhost/soap/default?services=salesOrderRepositoryV1
//gsoap ns8 schema  elementForm: unqualified

class ns8__ArrayOfString {
  public:
    std::vector<std::string> item;
};

class ns8__SalesDataOrderAddressInterface {
  public:
    std::string *addressType;
    std::string *firstname;
    std::string *lastname;
    std::string *company;
    ns8__ArrayOfString *street;
    std::string *city;
    std::string *region;
    std::string *postcode;
    std::string *countryId;
    std::string *telephone;
    std::string *email;
};

class ns8__SalesDataOrderItemInterface {
  public:
    xsd__int *itemId;
    std::string *sku;
    std::string *name;
    std::string *productType;
    xsd__decimal *qtyOrdered;
    xsd__decimal *price;
    xsd__decimal *priceInclTax;
    xsd__decimal *rowTotal;
    xsd__decimal *rowTotalInclTax;
    xsd__decimal *taxAmount;
    xsd__decimal *taxPercent;
    xsd__decimal *discountAmount;
};

class ns8__SalesDataOrderItemInterfaceArray {
  public:
    std::vector<ns8__SalesDataOrderItemInterface> item;
};

class ns8__SalesDataShippingInterface {
  public:
    ns8__SalesDataOrderAddressInterface *address;
    std::string *method;
};

class ns8__SalesDataShippingAssignmentInterface {
  public:
    ns8__SalesDataShippingInterface *shipping;
};

class ns8__SalesDataShippingAssignmentInterfaceArray {
  public:
    std::vector<ns8__SalesDataShippingAssignmentInterface> item;
};

class ns8__SalesDataOrderExtensionInterface {
  public:
    ns8__SalesDataShippingAssignmentInterfaceArray *shippingAssignments;
};

class ns8__SalesDataOrderInterface {
  public:
    xsd__int *entityId;
    std::string *incrementId;
    std::string *state;
    std::string *status;
    std::string *createdAt;
    std::string *updatedAt;
    std::string *customerEmail;
    std::string *customerFirstname;
    std::string *customerLastname;
    std::string *customerNote;
    std::string *couponCode;
    std::string *orderCurrencyCode;
    xsd__int *isVirtual;
    xsd__decimal *subtotal;
    xsd__decimal *subtotalInclTax;
    xsd__decimal *shippingAmount;
    xsd__decimal *shippingInclTax;
    xsd__decimal *discountAmount;
    xsd__decimal *taxAmount;
    xsd__decimal *grandTotal;
    std::string *shippingDescription;
    ns8__SalesDataOrderItemInterfaceArray *items;
    ns8__SalesDataOrderAddressInterface *billingAddress;
    ns8__SalesDataOrderExtensionInterface *extensionAttributes;
};

class ns8__salesOrderRepositoryV1GetResponse {
  public:
    ns8__SalesDataOrderInterface *result;
};

int ns8__salesOrderRepositoryV1GetRequest(xsd__int *id,
                                          ns8__salesOrderRepositoryV1GetResponse &response);
