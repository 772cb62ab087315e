// Stock levels and high-water marks (stock_marks: one row per (sku, source); schemas/sqlite/012):
// the write side the worker's inventory applier uses inside the request's savepoint. The
// decisions (staleness, the stock figure) are the domain's; this only reads and writes rows.
// Statements are prepared once, on the connection it is given, and used by that connection's
// one thread.
//
// Per (sku, source) key, a first record inserts its row (stock and mark); later ones update it
// in one seek. Every write is conditional (a mark only ever rises, and the stock moves with it),
// a second guard behind the apply transaction that serialises the writers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ofbridge/domain/messages.h"
#include "ofbridge/domain/stock_level.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::inventory {

class StockRepository {
public:
    explicit StockRepository(storage::sqlite::Database& db);

    // The key's high-water mark (none: the key has no record yet), one seek on the primary key.
    // Read inside the apply transaction, so it is the latest committed one.
    std::optional<std::int64_t> mark(const std::string& sku, const std::string& source);

    // Stores `level` as the stock of the line's key and raises its mark to the line's seq, in
    // one row write. `had_mark`: the key had a mark when its lines were read (so it has a row).
    void record(const domain::InventoryLine& line, const domain::StockLevel& level, bool had_mark,
                const std::string& now_text);

private:
    storage::sqlite::Database& db_;
    storage::sqlite::Statement mark_, update_, upsert_;
};

}  // namespace ofbridge::inventory
