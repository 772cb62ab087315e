// InventoryApplier: one inventory request's stock levels, marks and import lines (see
// inventory_applier.h).
//
// Why the staleness rule holds with any number of workers and broker instances: apply() runs in
// RequestProcessor's BEGIN IMMEDIATE transaction, so SQLite lets one writer at a time through,
// and the marks are read inside that write transaction. A worker therefore always decides
// against the latest committed marks; the conditional upserts (only ever raise a mark / a stock
// level's seq) are a second guard.
#include "inventory_applier.h"

#include "ofbridge/worker/unsent_orders.h"
#include "sql_helpers.h"

namespace ofbridge::worker::detail {
namespace {

constexpr std::string_view inventory_entity = "inventory";

// What one line ends up as in the import report.
struct ReportLine {
    domain::LineResult result = domain::LineResult::failure;
    std::string message;
    std::optional<domain::StockLevel> level;  // applied lines only
};

}  // namespace

InventoryApplier::InventoryApplier(storage::sqlite::Database& db, const WorkerOptions& options)
    : db_(db),
      options_(options),
      unsent_order_units_(options.inventory.unsent_order_units
                              ? options.inventory.unsent_order_units(db)
                              : UnsentOrderUnits{}),
      // Each line with its key's current mark: one statement instead of a lookup per key.
      // Read inside the apply transaction, so the marks are the latest committed ones.
      lines_(db,
             "SELECT l.line_no, l.sku, l.source, l.qty, l.seq, l.last_order_exported,"
             " l.failure, m.high_water_seq FROM inventory_lines l LEFT JOIN sequence_marks m"
             " ON m.sku = l.sku AND m.source = l.source"
             " WHERE l.request_id = ?1 ORDER BY l.line_no"),
      product_exists_(db, "SELECT 1 FROM products WHERE sku = ?1"),
      // The common case, a key seen before, is one seek: UPDATE. The upserts below handle a
      // key's first record (and keep the guard if two ever raced).
      update_stock_(db,
                    "UPDATE stock_levels SET qty = ?3, is_in_stock = ?4, last_seq = ?5,"
                    " updated_at = ?6 WHERE sku = ?1 AND source = ?2 AND last_seq < ?5"),
      update_mark_(db,
                   "UPDATE sequence_marks SET high_water_seq = ?3, updated_at = ?4"
                   " WHERE sku = ?1 AND source = ?2 AND high_water_seq < ?3"),
      upsert_stock_(db,
                    "INSERT INTO stock_levels (sku, source, qty, is_in_stock, last_seq,"
                    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                    " ON CONFLICT (sku, source) DO UPDATE SET qty = excluded.qty,"
                    " is_in_stock = excluded.is_in_stock, last_seq = excluded.last_seq,"
                    " updated_at = excluded.updated_at"
                    " WHERE excluded.last_seq > stock_levels.last_seq"),
      upsert_mark_(db,
                   "INSERT INTO sequence_marks (sku, source, high_water_seq, updated_at)"
                   " VALUES (?1, ?2, ?3, ?4)"
                   " ON CONFLICT (sku, source) DO UPDATE SET"
                   " high_water_seq = excluded.high_water_seq, updated_at = excluded.updated_at"
                   " WHERE excluded.high_water_seq > sequence_marks.high_water_seq") {}

imports::ReportCounts InventoryApplier::apply(std::int64_t request_id,
                                              std::chrono::system_clock::time_point now,
                                              const std::string& now_text,
                                              imports::ImportLog& log) {
    std::vector<StoredLine> stored = load_lines(request_id);
    std::vector<ReportLine> report(stored.size());

    // Lines that cannot take part in the sequence decision become Failure lines here: those the
    // rules refused at receipt (with their reason) and unknown SKUs. The rest of the message is
    // still processed (DESIGN §3.1).
    std::vector<domain::InventoryLine> valid;
    std::vector<std::size_t> valid_index;  // valid[i] is stored[valid_index[i]]
    std::map<domain::StockKey, std::int64_t> marks;
    valid.reserve(stored.size());
    valid_index.reserve(stored.size());
    std::map<std::string, bool, std::less<>> known_skus;
    for (std::size_t i = 0; i < stored.size(); ++i) {
        const auto& line = stored[i].line;
        if (!line.failure.empty()) {
            report[i].message = printable(line.failure);
            continue;
        }
        if (line.seq <= 0) {  // not stored by this version's validation; kept as a guard
            report[i].message =
                "Missing or invalid sequence id for SKU '" + printable(line.sku) + "'.";
            continue;
        }
        if (options_.inventory.reject_unknown_skus && !product_known(known_skus, line.sku)) {
            report[i].message = "Unknown SKU '" + printable(line.sku) + "'.";
            continue;
        }
        valid.push_back(line);
        valid_index.push_back(i);
        if (stored[i].mark) marks.emplace(domain::StockKey{line.sku, line.source}, *stored[i].mark);
    }

    const auto decided = domain::decide_sequences(valid, marks);

    for (std::size_t v = 0; v < valid.size(); ++v) {
        auto& out = report[valid_index[v]];
        out.result = decided.decisions[v].result;
        if (out.result != domain::LineResult::success)
            out.message =
                domain::sequence_message(out.result, valid[v].qty, decided.decisions[v].high_water);
    }
    // One Success per key at most: the line with the key's highest new seq.
    for (const auto& [key, index] : decided.applied_line) {
        const auto& line = valid[index];
        auto& out = report[valid_index[index]];
        out.level = apply_stock(line, marks.contains(key), now, now_text);
        out.message =
            domain::sequence_message(domain::LineResult::success, out.level->final_qty, line.seq);
        if (adjusts(line) && !line.last_order_exported.empty() &&
            !normalise_order_time(line.last_order_exported))
            out.message += " lastOrderExported '" + printable(line.last_order_exported) +
                           "' is not a date-time: unsent orders were counted over the whole"
                           " unsent_order_cutoff_days window.";
    }

    std::vector<imports::ImportLineRecord> records;
    records.reserve(stored.size());
    for (std::size_t i = 0; i < stored.size(); ++i) {
        const auto& line = stored[i].line;
        const auto& out = report[i];
        imports::ImportLineRecord r;
        r.line_no = stored[i].line_no;
        if (line.seq > 0) r.sequence_id = line.seq;
        r.reference = line.sku;
        r.source = line.source;
        r.result = out.result;
        r.message = out.message;
        if (line.failure.empty()) r.units_received = line.qty;
        if (out.level) {
            r.unsent_orders_adjustment = out.level->unsent_orders_adjustment;
            r.final_qty = out.level->final_qty;
        }
        records.push_back(std::move(r));
    }
    return log.write(request_id, inventory_entity, records, now_text);
}

std::vector<InventoryApplier::StoredLine> InventoryApplier::load_lines(std::int64_t request_id) {
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

// One applied line per key and message, and only the configured source's key: so a SKU's unsent
// units are subtracted once per message, however many sources the message updates.
bool InventoryApplier::adjusts(const domain::InventoryLine& line) const {
    return unsent_order_units_ && line.source == options_.inventory.unsent_orders_source;
}

bool InventoryApplier::product_known(std::map<std::string, bool, std::less<>>& cache,
                                     const std::string& sku) {
    if (auto found = cache.find(sku); found != cache.end()) return found->second;
    ResetOnExit reset(product_exists_);
    product_exists_.bind_no_copy(1, sku);
    const bool known = product_exists_.step();
    cache.emplace(sku, known);
    return known;
}

// `had_mark`: the key already has a mark (read in this transaction), hence a stock row.
domain::StockLevel InventoryApplier::apply_stock(const domain::InventoryLine& line, bool had_mark,
                                                 std::chrono::system_clock::time_point now,
                                                 const std::string& now_text) {
    const std::int64_t unsent =
        adjusts(line) ? unsent_order_units_(line.sku, line.source, line.last_order_exported, now)
                      : 0;
    const auto level =
        domain::compute_stock_level(line.qty, unsent, options_.inventory.allow_negative);
    const auto write = [&](storage::sqlite::Statement& s) {
        ResetOnExit reset(s);
        s.bind_no_copy(1, line.sku)
            .bind_no_copy(2, line.source)
            .bind(3, level.final_qty)
            .bind(4, level.is_in_stock)
            .bind(5, line.seq)
            .bind_no_copy(6, now_text)
            .run();
    };
    bool stock_written = false;
    if (had_mark) {
        write(update_stock_);
        stock_written = db_.changes() > 0;
    }
    if (!stock_written) write(upsert_stock_);

    auto& mark = had_mark ? update_mark_ : upsert_mark_;
    ResetOnExit reset(mark);
    mark.bind_no_copy(1, line.sku)
        .bind_no_copy(2, line.source)
        .bind(3, line.seq)
        .bind_no_copy(4, now_text)
        .run();
    return level;
}

}  // namespace ofbridge::worker::detail
