// RequestReader: read-only queries over the queue for the CLI and admin (see the header).
#include "ofbridge/queue/request_reader.h"

#include <sqlite3.h>

#include <mutex>
#include <stdexcept>

#include "ofbridge/codec/stored_inventory.h"
#include "ofbridge/domain/entity.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::queue {
namespace {

using storage::sqlite::Database;
using storage::sqlite::Statement;

constexpr std::string_view summary_columns =
    "id, entity, store_code, wire, message_key, state, line_count, deliveries, attempts, "
    "received_at";

RequestSummary read_summary(const Statement& s) {
    RequestSummary r;
    r.id = s.column_int64(0);
    r.entity = s.column_text(1);
    r.store_code = s.column_text(2);
    r.wire = s.column_text(3);
    r.message_key = s.column_text(4);
    r.state = s.column_text(5);
    r.line_count = s.column_int64(6);
    r.deliveries = s.column_int64(7);
    r.attempts = s.column_int64(8);
    r.received_at = s.column_text(9);
    return r;
}

// The first id received at or after `since` (one past the last id when none): a binary search on
// the primary key, as ids follow receipt order.
std::int64_t first_id_received_from(Database& db, const std::string& since) {
    std::int64_t low = db.query_int64("SELECT coalesce(min(id), 1) FROM requests");
    std::int64_t high = db.query_int64("SELECT coalesce(max(id), 0) FROM requests") + 1;
    Statement at(db, "SELECT received_at FROM requests WHERE id >= ?1 ORDER BY id LIMIT 1");
    while (low < high) {
        const std::int64_t mid = low + (high - low) / 2;
        at.bind(1, mid);
        const bool later = !at.step() || at.column_text(0) >= since;
        at.reset();
        if (later)
            high = mid;
        else
            low = mid + 1;
    }
    return low;
}

// An inventory request's lines, in the shape `requests show` always had: expanded from its stored
// body, as the worker expands them. A done request whose body log retention removed shows the
// lines of its newest import report instead (line, SKU, source, seq, units received; the
// lastOrderExported value is not in a report), or, for a request stored before receipt stopped
// writing a row per line, those rows; `lines_from` says which.
void inventory_lines(Database& db, RequestDetail& detail, bool has_body) {
    std::string why;
    if (has_body) {
        auto expanded = codec::expand_inventory(detail.summary.wire, detail.raw_body);
        if (auto* update = std::get_if<domain::InventoryUpdate>(&expanded)) {
            std::int64_t line_no = 0;
            for (auto& l : update->lines)
                detail.lines.push_back(RequestLine{++line_no, std::move(l.sku), std::move(l.source),
                                                   l.qty, l.seq, std::move(l.last_order_exported)});
            return;
        }
        why = std::get<codec::ExpandError>(expanded).message;
    } else {
        why = "the raw body was removed by log retention";
    }
    {
        Statement s(db,
                    "SELECT l.line_no, l.reference, l.source, l.units_received, l.sequence_id,"
                    " l.report_id FROM import_lines l WHERE l.report_id = (SELECT max(id) FROM"
                    " import_reports WHERE request_id = ?1) ORDER BY l.line_no");
        s.bind(1, detail.summary.id);
        std::int64_t report = 0;
        while (s.step()) {
            detail.lines.push_back(RequestLine{
                s.column_int64(0), s.column_text(1), s.column_text(2),
                s.column_optional_int64(3).value_or(0), s.column_optional_int64(4), ""});
            report = s.column_int64(5);
        }
        if (report != 0) {
            detail.lines_from = why + "; lines from import report " + std::to_string(report) +
                                " (units received; lastOrderExported not kept there)";
            return;
        }
    }
    // Stored before receipt stopped writing a row per line (schemas/sqlite/001).
    Statement s(db,
                "SELECT line_no, sku, source, qty, seq, last_order_exported FROM inventory_lines"
                " WHERE request_id = ?1 ORDER BY line_no");
    s.bind(1, detail.summary.id);
    while (s.step()) {
        detail.lines.push_back(RequestLine{s.column_int64(0), s.column_text(1), s.column_text(2),
                                           s.column_int64(3), s.column_optional_int64(4),
                                           s.column_text(5)});
    }
    detail.lines_from = why + (detail.lines.empty() ? "; no import report or stored lines left"
                                                    : "; lines from the rows stored at receipt");
}

}  // namespace

struct RequestReader::Impl {
    explicit Impl(const std::filesystem::path& path)
        // 5: raw bodies in request_bodies.
        : db(storage::open_read_only(path, 5, "request queue",
                                     "start the broker once to upgrade it")) {}
    Database db;
    std::mutex mutex;  // one connection: queries from several threads take turns
};

RequestReader::RequestReader(const std::filesystem::path& db_path)
    : impl_(std::make_unique<Impl>(db_path)) {}

RequestReader::~RequestReader() = default;

