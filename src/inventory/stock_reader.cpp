// StockReader: read-only queries over stock_marks (see stock_reader.h). A key with a mark but
// no local stock (qty NULL) is not a stock level and is left out.
#include "ofbridge/inventory/stock_reader.h"

#include <mutex>

#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::inventory {
namespace {

using storage::sqlite::Database;
using storage::sqlite::Statement;

// The migration that creates stock_marks (schemas/sqlite/012_stock_marks.sql).
constexpr int stock_schema_version = 12;

// A row's stock is that of its mark (both written by one statement), so last_seq is the mark.
constexpr std::string_view stock_columns =
    "sku, source, qty, is_in_stock, high_water_seq, updated_at";

StockRow read_stock(const Statement& s) {
    return StockRow{s.column_text(0),       s.column_text(1),  s.column_int64(2),
                    s.column_int64(3) != 0, s.column_int64(4), s.column_text(5)};
}

}  // namespace

struct StockReader::Impl {
    explicit Impl(const std::filesystem::path& path)
        : db(storage::open_read_only(path, stock_schema_version, "stock levels",
                                     "start the broker once")) {}
    Database db;
    std::mutex mutex;  // one connection: queries from several threads take turns
};

StockReader::StockReader(const std::filesystem::path& db_path)
    : impl_(std::make_unique<Impl>(db_path)) {}

StockReader::~StockReader() = default;

std::vector<StockRow> StockReader::stock(const std::string& sku,
                                         const std::optional<std::string>& source) const {
    std::string sql = "SELECT " + std::string{stock_columns} +
                      " FROM stock_marks WHERE sku = ?1 AND qty IS NOT NULL";
    if (source) sql += " AND source = ?2";
    sql += " ORDER BY source";
    std::lock_guard lock(impl_->mutex);
    Statement s(impl_->db, sql);
    s.bind(1, sku);
    if (source) s.bind(2, *source);
    std::vector<StockRow> out;
    while (s.step()) out.push_back(read_stock(s));
    return out;
}

std::vector<StockRow> StockReader::stock_list(std::size_t limit) const {
    std::string sql = "SELECT " + std::string{stock_columns} +
                      " FROM stock_marks WHERE qty IS NOT NULL ORDER BY sku, source";
    if (limit > 0) sql += " LIMIT ?1";
    std::lock_guard lock(impl_->mutex);
    Statement s(impl_->db, sql);
    if (limit > 0) s.bind(1, limit);
    std::vector<StockRow> out;
    while (s.step()) out.push_back(read_stock(s));
    return out;
}

}  // namespace ofbridge::inventory
