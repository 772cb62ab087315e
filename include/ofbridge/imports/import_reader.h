// The import log's read model: reports with their lines, as the worker wrote them, for the
// admin CLI and API. Own read-only connection, safe while a broker runs (like
// queue::RequestReader); calls from several threads take turns on it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ofbridge::imports {

struct ImportReportSummary {
    std::int64_t id = 0;
    std::int64_t request_id = 0;
    std::string entity;       // "inventory" or "shipment"
    std::string message_key;  // the request's messageSeqId
    std::int64_t successes = 0;
    std::int64_t duplicates = 0;
    std::int64_t superseded = 0;
    std::int64_t failures = 0;
    std::string created_at;  // ISO-8601 UTC
};

struct ImportLine {
    std::int64_t line_no = 0;
    std::optional<std::int64_t> sequence_id;
    std::string reference;  // the SKU (inventory) / order increment id (shipment)
    std::string source;
    std::string result;  // "Success", "Duplicate", "Superseded", "Failure"
    std::string message;
    std::optional<std::int64_t> units_received;
    std::optional<std::int64_t> unsent_orders_adjustment;
    std::optional<std::int64_t> final_qty;
    // The magento2 target's delivery of this line (filled by the caller from the outbox):
    // "" (nothing to deliver), "waiting", "delivered" or "failed" with Magento's message.
    std::string delivery;
    std::string delivery_message;
};

struct ImportReport {
    ImportReportSummary summary;
    std::vector<ImportLine> lines;
};

struct ImportFilter {
    std::optional<std::string> entity;
    std::optional<std::string> result;  // reports having at least one line with this result
    std::size_t limit = 50;             // 0 = all
};

// One import line of a SKU and source with the report and request it belongs to (the console's
// stock history).
struct StockHistoryLine {
    std::int64_t report_id = 0;
    std::int64_t request_id = 0;
    std::string message_key;
    std::string created_at;
    ImportLine line;
};

class ImportReader {
public:
    explicit ImportReader(const std::filesystem::path& db_path);  // throws naming the path
    ~ImportReader();
    ImportReader(const ImportReader&) = delete;
    ImportReader& operator=(const ImportReader&) = delete;

    // Newest first. Throws std::invalid_argument for a result that is not one of the four.
    // before_id > 0: a keyset page, only reports with a smaller id.
    std::vector<ImportReportSummary> list_imports(const ImportFilter& filter,
                                                  std::int64_t before_id = 0) const;
    std::optional<ImportReport> get_import(std::int64_t id) const;
    // The reports written for one request (one per apply, reprocesses included), oldest first.
    std::vector<std::int64_t> report_ids_of_request(std::int64_t request_id) const;
    // Every inventory import line of (sku, source), newest report first; before_report_id > 0:
    // a keyset page, only older reports. Through the import_lines_reference index (schema 009).
    std::vector<StockHistoryLine> stock_history(const std::string& sku, const std::string& source,
                                                std::int64_t before_report_id,
                                                std::size_t limit) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::imports
