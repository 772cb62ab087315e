// ImportReader: read-only queries over import_reports / import_lines (see import_reader.h).
// A summary names its request's messageSeqId, read from `requests` in the same query: the one
// column of the queue this read model shows. A line stored without its message (the standard
// text of its result, see import_log.h) gets it back here, so every document reads as written.
#include "ofbridge/imports/import_reader.h"

#include <limits>
#include <mutex>
#include <stdexcept>

#include "ofbridge/imports/import_log.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::imports {
namespace {

using storage::sqlite::Database;
using storage::sqlite::Statement;

// The migration that creates import_reports / import_lines (schemas/sqlite/002_inventory.sql).
constexpr int imports_schema_version = 2;

constexpr std::string_view summary_sql =
    "SELECT r.id, r.request_id, r.entity, coalesce(q.message_key, ''), r.successes,"
    " r.duplicates, r.superseded, r.failures, r.created_at"
    " FROM import_reports r LEFT JOIN requests q ON q.id = r.request_id";

ImportReportSummary read_summary(const Statement& s) {
    ImportReportSummary r;
    r.id = s.column_int64(0);
    r.request_id = s.column_int64(1);
    r.entity = s.column_text(2);
    r.message_key = s.column_text(3);
    r.successes = s.column_int64(4);
    r.duplicates = s.column_int64(5);
    r.superseded = s.column_int64(6);
    r.failures = s.column_int64(7);
    r.created_at = s.column_text(8);
    return r;
}

// "Has a line with result R" is the header's count for R being positive: the counts are written
// with the lines, so the filter never scans import_lines.
std::string_view count_column_for(const std::string& result) {
    if (result == "Success") return "r.successes";
    if (result == "Duplicate") return "r.duplicates";
    if (result == "Superseded") return "r.superseded";
    if (result == "Failure") return "r.failures";
    throw std::invalid_argument("unknown import line result '" + result +
                                "' (expected Success, Duplicate, Superseded or Failure)");
}

}  // namespace

struct ImportReader::Impl {
    explicit Impl(const std::filesystem::path& path)
        : db(storage::open_read_only(path, imports_schema_version, "import log",
                                     "start the broker once")) {}
    Database db;
    std::mutex mutex;  // one connection: queries from several threads take turns
};

ImportReader::ImportReader(const std::filesystem::path& db_path)
    : impl_(std::make_unique<Impl>(db_path)) {}

ImportReader::~ImportReader() = default;

std::vector<ImportReportSummary> ImportReader::list_imports(const ImportFilter& filter,
                                                            std::int64_t before_id) const {
    std::string sql{summary_sql};
    std::string where;
    if (filter.entity) where += " r.entity = ?1";
    if (filter.result) {
        if (!where.empty()) where += " AND";
        where += " " + std::string{count_column_for(*filter.result)} + " > 0";
    }
    if (before_id > 0) where += std::string{where.empty() ? "" : " AND"} + " r.id < ?3";
    if (!where.empty()) sql += " WHERE" + where;
    sql += " ORDER BY r.id DESC";
    if (filter.limit > 0) sql += " LIMIT ?2";
    std::lock_guard lock(impl_->mutex);
    Statement s(impl_->db, sql);
    if (filter.entity) s.bind(1, *filter.entity);
    if (filter.limit > 0) s.bind(2, filter.limit);
    if (before_id > 0) s.bind(3, before_id);
    std::vector<ImportReportSummary> out;
    while (s.step()) out.push_back(read_summary(s));
    return out;
}

std::optional<ImportReport> ImportReader::get_import(std::int64_t id) const {
    std::lock_guard lock(impl_->mutex);
    ImportReport report;
    {
        Statement s(impl_->db, std::string{summary_sql} + " WHERE r.id = ?1");
        s.bind(1, id);
        if (!s.step()) return std::nullopt;
        report.summary = read_summary(s);
    }
    Statement s(impl_->db,
                "SELECT line_no, sequence_id, reference, source, result, message, units_received,"
                " unsent_orders_adjustment, final_qty FROM import_lines WHERE report_id = ?1"
                " ORDER BY line_no");
    s.bind(1, id);
    while (s.step()) {
        ImportLine line;
        line.line_no = s.column_int64(0);
        line.sequence_id = s.column_optional_int64(1);
        line.reference = s.column_text(2);
        line.source = s.column_text(3);
        line.result = s.column_text(4);
        line.message = s.column_text(5);
        line.units_received = s.column_optional_int64(6);
        line.unsent_orders_adjustment = s.column_optional_int64(7);
        line.final_qty = s.column_optional_int64(8);
        if (line.message.empty())
            line.message = standard_message(report.summary.entity, line.result, line.final_qty);
        report.lines.push_back(std::move(line));
    }
    return report;
}

std::vector<std::int64_t> ImportReader::report_ids_of_request(std::int64_t request_id) const {
    std::lock_guard lock(impl_->mutex);
    // import_reports_request index.
    Statement s(impl_->db, "SELECT id FROM import_reports WHERE request_id = ?1 ORDER BY id");
    s.bind(1, request_id);
    std::vector<std::int64_t> out;
    while (s.step()) out.push_back(s.column_int64(0));
    return out;
}

std::vector<StockHistoryLine> ImportReader::stock_history(const std::string& sku,
                                                          const std::string& source,
                                                          std::int64_t before_report_id,
                                                          std::size_t limit) const {
    std::lock_guard lock(impl_->mutex);
    Statement s(impl_->db,
                "SELECT l.report_id, r.request_id, coalesce(q.message_key, ''), r.created_at,"
                " l.line_no, l.sequence_id, l.reference, l.source, l.result, l.message,"
                " l.units_received, l.unsent_orders_adjustment, l.final_qty"
                " FROM import_lines l JOIN import_reports r ON r.id = l.report_id"
                " LEFT JOIN requests q ON q.id = r.request_id"
                " WHERE l.reference = ?1 AND l.source = ?2 AND l.report_id < ?3"
                " AND r.entity = 'inventory'"
                " ORDER BY l.report_id DESC, l.line_no DESC LIMIT ?4");
    s.bind(1, sku).bind(2, source);
    s.bind(3, before_report_id > 0 ? before_report_id : std::numeric_limits<std::int64_t>::max());
    s.bind(4, static_cast<std::int64_t>(limit));
    std::vector<StockHistoryLine> out;
    while (s.step()) {
        StockHistoryLine h;
        h.report_id = s.column_int64(0);
        h.request_id = s.column_int64(1);
        h.message_key = s.column_text(2);
        h.created_at = s.column_text(3);
        h.line.line_no = s.column_int64(4);
        h.line.sequence_id = s.column_optional_int64(5);
        h.line.reference = s.column_text(6);
        h.line.source = s.column_text(7);
        h.line.result = s.column_text(8);
        h.line.message = s.column_text(9);
        h.line.units_received = s.column_optional_int64(10);
        h.line.unsent_orders_adjustment = s.column_optional_int64(11);
        h.line.final_qty = s.column_optional_int64(12);
        if (h.line.message.empty())  // inventory lines only (the WHERE above)
            h.line.message = standard_message("inventory", h.line.result, h.line.final_qty);
        out.push_back(std::move(h));
    }
    return out;
}

}  // namespace ofbridge::imports
