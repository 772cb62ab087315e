// The import log's write side: one report header per processed request and one line per SKU
// line (inventory) or per shipment request (shipment), in import_reports / import_lines
// (schemas/sqlite/002). The worker's appliers write through it inside the request's savepoint,
// so the report commits or rolls back with everything else. Its statements are prepared once,
// on the connection it is given, and used by that connection's one thread.
//
// Lines are kept compact: a message that is the standard text of its result (standard_message
// below, e.g. "Product quantity updated to 12." of a Success line, rebuilt from its final_qty)
// is stored as '' and rendered by the reader, so the commonest line carries no text of its own.
// Lines written before schema 012 keep their full text, which reads the same.
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

// The message a line of `entity` with `result` has when nothing more is to be said, or "" when
// there is no such text (it depends on more than the line keeps, or the result has none). The
// writer stores '' for a line whose message is exactly this; the reader renders '' back with it.
std::string standard_message(std::string_view entity, std::string_view result,
                             std::optional<std::int64_t> final_qty);

class ImportLog {
public:
    explicit ImportLog(storage::sqlite::Database& db);

    // Writes the header (with the lines' results counted) and the lines, in the caller's
    // transaction.
    ReportCounts write(std::int64_t request_id, std::string_view entity,
                       const std::vector<ImportLineRecord>& lines, const std::string& now_text);

    // A report written a part at a time (a sliced apply, one part per transaction): adds
    // `lines` to report `report_id` and their results to its counts. Returns the report's
    // counts with them.
    ReportCounts append(std::int64_t report_id, std::string_view entity,
                        const std::vector<ImportLineRecord>& lines);

    // The id of the newest report of a request, 0 if it has none.
    std::int64_t newest_report_of(std::int64_t request_id);

private:
    void insert_lines(std::int64_t report_id, std::string_view entity,
                      const std::vector<ImportLineRecord>& lines);

    storage::sqlite::Database& db_;
    storage::sqlite::Statement insert_report_, insert_line_, add_counts_, newest_report_;
};

}  // namespace ofbridge::imports
