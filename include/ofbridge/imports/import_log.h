// The import log's write side: one report header per processed request and one line per SKU
// line (inventory) or per shipment request (shipment), in import_reports / import_lines
// (schemas/sqlite/002). The worker's appliers write through it inside the request's savepoint,
// so the report commits or rolls back with everything else. Its statements are prepared once,
// on the connection it is given, and used by that connection's one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ofbridge/domain/sequence_policy.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::imports {

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

// What a written report holds: its row id and the lines' results counted.
struct ReportCounts {
    std::int64_t report_id = 0;
    std::int64_t successes = 0, duplicates = 0, superseded = 0, failures = 0;
};

class ImportLog {
public:
    explicit ImportLog(storage::sqlite::Database& db);

    // Writes the header (with the lines' results counted) and the lines, in the caller's
    // transaction.
    ReportCounts write(std::int64_t request_id, std::string_view entity,
                       const std::vector<ImportLineRecord>& lines, const std::string& now_text);

private:
    storage::sqlite::Database& db_;
    storage::sqlite::Statement insert_report_, insert_line_;
};

}  // namespace ofbridge::imports
