// How a received stock figure becomes the quantity stored in Magento (DESIGN §3.2). Kept pure
// and separate from the worker so that the arithmetic (adjustment, clamping, overflow) is tested
// on its own and the import report can record each step exactly.
#include "ofbridge/domain/stock_level.h"

#include <algorithm>
#include <limits>

namespace ofbridge::domain {

StockLevel compute_stock_level(std::int64_t units_received, std::int64_t unsent_order_units,
                               bool allow_negative) {
    constexpr std::int64_t lowest = std::numeric_limits<std::int64_t>::min();

    // A negative count of unsent units is meaningless (it would add stock); treat it as none.
    std::int64_t adjustment = std::max<std::int64_t>(unsent_order_units, 0);

    // Subtracting can only overflow downwards, and only when units_received is already
    // negative. Saturate by subtracting no more than the room left above INT64_MIN, so that
    // units_received - unsent_orders_adjustment is always the unclamped result exactly.
    // (units_received - lowest cannot overflow when units_received < 0.)
    if (units_received < 0) adjustment = std::min(adjustment, units_received - lowest);

    StockLevel level;
    level.units_received = units_received;
    level.unsent_orders_adjustment = adjustment;
    level.final_qty = units_received - adjustment;
    if (level.final_qty < 0 && !allow_negative) level.final_qty = 0;
    level.is_in_stock = level.final_qty > 0;
    return level;
}

}  // namespace ofbridge::domain
