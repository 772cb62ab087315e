// ExportReader: read-only queries over export_items, export_runs, export_run_lines and the
// catalog's products (see export_reader.h).
#include "ofbridge/export/export_reader.h"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>

#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/skip_scan.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::exporting {
namespace {

using storage::sqlite::Database;
using storage::sqlite::Statement;

constexpr int exports_schema_version = 7;  // schemas/sqlite/007_exports.sql

constexpr std::string_view item_columns =
    "e.entity, e.reference, e.store_code, e.status, e.version, e.attempts, e.last_error,"
    " coalesce(e.next_attempt_at, ''), e.pending_since, coalesce(e.queued_at, ''),"
    " coalesce(e.exported_at, ''), e.sent_count, e.cancel_state, e.cancel_error, e.updated_at";

ExportItemState read_item(const Statement& s, int first = 0) {
    ExportItemState e;
    e.entity = s.column_text(first + 0);
    e.reference = s.column_text(first + 1);
    e.store_code = s.column_text(first + 2);
    e.status = s.column_text(first + 3);
    e.version = s.column_int64(first + 4);
    e.attempts = s.column_int64(first + 5);
    e.last_error = s.column_text(first + 6);
    e.next_attempt_at = s.column_text(first + 7);
    e.pending_since = s.column_text(first + 8);
    e.queued_at = s.column_text(first + 9);
    e.exported_at = s.column_text(first + 10);
    e.sent_count = s.column_int64(first + 11);
    e.cancel_state = s.column_text(first + 12);
    e.cancel_error = s.column_text(first + 13);
    e.updated_at = s.column_text(first + 14);
    return e;
}

constexpr std::string_view run_columns =
    "r.id, r.store_code, r.entity, r.mode, r.operation, r.url, r.http_status, r.successes,"
    " r.duplicates, r.failures, r.duration_ms, r.error, r.started_at, r.finished_at";

ExportRun read_run(const Statement& s) {
    ExportRun r;
    r.id = s.column_int64(0);
    r.store_code = s.column_text(1);
    r.entity = s.column_text(2);
    r.mode = s.column_text(3);
    r.operation = s.column_text(4);
    r.url = s.column_text(5);
    r.http_status = s.column_int64(6);
    r.successes = s.column_int64(7);
    r.duplicates = s.column_int64(8);
    r.failures = s.column_int64(9);
    r.duration_ms = s.column_int64(10);
    r.error = s.column_text(11);
    r.started_at = s.column_text(12);
    r.finished_at = s.column_text(13);
    return r;
}

std::string product_sql() {
    return "SELECT p.sku, p.name, p.store_code, p.raw_json, p.normalised_json, p.content_hash,"
           " p.updated_at, " +
           std::string(item_columns) +
           " FROM products p JOIN export_items e ON e.entity = 'product' AND e.reference = p.sku";
}

ProductView read_product(const Statement& s) {
    ProductView p;
    p.sku = s.column_text(0);
    p.name = s.column_text(1);
    p.store_code = s.column_text(2);
    p.raw_json = s.column_text(3);
    p.normalised_json = s.column_text(4);
    p.content_hash = s.column_text(5);
    p.updated_at = s.column_text(6);
    p.export_state = read_item(s, 7);
    return p;
}

}  // namespace

// A small pool of read-only connections: each call takes one for its duration, so up to
// `connections` calls (the WMS's concurrent fetches in serve) read at once, each in its own
// snapshot. A connection is opened when all are busy and fewer than that are open; beyond it a
// call waits for one to come back. The first is opened by the constructor, so a missing or too
// old database is reported there.
struct ExportReader::Impl {
    Impl(const std::filesystem::path& p, std::size_t max)
        : path(p), max_open(std::max<std::size_t>(1, max)) {
        idle.push_back(open());
        opened = 1;
    }

    std::unique_ptr<Database> open() const {
        return std::make_unique<Database>(storage::open_read_only(
            path, exports_schema_version, "export state", "start the broker once"));
    }

