// The unsent-orders stock adjustment (DESIGN §3.2, adjust_inventory = unsent_orders): units of
// a SKU that customers have ordered but the WMS does not know about yet, so its stock figure
// still counts them. Subtracting them keeps the shop from selling the same units twice.
//
// Orders carry no MSI source, so the adjustment belongs to the SKU, not to a (sku, source) key:
// the worker's inventory applier subtracts it only from the SKU's line for
// InventoryOptions::unsent_orders_source (config `[inventory] unsent_orders_source`, default
// "default"), which a message applies at most once. Lines of other sources get no adjustment; a
// message without a line for that source subtracts nothing.
//
// Counted, per SKU, the open quantity
// qty_ordered - qty_shipped - qty_canceled (never below 0 per line) of order_items where
//   - the order is not yet with the WMS: export_status is not 'exported' nor 'cancelled';
//   - the order's status is one of `statuses` (none listed: nothing counts);
//   - the order was placed within `cutoff` of the worker's "now" (created_at >= now - cutoff);
//   - the order was placed after the line's lastOrderExported, when the line has one that
//     parses (normalise_order_time). The fallback for one that does not parse (Magento's
//     "0000-00-00 00:00:00", say) is that of a line without one: no lower bound but the cutoff,
//     which errs on the side of subtracting more rather than overselling. It is not silent: the
//     applier says so on the import line;
//   - the line carries its own quantity: a parent line with children (configurable, bundle)
//     is skipped, its children are counted, so no unit is counted twice.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::orders {

// Counts a SKU's unsent units on one connection, inside the caller's transaction (so it sees
// exactly what the apply transaction sees). The statement is prepared once, in the constructor:
// the count runs for every applied stock line. Used by that connection's one thread.
class UnsentOrderCounter {
public:
    UnsentOrderCounter(storage::sqlite::Database& db, std::chrono::days cutoff,
                       std::vector<std::string> statuses);

    std::int64_t units(std::string_view sku, std::string_view last_order_exported,
                       std::chrono::system_clock::time_point now);

private:
    std::chrono::days cutoff_;
    std::vector<std::string> statuses_;
    storage::sqlite::Statement count_;
};

// lastOrderExported as the orders table writes times: "YYYY-MM-DD HH:MM:SS" in UTC.
// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DD HH:MM:SS", then an optional
// fraction of a second (dropped: orders are stored to the second, so an order in the same
// second counts as placed after, the safe side), then an optional "Z" or "+HH:MM"/"-HH:MM"/
// "+HHMM" offset, which is applied to convert to UTC. No offset means UTC. nullopt when the
// text is not such a time.
std::optional<std::string> normalise_order_time(std::string_view text);

}  // namespace ofbridge::orders
