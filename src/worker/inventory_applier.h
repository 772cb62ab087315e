// Applies one claimed inventory request (DESIGN §3.1, §3.2): the staleness rule per (sku,
// source), stock levels, high-water marks and one import line per SKU line. Runs inside the
// request's savepoint opened by RequestProcessor. Private to src/worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ofbridge/domain/messages.h"
#include "ofbridge/domain/sequence_policy.h"
#include "ofbridge/domain/stock_level.h"
#include "ofbridge/imports/import_log.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/worker/worker_pool.h"

namespace ofbridge::worker::detail {

class InventoryApplier {
public:
    // Prepares its statements on `db`; `options` must outlive the applier.
    InventoryApplier(storage::sqlite::Database& db, const WorkerOptions& options);

    imports::ReportCounts apply(std::int64_t request_id, std::chrono::system_clock::time_point now,
                                const std::string& now_text, imports::ImportLog& log);

private:
    struct StoredLine {
        std::int64_t line_no = 0;
        domain::InventoryLine line;
        std::optional<std::int64_t> mark;  // the key's high-water mark, read with the line
    };

    std::vector<StoredLine> load_lines(std::int64_t request_id);
    bool adjusts(const domain::InventoryLine& line) const;
    bool product_known(std::map<std::string, bool, std::less<>>& cache, const std::string& sku);
    domain::StockLevel apply_stock(const domain::InventoryLine& line, bool had_mark,
                                   std::chrono::system_clock::time_point now,
                                   const std::string& now_text);

    storage::sqlite::Database& db_;
    const WorkerOptions& options_;
    UnsentOrderUnits unsent_order_units_;  // empty = no adjustment
    storage::sqlite::Statement lines_, product_exists_, update_stock_, update_mark_, upsert_stock_,
        upsert_mark_;
};

}  // namespace ofbridge::worker::detail