    // One connection, back to the pool when the lease ends.
    class Lease {
    public:
        Lease(Impl& impl, std::unique_ptr<Database> db) : impl_(impl), db_(std::move(db)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() {
            {
                std::lock_guard lock(impl_.mutex);
                impl_.idle.push_back(std::move(db_));
            }
            impl_.returned.notify_one();
        }
        Database& operator*() const { return *db_; }

    private:
        Impl& impl_;
        std::unique_ptr<Database> db_;
    };

    Lease acquire() {
        std::unique_lock lock(mutex);
        returned.wait(lock, [&] { return !idle.empty() || opened < max_open; });
        if (!idle.empty()) {
            auto db = std::move(idle.back());
            idle.pop_back();
            return Lease(*this, std::move(db));
        }
        ++opened;  // opened outside the lock: opening takes a while
        lock.unlock();
        try {
            return Lease(*this, open());
        } catch (...) {
            lock.lock();
            --opened;
            returned.notify_one();
            throw;
        }
    }

    std::filesystem::path path;
    std::size_t max_open;
    std::mutex mutex;
    std::condition_variable returned;
    std::vector<std::unique_ptr<Database>> idle;
    std::size_t opened = 0;
};

ExportReader::ExportReader(const std::filesystem::path& db_path, std::size_t connections)
    : impl_(std::make_unique<Impl>(db_path, connections)) {}
ExportReader::~ExportReader() = default;

std::vector<ExportRun> ExportReader::list_runs(const RunFilter& filter) const {
    return list_runs(filter, 0);
}

std::vector<ExportRun> ExportReader::list_runs(const RunFilter& filter,
                                               std::int64_t before_id) const {
    std::string sql = "SELECT " + std::string(run_columns) + " FROM export_runs r WHERE 1";
    if (filter.entity) sql += " AND r.entity = ?1";
    if (filter.result) {
        if (*filter.result == "Success")
            sql += " AND r.successes > 0";
        else if (*filter.result == "Duplicate")
            sql += " AND r.duplicates > 0";
        else
            sql += " AND (r.failures > 0 OR r.error <> '')";
    }
    if (before_id > 0) sql += " AND r.id < ?3";
    sql += " ORDER BY r.id DESC";
    if (filter.limit > 0) sql += " LIMIT ?2";
    auto db = impl_->acquire();
    Statement s(*db, sql);
    if (filter.entity) s.bind(1, *filter.entity);
    if (filter.limit > 0) s.bind(2, filter.limit);
    if (before_id > 0) s.bind(3, before_id);
    std::vector<ExportRun> runs;
    while (s.step()) runs.push_back(read_run(s));
    return runs;
}

std::optional<ExportRun> ExportReader::get_run(std::int64_t id) const {
    auto db = impl_->acquire();
    Statement s(*db, "SELECT " + std::string(run_columns) +
                         ", r.request_body, r.reply_body FROM export_runs r WHERE r.id = ?1");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    auto run = read_run(s);
    run.request_body = s.column_text(14);
    run.reply_body = s.column_text(15);
    Statement lines(*db,
                    "SELECT reference, result, message FROM export_run_lines WHERE run_id = ?1"
                    " ORDER BY line_no");
    lines.bind(1, id);
    while (lines.step())
        run.lines.push_back({lines.column_text(0), lines.column_text(1), lines.column_text(2)});
    return run;
}

std::vector<ExportItemState> ExportReader::list_items(const ItemFilter& filter) const {
    std::string sql = "SELECT " + std::string(item_columns) +
                      " FROM export_items e WHERE e.entity = ?1 AND (?2 IS NULL OR e.status = ?2)"
                      " ORDER BY e.reference";
    if (filter.limit > 0) sql += " LIMIT ?3";
    auto db = impl_->acquire();
    Statement s(*db, sql);
    s.bind(1, filter.entity).bind(2, filter.status);
    if (filter.limit > 0) s.bind(3, filter.limit);
    std::vector<ExportItemState> items;
    while (s.step()) items.push_back(read_item(s));
    return items;
}

std::optional<ExportItemState> ExportReader::item(const std::string& entity,
                                                  const std::string& reference) const {
    auto db = impl_->acquire();
    Statement s(*db, "SELECT " + std::string(item_columns) +
                         " FROM export_items e WHERE e.entity = ?1 AND e.reference = ?2");
    s.bind(1, entity).bind(2, reference);
    if (!s.step()) return std::nullopt;
    return read_item(s);
}

std::optional<ProductView> ExportReader::product(const std::string& sku) const {
    auto db = impl_->acquire();
    Statement s(*db, product_sql() + " WHERE p.sku = ?1");
    s.bind(1, sku);
    if (!s.step()) return std::nullopt;
    return read_product(s);
}

std::optional<FetchedEntity> ExportReader::fetch_product(const std::string& store_code,
                                                         const std::string& sku) const {
    auto db = impl_->acquire();
    Statement s(*db,
                "SELECT p.sku, p.raw_json, e.status, e.version FROM products p"
                " JOIN export_items e ON e.entity = 'product' AND e.reference = p.sku"
                " WHERE p.sku = ?1 AND p.store_code = ?2");
    s.bind(1, sku).bind(2, store_code);
    if (!s.step()) return std::nullopt;
    return FetchedEntity{s.column_text(0), s.column_text(1), s.column_text(2), s.column_int64(3)};
}

std::optional<FetchedEntity> ExportReader::fetch_order(const std::string& store_code,
                                                       const std::string& id) const {
    const bool numeric =
        !id.empty() && id.size() <= 18 &&
        std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isdigit(c); });
    auto db = impl_->acquire();
    const std::string select =
        "SELECT o.increment_id, o.raw_json, e.status, e.version FROM orders o"
        " JOIN export_items e ON e.entity = 'order' AND e.reference = o.increment_id"
        " WHERE o.store_code = ?2 AND ";
    if (numeric) {
        Statement s(*db, select + "o.entity_id = ?1");
        s.bind(1, std::stoll(id)).bind(2, store_code);
        if (s.step())
            return FetchedEntity{s.column_text(0), s.column_text(1), s.column_text(2),
                                 s.column_int64(3)};
    }
    Statement s(*db, select + "o.increment_id = ?1");
    s.bind(1, id).bind(2, store_code);
    if (!s.step()) return std::nullopt;
    return FetchedEntity{s.column_text(0), s.column_text(1), s.column_text(2), s.column_int64(3)};
}

