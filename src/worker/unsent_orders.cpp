// unsent_orders_adjustment: orders::UnsentOrderCounter behind the worker's hook (see
// unsent_orders.h).
#include "ofbridge/worker/unsent_orders.h"

#include <memory>

#include "ofbridge/orders/unsent_orders.h"

namespace ofbridge::worker {

UnsentOrderUnitsFactory unsent_orders_adjustment(std::chrono::days cutoff,
                                                 std::vector<std::string> statuses) {
    return [cutoff,
            statuses = std::move(statuses)](storage::sqlite::Database& db) -> UnsentOrderUnits {
        // shared_ptr: std::function must be copyable; every copy uses this connection's
        // counter, on the one thread that uses the connection.
        auto counter = std::make_shared<orders::UnsentOrderCounter>(db, cutoff, statuses);
        return
            [counter](std::string_view sku, std::string_view, std::string_view last_order_exported,
                      std::chrono::system_clock::time_point now) {
                return counter->units(sku, last_order_exported, now);
            };
    };
}

}  // namespace ofbridge::worker
