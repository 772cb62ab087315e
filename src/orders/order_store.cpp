// import_orders, the one writer of the orders tables outside the worker (as a job on the storage
// writer in `serve`, on a connection of its own in the CLI), and OrderReader, the read-only side
// used by the admin CLI and API (see order_store.h for the contract).
//
// The worker applies shipments to these same rows (qty_shipped) and the exporter moves
// export_status; an import must never undo either, which is why the update path below lists
// its columns explicitly and takes the larger qty_shipped.
#include "ofbridge/orders/order_store.h"

#include <sqlite3.h>

#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/sqlite/transaction.h"
#include "ofbridge/storage/time_format.h"
#include "ofbridge/storage/writer.h"

namespace ofbridge::orders {
namespace {

using storage::sqlite::Database;
using storage::sqlite::Statement;

// The migration that creates orders/order_items (schemas/sqlite/003_orders.sql).
constexpr int orders_schema_version = 3;

// A broker may be committing a batch; an import waits for it rather than failing.
constexpr std::chrono::seconds write_busy_timeout{10};

Database open_for_writing(const std::filesystem::path& path) {
    // Creates and migrates like the broker does, so orders can be loaded before the first start.
    Database db = storage::open_writable(path, 0, write_busy_timeout);
    db.exec("PRAGMA synchronous=FULL");
    db.exec("PRAGMA foreign_keys=ON");
    storage::sqlite::migrate(db, storage::embedded_migrations());
    return db;
}

// The statements one import needs, prepared once and rebound per order / item.
struct ImportStatements {
    explicit ImportStatements(Database& db)
        : find_order(db, "SELECT id FROM orders WHERE increment_id = ?1"),
          insert_order(db,
                       "INSERT INTO orders (increment_id, entity_id, store_code, state, status,"
                       " created_at, updated_at, customer_email, customer_firstname,"
                       " customer_lastname, billing_address, shipping_address, shipping_method,"
                       " is_virtual, export_status, raw_json, imported_at)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                       " ?16, ?17)"),
          // created_at and export_status are deliberately absent: the first is when the order
          // was placed, the second belongs to the exporter.
          update_order(db,
                       "UPDATE orders SET entity_id = coalesce(?2, entity_id), store_code = ?3,"
                       " state = ?4, status = ?5, updated_at = ?7, customer_email = ?8,"
                       " customer_firstname = ?9, customer_lastname = ?10, billing_address = ?11,"
                       " shipping_address = ?12, shipping_method = ?13, is_virtual = ?14,"
                       " raw_json = ?16, imported_at = ?17 WHERE id = ?18"),
          stored_items(db, "SELECT item_id, sku, qty_shipped FROM order_items WHERE order_id = ?1"),
          upsert_item(db,
                      "INSERT INTO order_items (order_id, item_id, parent_item_id, sku, name,"
                      " product_type, qty_ordered, qty_invoiced, qty_shipped, qty_canceled, price)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                      " ON CONFLICT (order_id, item_id) DO UPDATE SET"
                      " parent_item_id = excluded.parent_item_id, sku = excluded.sku,"
                      " name = excluded.name, product_type = excluded.product_type,"
                      " qty_ordered = excluded.qty_ordered, qty_invoiced = excluded.qty_invoiced,"
                      " qty_shipped = max(order_items.qty_shipped, excluded.qty_shipped),"
                      " qty_canceled = excluded.qty_canceled, price = excluded.price"),
          delete_item(db, "DELETE FROM order_items WHERE order_id = ?1 AND item_id = ?2") {}

