// Applies one claimed inventory request (DESIGN §3.1, §3.2): the staleness rule per (sku,
// source) and the stock figure (src/domain) decide; the inventory feature's StockRepository
// reads each key's mark and stores stock levels and high-water marks, the import log one line
// per SKU line. Runs inside the request's savepoint opened by RequestProcessor, on the lines the
// processor expanded from the stored body beforehand (off the writer's thread when hosted).
// Private to src/worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ofbridge/catalog/product_lookup.h"
#include "ofbridge/domain/messages.h"
#include "ofbridge/domain/sequence_policy.h"
#include "ofbridge/domain/stock_level.h"
#include "ofbridge/imports/import_log.h"
#include "ofbridge/inventory/stock_repository.h"
#include "ofbridge/outbox/outbox.h"
#include "ofbridge/worker/worker_pool.h"

namespace ofbridge::worker::detail {

class InventoryApplier {
public:
    // Prepares its repositories' statements on `db`; `options` must outlive the applier.
    InventoryApplier(storage::sqlite::Database& db, const WorkerOptions& options);

    // `update`: the request's lines as expanded from its stored body, in message order.
    imports::ReportCounts apply(std::int64_t request_id, const domain::InventoryUpdate& update,
                                std::chrono::system_clock::time_point now,
                                const std::string& now_text, imports::ImportLog& log);

    // Part of a sliced apply: the lines `part` (indices into update.lines) holding every line
    // of each (sku, source) they touch, so each key is decided as in the whole message. The
    // first part (report_id 0) writes the report; later ones append to report `report_id`.
    // Returns the report's counts so far.
    imports::ReportCounts apply_part(std::int64_t request_id, const domain::InventoryUpdate& update,
                                     std::span<const std::size_t> part, std::int64_t report_id,
                                     std::chrono::system_clock::time_point now,
                                     const std::string& now_text, imports::ImportLog& log);

private:
    bool adjusts(const domain::InventoryLine& line) const;
    bool product_known(std::map<std::string, bool, std::less<>>& cache, const std::string& sku);
    domain::StockLevel apply_stock(const domain::InventoryLine& line, bool had_mark,
                                   std::chrono::system_clock::time_point now,
                                   const std::string& now_text);

    const WorkerOptions& options_;
    UnsentOrderUnits unsent_order_units_;  // empty = no adjustment
    inventory::StockRepository stock_;
    catalog::ProductLookup products_;
    outbox::OutboxRepository outbox_;  // magento2 stores: what Magento must receive
};

}  // namespace ofbridge::worker::detail
