// How a received stock figure becomes the quantity stored (DESIGN §3.2). Pure.
//
//   final = units_received - unsent_order_units      (adjustment; 0 unless enabled)
//   final < 0 and !allow_negative  ->  0
//   is_in_stock = final > 0
#pragma once

#include <cstdint>

namespace ofbridge::domain {

struct StockLevel {
    std::int64_t units_received = 0;
    std::int64_t unsent_orders_adjustment = 0;  // units subtracted (>= 0)
    std::int64_t final_qty = 0;
    bool is_in_stock = false;
};

StockLevel compute_stock_level(std::int64_t units_received, std::int64_t unsent_order_units,
                               bool allow_negative);

}  // namespace ofbridge::domain