    Statement find_order;
    Statement insert_order;
    Statement update_order;
    Statement stored_items;
    Statement upsert_item;
    Statement delete_item;
};

// Binds the header columns shared by insert_order and update_order (same parameter numbers).
void bind_header(Statement& s, const Order& o, const std::string& now) {
    s.bind(1, o.increment_id)
        .bind(2, o.entity_id)
        .bind(3, o.store_code)
        .bind(4, o.state)
        .bind(5, o.status)
        .bind(6, o.created_at)
        .bind(7, o.updated_at)
        .bind(8, o.customer_email)
        .bind(9, o.customer_firstname)
        .bind(10, o.customer_lastname)
        .bind(11, o.billing_address_json)
        .bind(12, o.shipping_address_json)
        .bind(13, o.shipping_method)
        .bind(14, o.is_virtual)
        .bind(15, o.export_status)
        .bind(16, o.raw_json)
        .bind(17, now);
}

std::string order_label(std::size_t number, const Order& o) {
    return "order " + std::to_string(number) + " (" + o.increment_id + ")";
}

struct StoredItem {
    std::string sku;
    std::int64_t qty_shipped = 0;
};

// Replaces the order's items with `o.items`, keeping the broker's qty_shipped.
void write_items(ImportStatements& st, std::int64_t order_id, const Order& o,
                 const std::string& label) {
    std::map<std::int64_t, StoredItem> stored;
    st.stored_items.bind(1, order_id);
    while (st.stored_items.step())
        stored.emplace(st.stored_items.column_int64(0),
                       StoredItem{st.stored_items.column_text(1), st.stored_items.column_int64(2)});
    st.stored_items.reset();

    std::set<std::int64_t> listed;
    for (const auto& item : o.items) {
        listed.insert(item.item_id);
        st.upsert_item.bind(1, order_id)
            .bind(2, item.item_id)
            .bind(3, item.parent_item_id)
            .bind(4, item.sku)
            .bind(5, item.name)
            .bind(6, item.product_type)
            .bind(7, item.qty_ordered)
            .bind(8, item.qty_invoiced)
            .bind(9, item.qty_shipped)
            .bind(10, item.qty_canceled)
            .bind(11, item.price)
            .run();
    }
    for (const auto& [item_id, item] : stored) {
        if (listed.contains(item_id)) continue;
        // Units already shipped cannot be forgotten: refuse rather than lose them.
        if (item.qty_shipped > 0)
            throw OrderImportError(label + ": items: item_id " + std::to_string(item_id) + " (" +
                                   item.sku + ") has " + std::to_string(item.qty_shipped) +
                                   " units shipped and cannot be removed");
        st.delete_item.bind(1, order_id).bind(2, item_id).run();
    }
}

// Duplicate or missing increment ids: refused before anything is written.
void check_increment_ids(const std::vector<Order>& orders) {
    std::set<std::string, std::less<>> seen;
    for (std::size_t i = 0; i < orders.size(); ++i) {
        if (orders[i].increment_id.empty())
            throw OrderImportError("order " + std::to_string(i + 1) + ": increment_id: required");
        if (!seen.insert(orders[i].increment_id).second)
            throw OrderImportError(order_label(i + 1, orders[i]) + ": increment_id: duplicate");
    }
}

// One order's header and items, inside the caller's transaction (or savepoint).
void write_order(Database& db, ImportStatements& st, const std::vector<Order>& orders,
                 std::size_t i, const std::string& now, ImportSummary& summary) {
    {
        const Order& o = orders[i];
        std::optional<std::int64_t> order_id;
        st.find_order.bind(1, o.increment_id);
        if (st.find_order.step()) order_id = st.find_order.column_int64(0);
        st.find_order.reset();
        if (order_id) {
            bind_header(st.update_order, o, now);
            st.update_order.bind(18, *order_id).run();
            ++summary.updated;
        } else {
            bind_header(st.insert_order, o, now);
            st.insert_order.run();
            order_id = db.last_insert_rowid();
            ++summary.created;
        }
        write_items(st, *order_id, o, order_label(i + 1, o));
    }
}

// Every order's header and items, inside the caller's transaction (or savepoint).
ImportSummary write_orders(Database& db, const std::vector<Order>& orders) {
    ImportStatements st(db);
    const std::string now = storage::format_utc_millis(std::chrono::system_clock::now());
    ImportSummary summary;
    for (std::size_t i = 0; i < orders.size(); ++i) write_order(db, st, orders, i, now, summary);
    return summary;
}

}  // namespace

ImportSummary import_orders(const std::filesystem::path& db_path,
                            const std::vector<Order>& orders) {
    check_increment_ids(orders);
    try {
        Database db = open_for_writing(db_path);
        storage::sqlite::Transaction transaction(db);  // immediate: the write lock is ours now
        const auto summary = write_orders(db, orders);
        transaction.commit();
        return summary;
    } catch (const OrderImportError&) {
        throw;
    } catch (const storage::sqlite::SqliteError&) {
        throw;  // names the path already
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot import orders into " + db_path.string() + ": " + e.what());
    }
}

PulledOrder upsert_pulled_order(Database& db, const Order& order) {
    {
        Statement stored(db, "SELECT updated_at FROM orders WHERE increment_id = ?1");
        stored.bind(1, order.increment_id);
        if (stored.step() && stored.column_text(0) == order.updated_at)
            return PulledOrder::unchanged;
    }
    ImportStatements st(db);
    const std::vector<Order> one{order};
    ImportSummary summary;
    write_order(db, st, one, 0, storage::format_utc_millis(std::chrono::system_clock::now()),
                summary);
    return summary.created > 0 ? PulledOrder::created : PulledOrder::changed;
}

void import_orders(storage::Writer& writer, std::vector<Order> orders,
                   std::function<void(ImportResult)> done) {
    check_increment_ids(orders);
    struct State {
        std::vector<Order> orders;
        std::string now;
        std::size_t next = 0;  // orders before this one are committed
        ImportSummary summary;
        std::optional<std::string> refused;  // an OrderImportError's message
    };
    auto state = std::make_shared<State>();
    state->orders = std::move(orders);
    state->now = storage::format_utc_millis(std::chrono::system_clock::now());
    storage::WriteJob job;
    // One slice's worth: the whole document is not in the transaction at once.
    job.approximate_bytes = 0;
    for (std::size_t i = 0; i < state->orders.size() && i < 500; ++i)
        job.approximate_bytes += state->orders[i].raw_json.size() + 256;
    // Whole orders per slice (see the header); a slice that fails is rolled back alone.
    job.run_slice = [state](Database& db, std::uint64_t, const storage::SliceBudget& budget) {
        ImportStatements st(db);
        const std::size_t first = state->next;
        ImportSummary slice;
        std::size_t i = first;
        try {
            for (; i < state->orders.size() && !budget.spent(i - first); ++i)
                write_order(db, st, state->orders, i, state->now, slice);
        } catch (const OrderImportError& e) {
            state->refused = e.what();
            if (first > 0)
                *state->refused += "; the " + std::to_string(first) +
                                   " order(s) before it in the document were imported, the rest"
                                   " were not: send the corrected document again";
            throw;  // the writer rolls this slice back and ends the job
        }
        state->next = i;  // only once the slice ran whole (its savepoint is released next)
        state->summary.created += slice.created;
        state->summary.updated += slice.updated;
        return storage::SliceResult{state->next == state->orders.size(), false};
    };
    // Acknowledged to a client, so answered once durable, like a request.
    job.completion = storage::Completion::durable;
    job.done = [state, done = std::move(done)](std::error_code error) {
        if (state->refused) return done(ImportResult{OrderImportError(*state->refused)});
        if (error) return done(ImportResult{error});
        done(ImportResult{state->summary});
    };
    writer.submit(std::move(job));
}

namespace {

constexpr std::string_view order_columns =
    "SELECT id, increment_id, entity_id, store_code, state, status, created_at, updated_at,"
    " customer_email, customer_firstname, customer_lastname, billing_address, shipping_address,"
    " shipping_method, is_virtual, export_status, raw_json FROM orders";

// Column 0 (the row id) is read by the caller: it finds the items.
Order read_order_row(const Statement& s) {
    Order o;
    o.increment_id = s.column_text(1);
    o.entity_id = s.column_optional_int64(2);
    o.store_code = s.column_text(3);
    o.state = s.column_text(4);
    o.status = s.column_text(5);
    o.created_at = s.column_text(6);
    o.updated_at = s.column_text(7);
    o.customer_email = s.column_text(8);
    o.customer_firstname = s.column_text(9);
    o.customer_lastname = s.column_text(10);
    o.billing_address_json = s.column_text(11);
    o.shipping_address_json = s.column_text(12);
    o.shipping_method = s.column_text(13);
    o.is_virtual = s.column_int64(14) != 0;
    o.export_status = s.column_text(15);
    o.raw_json = s.column_text(16);
    return o;
}

std::vector<OrderItem> read_items(Statement& items, std::int64_t order_id) {
    std::vector<OrderItem> out;
    items.bind(1, order_id);
    while (items.step()) {
        OrderItem item;
        item.item_id = items.column_int64(0);
        item.parent_item_id = items.column_optional_int64(1);
        item.sku = items.column_text(2);
        item.name = items.column_text(3);
        item.product_type = items.column_text(4);
        item.qty_ordered = items.column_int64(5);
        item.qty_invoiced = items.column_int64(6);
        item.qty_shipped = items.column_int64(7);
        item.qty_canceled = items.column_int64(8);
        item.price = items.column_text(9);
        out.push_back(std::move(item));
    }
    items.reset();
    return out;
}

constexpr std::string_view items_sql =
    "SELECT item_id, parent_item_id, sku, name, product_type, qty_ordered, qty_invoiced,"
    " qty_shipped, qty_canceled, price FROM order_items WHERE order_id = ?1 ORDER BY item_id";

// Runs an order query and attaches each order's items.
std::vector<Order> read_orders(Database& db, Statement& orders) {
    std::vector<std::pair<std::int64_t, Order>> rows;
    while (orders.step()) rows.emplace_back(orders.column_int64(0), read_order_row(orders));
    Statement items(db, items_sql);
    std::vector<Order> out;
    out.reserve(rows.size());
    for (auto& [id, order] : rows) {
        order.items = read_items(items, id);
        out.push_back(std::move(order));
    }
    return out;
}

}  // namespace

struct OrderReader::Impl {
    explicit Impl(const std::filesystem::path& path)
        : db(storage::open_read_only(path, orders_schema_version, "orders",
                                     "start the broker once or import orders")) {}
    Database db;
    std::mutex mutex;  // one connection: queries from several threads take turns
};

OrderReader::OrderReader(const std::filesystem::path& db_path)
    : impl_(std::make_unique<Impl>(db_path)) {}

OrderReader::~OrderReader() = default;

std::optional<Order> OrderReader::get(const std::string& increment_id) const {
    std::lock_guard lock(impl_->mutex);
    // Header and items read in one snapshot, so a concurrent import never shows a mix.
    storage::sqlite::Transaction snapshot(impl_->db, storage::sqlite::Transaction::Mode::deferred);
    Statement s(impl_->db, std::string{order_columns} + " WHERE increment_id = ?1");
    s.bind(1, increment_id);
    auto found = read_orders(impl_->db, s);
    if (found.empty()) return std::nullopt;
    return std::move(found.front());
}

std::vector<Order> OrderReader::list(const OrderFilter& filter) const {
    return list(filter, OrderPage{});
}

std::vector<Order> OrderReader::list(const OrderFilter& filter, const OrderPage& page) const {
    std::string sql{order_columns};
    sql += " WHERE 1";
    if (filter.status) sql += " AND status = ?1";
    if (page.export_status) sql += " AND export_status = ?3";
    // Keyset: a row-value comparison on (created_at, id), the order of orders_created,
    // orders_status and orders_export (whose rowid ends each entry).
    if (page.after_order)
        sql +=
            " AND (created_at, id) < (SELECT created_at, id FROM orders WHERE increment_id = ?4)";
    sql += " ORDER BY created_at DESC, id DESC";
    if (filter.limit > 0) sql += " LIMIT ?2";
    std::lock_guard lock(impl_->mutex);
    storage::sqlite::Transaction snapshot(impl_->db, storage::sqlite::Transaction::Mode::deferred);
    Statement s(impl_->db, sql);
    if (filter.status) s.bind(1, *filter.status);
    if (filter.limit > 0) s.bind(2, filter.limit);
    if (page.export_status) s.bind(3, *page.export_status);
    if (page.after_order) s.bind(4, *page.after_order);
    return read_orders(impl_->db, s);
}

}  // namespace ofbridge::orders
