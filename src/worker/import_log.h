// The import log writer: one report header per processed request and one line per SKU line
// (inventory) or per shipment request (shipment). Both appliers write through it, inside the
// request's savepoint, so the report commits or rolls back with everything else. Private to
// src/worker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ofbridge/domain/sequence_policy.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/worker/request_processor.h"

namespace ofbridge::worker::detail {

// One import line. Views, not copies (the inventory path writes hundreds of thousands a
// second): they must outlive the write() call.
struct ImportLineRecord {
    std::int64_t line_no = 0;
    std::optional<std::int64_t> sequence_id;
    std::string_view reference;
    std::string_view source;
    domain::LineResult result = domain::LineResult::failure;
    std::string_view message;
    std::optional<std::int64_t> units_received;
    std::optional<std::int64_t> unsent_orders_adjustment;
    std::optional<std::int64_t> final_qty;
};

class ImportLog {
public:
    explicit ImportLog(storage::sqlite::Database& db);

    // Counts the lines' results into `outcome`, writes the header and the lines; sets
    // outcome.report_id.
    void write(std::int64_t request_id, std::string_view entity,
               const std::vector<ImportLineRecord>& lines, const std::string& now_text,
               RequestOutcome& outcome);

private:
    storage::sqlite::Database& db_;
    storage::sqlite::Statement insert_report_, insert_line_;
};

}  // namespace ofbridge::worker::detail
