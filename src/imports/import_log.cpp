// ImportLog: the import_reports / import_lines writes (schemas/sqlite/002), shared by the
// inventory and shipment appliers (see import_log.h).
#include "ofbridge/imports/import_log.h"

#include <stdexcept>

#include "ofbridge/storage/sqlite/database.h"

namespace ofbridge::imports {

using storage::sqlite::ResetOnExit;

namespace {

ReportCounts count_results(const std::vector<ImportLineRecord>& lines) {
    ReportCounts counts;
    for (const auto& line : lines) {
        switch (line.result) {
            case domain::LineResult::success:
                ++counts.successes;
                break;
            case domain::LineResult::duplicate:
                ++counts.duplicates;
                break;
            case domain::LineResult::superseded:
                ++counts.superseded;
                break;
            case domain::LineResult::failure:
                ++counts.failures;
                break;
        }
    }
    return counts;
}

}  // namespace

std::string standard_message(std::string_view entity, std::string_view result,
                             std::optional<std::int64_t> final_qty) {
    if (entity != "inventory") return {};
    if (result == domain::to_string(domain::LineResult::success) && final_qty)
        return domain::sequence_message(domain::LineResult::success, *final_qty, 0);
    if (result == domain::to_string(domain::LineResult::duplicate))
        return domain::sequence_message(domain::LineResult::duplicate, 0, 0);
    return {};
}

ImportLog::ImportLog(storage::sqlite::Database& db)
    : db_(db),
      insert_report_(db,
                     "INSERT INTO import_reports (request_id, entity, successes, duplicates,"
                     " superseded, failures, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
      insert_line_(db,
                   "INSERT INTO import_lines (report_id, line_no, sequence_id, reference,"
                   " source, result, message, units_received, unsent_orders_adjustment,"
                   " final_qty) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
      add_counts_(db,
                  "UPDATE import_reports SET successes = successes + ?2,"
                  " duplicates = duplicates + ?3, superseded = superseded + ?4,"
                  " failures = failures + ?5 WHERE id = ?1"
                  " RETURNING successes, duplicates, superseded, failures"),
      newest_report_(db, "SELECT max(id) FROM import_reports WHERE request_id = ?1") {}

ReportCounts ImportLog::write(std::int64_t request_id, std::string_view entity,
                              const std::vector<ImportLineRecord>& lines,
                              const std::string& now_text) {
    ReportCounts counts = count_results(lines);
    {
        ResetOnExit reset(insert_report_);
        insert_report_.bind(1, request_id)
            .bind_no_copy(2, entity)
            .bind(3, counts.successes)
            .bind(4, counts.duplicates)
            .bind(5, counts.superseded)
            .bind(6, counts.failures)
            .bind_no_copy(7, now_text)
            .run();
        counts.report_id = db_.last_insert_rowid();
    }
    insert_lines(counts.report_id, entity, lines);
    return counts;
}

ReportCounts ImportLog::append(std::int64_t report_id, std::string_view entity,
                               const std::vector<ImportLineRecord>& lines) {
    insert_lines(report_id, entity, lines);
    const ReportCounts added = count_results(lines);
    auto& s = add_counts_;
    ResetOnExit reset(s);
    s.bind(1, report_id)
        .bind(2, added.successes)
        .bind(3, added.duplicates)
        .bind(4, added.superseded)
        .bind(5, added.failures);
    if (!s.step())
        throw std::logic_error("import report " + std::to_string(report_id) + " does not exist");
    return ReportCounts{report_id, s.column_int64(0), s.column_int64(1), s.column_int64(2),
                        s.column_int64(3)};
}

std::int64_t ImportLog::newest_report_of(std::int64_t request_id) {
    auto& s = newest_report_;
    ResetOnExit reset(s);
    s.bind(1, request_id);
    if (!s.step() || s.is_null(0)) return 0;
    return s.column_int64(0);
}

void ImportLog::insert_lines(std::int64_t report_id, std::string_view entity,
                             const std::vector<ImportLineRecord>& lines) {
    auto& s = insert_line_;
    ResetOnExit reset(s);
    for (const auto& line : lines) {
        const auto result = domain::to_string(line.result);
        const bool standard = !line.message.empty() &&
                              line.message == standard_message(entity, result, line.final_qty);
        s.bind(1, report_id)
            .bind(2, line.line_no)
            .bind(3, line.sequence_id)
            .bind_no_copy(4, line.reference)
            .bind_no_copy(5, line.source)
            .bind_no_copy(6, result)
            .bind_no_copy(7, standard ? std::string_view{""} : line.message)
            .bind(8, line.units_received)
            .bind(9, line.unsent_orders_adjustment)
            .bind(10, line.final_qty)
            .run();
    }
}

}  // namespace ofbridge::imports
