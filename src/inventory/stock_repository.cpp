// StockRepository: the stock_marks reads and writes of an inventory apply (see
// stock_repository.h).
#include "ofbridge/inventory/stock_repository.h"

#include "ofbridge/storage/sqlite/database.h"

namespace ofbridge::inventory {

using storage::sqlite::ResetOnExit;

StockRepository::StockRepository(storage::sqlite::Database& db)
    : db_(db),
      // Each line with its key's current mark: one statement instead of a lookup per key. The
      // lines are the queue's (inventory_lines); this is the one read that joins them.
      lines_(db,
             "SELECT l.line_no, l.sku, l.source, l.qty, l.seq, l.last_order_exported,"
             " l.failure, m.high_water_seq FROM inventory_lines l LEFT JOIN stock_marks m"
             " ON m.sku = l.sku AND m.source = l.source"
             " WHERE l.request_id = ?1 ORDER BY l.line_no"),
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

std::vector<StoredLine> StockRepository::lines_with_marks(std::int64_t request_id) {
    std::vector<StoredLine> stored;
    ResetOnExit reset(lines_);
    lines_.bind(1, request_id);
    while (lines_.step()) {
        StoredLine s;
        s.line_no = lines_.column_int64(0);
        s.line.sku = lines_.column_text(1);
        s.line.source = lines_.column_text(2);
        s.line.qty = lines_.column_int64(3);
        s.line.seq = lines_.column_int64(4);
        s.line.last_order_exported = lines_.column_text(5);
        s.line.failure = lines_.column_text(6);
        if (!lines_.is_null(7)) s.mark = lines_.column_int64(7);
        stored.push_back(std::move(s));
    }
    return stored;
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
