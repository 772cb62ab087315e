// Replies of the read operations of notify mode (catalogProductRepositoryV1Get,
// salesOrderRepositoryV1Get): the store's Magento REST document (a product as `products import`
// keeps it, an order as `orders import` keeps it; snake_case keys) mapped to Magento's SOAP
// ProductInterface / OrderInterface (camelCase elements) and serialised by gSOAP from the types
// in wsdl/orderflow.gsoap.h, in the namespace the caller used (the endpoint URL). Absent, null
// and empty values are left out, as Magento does.
#pragma once

#include <string>
#include <string_view>

#include "ofbridge/soap/codec.h"

namespace ofbridge::soap {

// `request` is the decoded get request (its version and namespace are echoed). Throws
// std::invalid_argument when the stored document is not a JSON object.
std::string encode_product_get_response(const DecodedRequest& request,
                                        std::string_view product_json);
std::string encode_order_get_response(const DecodedRequest& request, std::string_view order_json);

}  // namespace ofbridge::soap