std::vector<RequestSummary> RequestReader::list(const RequestFilter& filter) const {
    return list(filter, RequestPage{});
}

std::vector<RequestSummary> RequestReader::list(const RequestFilter& filter,
                                                const RequestPage& page) const {
    std::string sql = "SELECT " + std::string{summary_columns} + " FROM requests";
    std::string where;
    if (filter.entity) where += " entity = ?1";
    if (filter.state) where += std::string{where.empty() ? "" : " AND"} + " state = ?2";
    if (page.before_id > 0) where += std::string{where.empty() ? "" : " AND"} + " id < ?4";
    if (page.message_key) {
        where += std::string{where.empty() ? "" : " AND"} + " message_key = ?5";
        // requests_redelivery leads with entity: naming every entity lets SQLite look the key up
        // in it once per entity instead of scanning every request.
        if (!filter.entity)
            where += " AND entity IN ('inventory', 'shipment', 'product_export', 'order_export')";
    }
    if (page.received_from) where += std::string{where.empty() ? "" : " AND"} + " id >= ?6";
    if (page.received_before) where += std::string{where.empty() ? "" : " AND"} + " id < ?7";
    if (page.after_id > 0) where += std::string{where.empty() ? "" : " AND"} + " id > ?9";
    // SQLite walks the SKU's import lines (index import_lines_reference) into a sorted list of
    // request ids and reads requests by primary key in that order, so ORDER BY needs no sort.
    if (page.sku)
        where += std::string{where.empty() ? "" : " AND"} +
                 " id IN (SELECT r.request_id FROM import_lines l"
                 " JOIN import_reports r ON r.id = l.report_id WHERE l.reference = ?8)";
    if (!where.empty()) sql += " WHERE" + where;
    sql += page.oldest_first ? " ORDER BY id ASC LIMIT ?3" : " ORDER BY id DESC LIMIT ?3";

    std::lock_guard lock(impl_->mutex);
    Statement s(impl_->db, sql);
    if (filter.entity) s.bind(1, *filter.entity);
    if (filter.state) s.bind(2, *filter.state);
    if (page.before_id > 0) s.bind(4, page.before_id);
    if (page.message_key) s.bind(5, *page.message_key);
    if (page.received_from) s.bind(6, first_id_received_from(impl_->db, *page.received_from));
    if (page.received_before) s.bind(7, first_id_received_from(impl_->db, *page.received_before));
    if (page.sku) s.bind(8, *page.sku);
    if (page.after_id > 0) s.bind(9, page.after_id);
    // LIMIT -1 is SQLite for "no limit".
    s.bind(3, filter.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(filter.limit));
    std::vector<RequestSummary> out;
    while (s.step()) out.push_back(read_summary(s));
    return out;
}

std::optional<RequestDetail> RequestReader::get(std::int64_t id) const {
    std::lock_guard lock(impl_->mutex);
    auto& db = impl_->db;
    // One read transaction, so the header and its lines come from the same snapshot.
    db.exec("BEGIN");
    struct EndRead {
        Database& db;
        ~EndRead() {
            try {
                db.exec("COMMIT");
            } catch (...) {
            }
        }
    } end_read{db};

    RequestDetail detail;
    bool has_body = false;
    {
        Statement s(db, "SELECT " + std::string{summary_columns} +
                            ", reply, remote_address, last_delivered_at,"
                            " (SELECT raw_body FROM request_bodies WHERE request_id = requests.id),"
                            " last_error, applied_lines FROM requests WHERE id = ?1");
        s.bind(1, id);
        if (!s.step()) return std::nullopt;
        detail.summary = read_summary(s);
        detail.reply = s.column_text(10);
        detail.remote_address = s.column_text(11);
        detail.last_delivered_at = s.column_text(12);
        detail.raw_body = s.column_text(13);
        has_body = !s.is_null(13);
        detail.last_error = s.column_text(14);
        detail.applied_lines = s.column_int64(15);
    }

    const auto entity = domain::entity_from_string(detail.summary.entity);
    if (entity == domain::Entity::inventory) {
        inventory_lines(db, detail, has_body);
    } else if (entity == domain::Entity::shipment) {
        {
            Statement s(db,
                        "SELECT order_increment_id, comment, email, include_comment, courier_name,"
                        " service_name, date_shipped, message_seq_id FROM shipment_requests"
                        " WHERE request_id = ?1");
            s.bind(1, id);
            if (s.step()) {
                const auto flag = [&](int column) {
                    return std::string{s.column_int64(column) != 0 ? "true" : "false"};
                };
                detail.fields = {
                    {"order_increment_id", s.column_text(0)},
                    {"comment", s.column_text(1)},
                    {"email", flag(2)},
                    {"include_comment", flag(3)},
                    {"courier_name", s.column_text(4)},
                    {"service_name", s.column_text(5)},
                    {"date_shipped", s.column_text(6)},
                    {"message_seq_id",
                     s.is_null(7) ? std::string{} : std::to_string(s.column_int64(7))},
                };
            }
        }
        {
            Statement s(db,
                        "SELECT line_no, sku, source, qty FROM shipment_items WHERE request_id = ?1"
                        " ORDER BY line_no");
            s.bind(1, id);
            while (s.step()) {
                detail.lines.push_back(RequestLine{s.column_int64(0),
                                                   s.column_text(1),
                                                   s.column_text(2),
                                                   s.column_int64(3),
                                                   std::nullopt,
                                                   {}});
            }
        }
        {
            Statement s(db,
                        "SELECT tracking_number FROM shipment_tracks WHERE request_id = ?1"
                        " ORDER BY line_no");
            s.bind(1, id);
            while (s.step()) detail.tracking_numbers.push_back(s.column_text(0));
        }
    } else if (entity == domain::Entity::product_export || entity == domain::Entity::order_export) {
        Statement s(db, "SELECT entity, reference FROM export_acks WHERE request_id = ?1");
        s.bind(1, id);
        if (s.step())
            detail.fields = {{"entity", s.column_text(0)}, {"reference", s.column_text(1)}};
    }
    return detail;
}

