// StockRepository: the stock_marks reads and writes of an inventory apply (see
// stock_repository.h).
#include "ofbridge/inventory/stock_repository.h"

#include "ofbridge/storage/sqlite/database.h"

namespace ofbridge::inventory {

using storage::sqlite::ResetOnExit;

StockRepository::StockRepository(storage::sqlite::Database& db)
    : db_(db),
      mark_(db, "SELECT high_water_seq FROM stock_marks WHERE sku = ?1 AND source = ?2"),
      // The common case, a key seen before, is one seek: UPDATE. The upsert handles a key's
      // first record (and keeps the guard if two ever raced).
      update_(db,
              "UPDATE stock_marks SET high_water_seq = ?5, qty = ?3, is_in_stock = ?4,"
              " updated_at = ?6 WHERE sku = ?1 AND source = ?2 AND high_water_seq < ?5"),
      upsert_(db,
              "INSERT INTO stock_marks (sku, source, qty, is_in_stock, high_water_seq,"
              " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
              " ON CONFLICT (sku, source) DO UPDATE SET qty = excluded.qty,"
              " is_in_stock = excluded.is_in_stock, high_water_seq = excluded.high_water_seq,"
              " updated_at = excluded.updated_at"
              " WHERE excluded.high_water_seq > stock_marks.high_water_seq") {}

std::optional<std::int64_t> StockRepository::mark(const std::string& sku,
                                                  const std::string& source) {
    ResetOnExit reset(mark_);
    mark_.bind_no_copy(1, sku).bind_no_copy(2, source);
    if (!mark_.step()) return std::nullopt;
    return mark_.column_int64(0);
}

void StockRepository::record(const domain::InventoryLine& line, const domain::StockLevel& level,
                             bool had_mark, const std::string& now_text) {
    // A key with a mark has its row: the update either raises it or (an equal or higher mark
    // already there) is refused by the guard, as the upsert would be.
    auto& s = had_mark ? update_ : upsert_;
    ResetOnExit reset(s);
    s.bind_no_copy(1, line.sku)
        .bind_no_copy(2, line.source)
        .bind(3, level.final_qty)
        .bind(4, level.is_in_stock)
        .bind(5, line.seq)
        .bind_no_copy(6, now_text)
        .run();
}

}  // namespace ofbridge::inventory
