// The unsent-orders stock adjustment (DESIGN §3.2, adjust_inventory = unsent_orders) as the
// worker's InventoryOptions::unsent_order_units hook. What counts, and why only the line of
// InventoryOptions::unsent_orders_source is adjusted, is the orders feature's
// (orders/unsent_orders.h); this binds its counter to each worker connection.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "ofbridge/worker/worker_pool.h"

namespace ofbridge::worker {

// The factory for InventoryOptions::unsent_order_units. Each worker connection gets its own
// orders::UnsentOrderCounter, so its statement is prepared once per connection (the hook runs
// once per applied stock line).
UnsentOrderUnitsFactory unsent_orders_adjustment(std::chrono::days cutoff,
                                                 std::vector<std::string> statuses);

}  // namespace ofbridge::worker
