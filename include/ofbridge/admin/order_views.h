// How orders are shown to admins: an aligned table / text block for people, one JSON document
// for scripts.
#pragma once

#include <string>
#include <vector>

#include "ofbridge/orders/order_store.h"

namespace ofbridge::admin {

std::string orders_table(const std::vector<orders::Order>& orders);
std::string orders_json(const std::vector<orders::Order>& orders);
std::string order_text(const orders::Order& order);
std::string order_json(const orders::Order& order);

}  // namespace ofbridge::admin
