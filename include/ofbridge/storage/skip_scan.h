// The distinct values of an index's first column by a skip scan: one seek per value rather than
// a read of every row, which matters when a few keys (store codes) own millions of rows. The
// readers that list their stores this way give the seek as SQL.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "ofbridge/storage/sqlite/database.h"

namespace ofbridge::storage {

// Runs `next_sql` (one result column: the least value above ?1, NULL when there is none, e.g.
// "SELECT min(store_code) FROM t WHERE store_code > ?1") from '' on, and calls `each` with every
// value in ascending order.
void for_each_skip_scanned(sqlite::Database& db, std::string_view next_sql,
                           const std::function<void(const std::string&)>& each);

}  // namespace ofbridge::storage
