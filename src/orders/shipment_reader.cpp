// ShipmentReader: read-only queries over shipments, their lines and tracks (see
// shipment_reader.h).
#include "ofbridge/orders/shipment_reader.h"

#include <mutex>

#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::orders {
namespace {

using storage::sqlite::Database;
using storage::sqlite::Statement;

// The migration that creates the shipments tables (schemas/sqlite/004_shipments.sql).
constexpr int shipments_schema_version = 4;

constexpr std::string_view shipment_sql =
    "SELECT s.id, o.increment_id, s.request_id, s.source, s.comment, s.notify_customer,"
    " s.include_comment, s.date_shipped, s.created_at"
    " FROM shipments s JOIN orders o ON o.id = s.order_id";

ShipmentSummary read_shipment(const Statement& s) {
    ShipmentSummary r;
    r.id = s.column_int64(0);
    r.order_increment_id = s.column_text(1);
    r.request_id = s.column_optional_int64(2);
    r.source = s.column_text(3);
    r.comment = s.column_text(4);
    r.notify_customer = s.column_int64(5) != 0;
    r.include_comment = s.column_int64(6) != 0;
    r.date_shipped = s.column_text(7);
    r.created_at = s.column_text(8);
    return r;
}

}  // namespace

struct ShipmentReader::Impl {
    explicit Impl(const std::filesystem::path& path)
        : db(storage::open_read_only(path, shipments_schema_version, "shipments",
                                     "start the broker once")) {}
    Database db;
    std::mutex mutex;  // one connection: queries from several threads take turns
};

ShipmentReader::ShipmentReader(const std::filesystem::path& db_path)
    : impl_(std::make_unique<Impl>(db_path)) {}

ShipmentReader::~ShipmentReader() = default;

std::vector<ShipmentSummary> ShipmentReader::list_shipments(
    const std::optional<std::string>& order_increment_id, std::size_t limit) const {
    return list_shipments(order_increment_id, limit, 0);
}

std::vector<ShipmentSummary> ShipmentReader::list_shipments(
    const std::optional<std::string>& order_increment_id, std::size_t limit,
    std::int64_t before_id) const {
    std::string sql{shipment_sql};
    sql += " WHERE 1";
    if (order_increment_id) sql += " AND o.increment_id = ?1";
    if (before_id > 0) sql += " AND s.id < ?3";
    sql += " ORDER BY s.id DESC";
    if (limit > 0) sql += " LIMIT ?2";
    std::lock_guard lock(impl_->mutex);
    Statement s(impl_->db, sql);
    if (order_increment_id) s.bind(1, *order_increment_id);
    if (limit > 0) s.bind(2, limit);
    if (before_id > 0) s.bind(3, before_id);
    std::vector<ShipmentSummary> out;
    while (s.step()) out.push_back(read_shipment(s));
    return out;
}

std::optional<Shipment> ShipmentReader::get_shipment(std::int64_t id) const {
    std::lock_guard lock(impl_->mutex);
    Shipment shipment;
    {
        Statement s(impl_->db, std::string{shipment_sql} + " WHERE s.id = ?1");
        s.bind(1, id);
        if (!s.step()) return std::nullopt;
        shipment.header = read_shipment(s);
    }
    {
        Statement s(impl_->db,
                    "SELECT line_no, order_item_id, sku, qty FROM shipment_lines"
                    " WHERE shipment_id = ?1 ORDER BY line_no");
        s.bind(1, id);
        while (s.step())
            shipment.lines.push_back(ShipmentLine{s.column_int64(0), s.column_int64(1),
                                                  s.column_text(2), s.column_int64(3)});
    }
    Statement s(impl_->db,
                "SELECT line_no, track_number, carrier_title FROM shipment_tracking"
                " WHERE shipment_id = ?1 ORDER BY line_no");
    s.bind(1, id);
    while (s.step())
        shipment.tracks.push_back(
            ShipmentTrack{s.column_int64(0), s.column_text(1), s.column_text(2)});
    return shipment;
}

}  // namespace ofbridge::orders
