// Orders of the local target. Ways in: `ofbridge orders import FILE` and POST /api/v1/orders,
// both with Magento's REST order JSON (the shape GET /V1/orders/{id} returns): one order, or
// {"items": [order, ...]}. An import is validated whole before anything is written. The CLI
// writes it in one transaction; `serve` in slices of whole orders (below). Re-importing an order
// (same increment_id) replaces its header and items but keeps what the broker itself changed
// (qty_shipped from applied shipments, export_status) unless the document says more was shipped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

namespace ofbridge::storage {
class Writer;
namespace sqlite {
class Database;
}
}  // namespace ofbridge::storage

namespace ofbridge::orders {

struct OrderItem {
    std::int64_t item_id = 0;
    std::optional<std::int64_t> parent_item_id;
    std::string sku;
    std::string name;
    std::string product_type = "simple";
    std::int64_t qty_ordered = 0;
    std::int64_t qty_invoiced = 0;
    std::int64_t qty_shipped = 0;
    std::int64_t qty_canceled = 0;
    std::string price = "0";
};

struct Order {
    std::string increment_id;
    std::optional<std::int64_t> entity_id;
    std::string store_code = "default";
    std::string state;   // Magento state: new, processing, complete, closed, canceled, holded, ...
    std::string status;  // Magento status label: pending, processing, complete, ...
    std::string created_at;  // "YYYY-MM-DD HH:MM:SS" UTC
    std::string updated_at;
    std::string customer_email;
    std::string customer_firstname;
    std::string customer_lastname;
    std::string billing_address_json = "{}";
    std::string shipping_address_json = "{}";
    std::string shipping_method;
    bool is_virtual = false;
    std::string export_status = "pending";
    std::vector<OrderItem> items;
    std::string raw_json;
};

class OrderImportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;  // message names the order and field
};

// Bounds on one document (DESIGN §4.2: every input is bounded). A Magento search-result page
// is far below both.
inline constexpr std::size_t max_orders_per_document = 10000;
inline constexpr std::size_t max_items_per_order = 1000;

// Parses and validates a whole document (one order or {"items": [...]}, the shape of Magento's
// GET /V1/orders search result; total_count and search_criteria are ignored, as are all keys
// this store does not keep). Nesting is limited to 32 levels. Throws OrderImportError:
//   invalid JSON: <parser message>
//   document: expected an order (with increment_id) or {"items": [orders]}
//   order <n> (<increment_id>): <field>: <problem>, e.g.
//   order 2 (000000012): items[1].qty_ordered: expected a whole number, got "1.5"
// where <n> counts orders from 1 and items[i] is the 0-based JSON index; before the
// increment_id is known the parenthesis is left out ("order 3: increment_id: required").
std::vector<Order> parse_orders_json(std::string_view json, const std::string& store_code);

struct ImportSummary {
    std::size_t created = 0;
    std::size_t updated = 0;
};

// The CLI's way (`ofbridge orders import`, also beside a running broker): writes the orders on a
// connection of its own in one BEGIN IMMEDIATE transaction (creating/migrating the database if
// needed; takes turns with a broker's writer on SQLite's write lock, waiting up to 10 s). A new
// increment_id is inserted with its export_status; a known one gets its header replaced
// (export_status kept) and its items upserted, each item's qty_shipped being the larger of the
// stored and the imported value; items the document no longer lists are removed unless the broker
// has shipped some of them, which refuses the import (OrderImportError). Any failure leaves the
// database unchanged. Throws OrderImportError for invalid orders, SqliteError (naming the path) for
// storage errors.
ImportSummary import_orders(const std::filesystem::path& db_path, const std::vector<Order>& orders);

// What an import through the writer came to: the summary; the OrderImportError that refused it
// (nothing written); or the storage error (nothing written, the client may retry).
using ImportResult = std::variant<ImportSummary, OrderImportError, std::error_code>;

// `serve`'s way (POST /api/v1/orders): the same import as a sliced job on the broker's one writer
// (DESIGN §7, storage/writer.h), so it never opens a second write connection and never holds the
// write transaction for more than one slice: each slice writes whole orders, in document order
// (at most [storage] slice_rows, fewer once batch_budget is spent), and commits with the acks
// that came in meanwhile. `done` runs on the writer's or WAL sync thread once the last slice is
// durable (every order of the document is then on disk), or with why not. A document that fits
// one slice is all or nothing, as before. A bigger one that fails part-way (a refusal only the
// stored rows reveal, such as dropping an item that has units shipped, or a storage error) keeps
// the slices committed before the failing one: the refusal's message says how many orders of the
// document were imported, and since an import is an upsert by increment_id, sending the
// (corrected) document again converges; nothing is ever answered as a success before every
// order is durable. Throws OrderImportError at once for a missing or duplicated increment_id.
void import_orders(storage::Writer& writer, std::vector<Order> orders,
                   std::function<void(ImportResult)> done);

// What upsert_pulled_order did with one order.
enum class PulledOrder { created, changed, unchanged };

// The Magento pull's way (src/magento/pull.cpp): one order written inside the caller's
// transaction (on the writer's connection), by the same rules as an import. An order whose stored
// updated_at equals the document's is unchanged and not written (the pull's overlapping windows
// read it again). Throws OrderImportError when the stored rows refuse it (items dropped that have
// units shipped); the caller rolls its savepoint back.
PulledOrder upsert_pulled_order(storage::sqlite::Database& db, const Order& order);

struct OrderFilter {
    std::optional<std::string> status;
    std::size_t limit = 50;  // 0 = all
};

// The console's narrowing of a list: an export status, and a keyset page: only orders listed
// after this increment_id (newest first by created_at, then id); an unknown one lists nothing.
struct OrderPage {
    std::optional<std::string> export_status;
    std::optional<std::string> after_order;
};

// Read-only view of the orders (admin CLI / API). One connection; calls from several threads
// take turns.
class OrderReader {
public:
    explicit OrderReader(
        const std::filesystem::path& db_path);  // read-only; throws naming the path
    ~OrderReader();
    OrderReader(const OrderReader&) = delete;
    OrderReader& operator=(const OrderReader&) = delete;

    std::optional<Order> get(const std::string& increment_id) const;
    std::vector<Order> list(const OrderFilter& filter) const;  // newest first, items included
    std::vector<Order> list(const OrderFilter& filter, const OrderPage& page) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::orders
