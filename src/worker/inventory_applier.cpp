// InventoryApplier: one inventory request's decisions, stock levels, marks and import lines (see
// inventory_applier.h).
//
// Why the staleness rule holds with any number of workers and broker instances: apply() runs in
// RequestProcessor's BEGIN IMMEDIATE transaction, so SQLite lets one writer at a time through,
// and the marks are read inside that write transaction. A worker therefore always decides
// against the latest committed marks; the conditional upserts (only ever raise a mark / a stock
// level's seq) are a second guard.
#include "inventory_applier.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "ofbridge/orders/unsent_orders.h"
#include "printable.h"

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
    : options_(options),
      unsent_order_units_(options.inventory.unsent_order_units
                              ? options.inventory.unsent_order_units(db)
                              : UnsentOrderUnits{}),
      stock_(db),
      products_(db),
      outbox_(db) {}

imports::ReportCounts InventoryApplier::apply(std::int64_t request_id,
                                              const domain::InventoryUpdate& update,
                                              std::chrono::system_clock::time_point now,
                                              const std::string& now_text,
                                              imports::ImportLog& log) {
    std::vector<std::size_t> every_line(update.lines.size());
    std::iota(every_line.begin(), every_line.end(), std::size_t{0});
    return apply_part(request_id, update, every_line, 0, now, now_text, log);
}

imports::ReportCounts InventoryApplier::apply_part(std::int64_t request_id,
                                                   const domain::InventoryUpdate& update,
                                                   std::span<const std::size_t> part,
                                                   std::int64_t report_id,
                                                   std::chrono::system_clock::time_point now,
                                                   const std::string& now_text,
                                                   imports::ImportLog& log) {
    // report[i], valid_index and the records below follow the part's order: line i of the
    // part is update.lines[part[i]].
    std::vector<ReportLine> report(part.size());

    // Lines that cannot take part in the sequence decision become Failure lines here: those the
    // rules refused at receipt (with their reason) and unknown SKUs. The rest of the message is
    // still processed (DESIGN §3.1).
    std::vector<domain::InventoryLine> valid;
    std::vector<std::size_t> valid_index;  // valid[i] is line valid_index[i] of the part
    std::map<domain::StockKey, std::int64_t> marks;
    valid.reserve(part.size());
    valid_index.reserve(part.size());
    std::map<std::string, bool, std::less<>> known_skus;
    std::set<domain::StockKey> read_keys;
    for (std::size_t i = 0; i < part.size(); ++i) {
        const auto& line = update.lines[part[i]];
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
        // One indexed seek per distinct key, inside the write transaction: the staleness rule
        // needs the latest committed mark.
        domain::StockKey key{line.sku, line.source};
        if (!read_keys.insert(key).second) continue;
        if (const auto mark = stock_.mark(line.sku, line.source)) marks.emplace(key, *mark);
    }

    const auto decided = domain::decide_sequences(valid, marks);
    // A magento2 store: each applied key's new quantity is staged for Magento in this same
    // transaction (the outbox coalesces it with what is still waiting for that key).
    std::string magento_store;
    if (!options_.magento2_stores.empty() && !decided.applied_line.empty()) {
        auto store = outbox_.store_of_request(request_id);
        if (std::find(options_.magento2_stores.begin(), options_.magento2_stores.end(), store) !=
            options_.magento2_stores.end())
            magento_store = std::move(store);
    }

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
        if (!magento_store.empty())
            outbox_.stage_stock(magento_store, line.sku, line.source, line.seq,
                                out.level->final_qty, now_text);
        out.message =
            domain::sequence_message(domain::LineResult::success, out.level->final_qty, line.seq);
        if (adjusts(line) && !line.last_order_exported.empty() &&
            !orders::normalise_order_time(line.last_order_exported))
            out.message += " lastOrderExported '" + printable(line.last_order_exported) +
                           "' is not a date-time: unsent orders were counted over the whole"
                           " unsent_order_cutoff_days window.";
    }

    std::vector<imports::ImportLineRecord> records;
    records.reserve(part.size());
    for (std::size_t i = 0; i < part.size(); ++i) {
        const auto& line = update.lines[part[i]];
        const auto& out = report[i];
        imports::ImportLineRecord r;
        r.line_no = static_cast<std::int64_t>(part[i]) + 1;  // message order, from 1
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
    if (report_id == 0) return log.write(request_id, inventory_entity, records, now_text);
    return log.append(report_id, inventory_entity, records);
}

// One applied line per key and message, and only the configured source's key: so a SKU's unsent
// units are subtracted once per message, however many sources the message updates.
bool InventoryApplier::adjusts(const domain::InventoryLine& line) const {
    return unsent_order_units_ && line.source == options_.inventory.unsent_orders_source;
}

bool InventoryApplier::product_known(std::map<std::string, bool, std::less<>>& cache,
                                     const std::string& sku) {
    if (auto found = cache.find(sku); found != cache.end()) return found->second;
    const bool known = products_.contains(sku);
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
    stock_.record(line, level, had_mark, now_text);
    return level;
}

}  // namespace ofbridge::worker::detail