QueueStats RequestReader::queue_stats() const {
    std::lock_guard lock(impl_->mutex);
    QueueStats stats;
    // One indexed range count per state (requests_state), never a scan of the done history.
    Statement count(impl_->db, "SELECT count(*) FROM requests WHERE state = ?1");
    const auto count_of = [&](std::string_view state) {
        count.bind(1, state);
        count.step();
        const auto n = count.column_int64(0);
        count.reset();
        return n;
    };
    stats.pending = count_of("pending");
    stats.processing = count_of("processing");
    stats.failed = count_of("failed");
    stats.dead = count_of("dead");
    // received_at is ISO-8601 UTC text ("...Z"), which julianday() reads.
    Statement oldest(impl_->db,
                     "SELECT max(0.0, (julianday('now') - julianday(received_at)) * 86400.0)"
                     " FROM requests WHERE state = 'pending' ORDER BY id LIMIT 1");
    if (oldest.step() && !oldest.is_null(0))
        stats.oldest_pending_age_seconds = oldest.column_double(0);
    return stats;
}

std::vector<RequestSummary> RequestReader::last_per_entity() const {
    std::lock_guard lock(impl_->mutex);
    std::vector<RequestSummary> out;
    // requests_claim is (entity, state, id): the newest of an entity is the largest id over its
    // five state ranges, each found at the end of its range.
    Statement s(
        impl_->db,
        "SELECT " + std::string{summary_columns} +
            " FROM requests WHERE id = (SELECT max(m) FROM ("
            " SELECT max(id) AS m FROM requests WHERE entity = ?1 AND state = 'pending'"
            " UNION ALL SELECT max(id) FROM requests WHERE entity = ?1 AND state = 'processing'"
            " UNION ALL SELECT max(id) FROM requests WHERE entity = ?1 AND state = 'done'"
            " UNION ALL SELECT max(id) FROM requests WHERE entity = ?1 AND state = 'failed'"
            " UNION ALL SELECT max(id) FROM requests WHERE entity = ?1 AND state = 'dead'))");
    for (const auto* entity : {"inventory", "shipment", "product_export", "order_export"}) {
        s.bind(1, std::string_view{entity});
        if (s.step()) out.push_back(read_summary(s));
        s.reset();
    }
    return out;
}

std::vector<EntityActivity> RequestReader::activity_since(const std::string& since) const {
    std::lock_guard lock(impl_->mutex);
    auto& db = impl_->db;
    const std::int64_t low = first_id_received_from(db, since);
    // One range count per (entity, state) on requests_claim (entity, state, id), which covers
    // the query: the window's index entries are read, never its (much wider) rows. A day at one
    // request a second is 86,400 entries.
    Statement count(db,
                    "SELECT count(*) FROM requests WHERE entity = ?1 AND state = ?2 AND id >= ?3");
    std::vector<EntityActivity> out;
    for (const auto* entity : {"inventory", "order_export", "product_export", "shipment"}) {
        EntityActivity activity{entity, 0, 0, 0};
        for (const auto* state : {"pending", "processing", "done", "failed", "dead"}) {
            count.bind(1, std::string_view{entity}).bind(2, std::string_view{state}).bind(3, low);
            count.step();
            const auto n = count.column_int64(0);
            count.reset();
            activity.received += n;
            if (std::string_view{state} == "done") activity.applied += n;
            if (std::string_view{state} == "failed" || std::string_view{state} == "dead")
                activity.failed += n;
        }
        // As before: an entity with nothing in the window is not listed.
        if (activity.received > 0) out.push_back(std::move(activity));
    }
    return out;
}

}  // namespace ofbridge::queue