std::vector<ProductView> ExportReader::products(const std::optional<std::string>& export_status,
                                                std::size_t limit) const {
    std::string sql = product_sql() + " WHERE (?1 IS NULL OR e.status = ?1) ORDER BY p.sku";
    if (limit > 0) sql += " LIMIT ?2";
    auto db = impl_->acquire();
    Statement s(*db, sql);
    s.bind(1, export_status);
    if (limit > 0) s.bind(2, limit);
    std::vector<ProductView> rows;
    while (s.step()) rows.push_back(read_product(s));
    return rows;
}

std::vector<ExportQueueCount> ExportReader::queue_counts() const {
    auto db = impl_->acquire();
    // The stores by a skip scan over the index's first column: one seek per store code.
    std::vector<std::string> stores;
    storage::for_each_skip_scanned(
        *db, "SELECT min(store_code) FROM export_items WHERE store_code > ?1",
        [&stores](const std::string& store) { stores.push_back(store); });
    Statement count(*db,
                    "SELECT count(*) FROM export_items"
                    " WHERE store_code = ?1 AND entity = ?2 AND status = ?3");
    std::vector<ExportQueueCount> out;
    for (const auto* entity : {"product", "order"}) {
        ExportQueueCount c;
        c.entity = entity;
        const std::pair<const char*, std::int64_t*> states[] = {{"pending", &c.pending},
                                                                {"queued", &c.queued},
                                                                {"exported", &c.exported},
                                                                {"failed", &c.failed},
                                                                {"cancelled", &c.cancelled}};
        for (const auto& store : stores)
            for (const auto& [state, total] : states) {
                count.bind(1, store)
                    .bind(2, std::string_view{entity})
                    .bind(3, std::string_view{state});
                count.step();
                *total += count.column_int64(0);
                count.reset();
            }
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace ofbridge::exporting
