// import_products, the one writer of the local catalog (see product_import.h). The export state
// follows from the content hash through the triggers of schemas/sqlite/007_exports.sql.
#include "ofbridge/catalog/product_import.h"

#include <boost/json.hpp>
#include <chrono>
#include <stdexcept>

#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/error.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/sqlite/transaction.h"
#include "ofbridge/storage/time_format.h"

namespace ofbridge::catalog {
namespace {

// A record built in code (no document): its export fields are its SKU and name.
std::string normalised_of(const ProductRecord& p) {
    if (p.normalised_json != "{}") return p.normalised_json;
    boost::json::object fields;
    fields["name"] = p.name;
    fields["sku"] = p.sku;
    return boost::json::serialize(fields);
}

using storage::sqlite::Database;
using storage::sqlite::Statement;

struct ProductStatements {
    explicit ProductStatements(Database& db)
        : current(db, "SELECT content_hash FROM products WHERE sku = ?1"),
          // The content columns and updated_at are written only when the hash changed, so an
          // identical re-import leaves the export state alone (only the raw document is kept).
          upsert(db,
                 "INSERT INTO products (sku, name, updated_at, store_code, raw_json,"
                 " normalised_json, content_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                 " ON CONFLICT (sku) DO UPDATE SET raw_json = excluded.raw_json,"
                 " name = excluded.name, store_code = excluded.store_code,"
                 " normalised_json = excluded.normalised_json,"
                 " updated_at = CASE WHEN content_hash = excluded.content_hash"
                 " THEN updated_at ELSE excluded.updated_at END,"
                 " content_hash = excluded.content_hash") {}
    Statement current;
    Statement upsert;
};

ProductChange upsert(ProductStatements& st, const ProductRecord& p, const std::string& now) {
    if (p.sku.empty()) throw std::invalid_argument("a product has an empty SKU");
    const auto normalised = normalised_of(p);
    const auto hash = content_hash(normalised);
    st.current.reset();
    st.current.bind(1, p.sku);
    ProductChange change = ProductChange::created;
    if (st.current.step())
        change =
            st.current.column_text(0) == hash ? ProductChange::unchanged : ProductChange::changed;
    st.current.reset();
    st.upsert.bind(1, p.sku)
        .bind(2, p.name)
        .bind(3, now)
        .bind(4, p.store_code)
        .bind(5, p.raw_json)
        .bind(6, normalised)
        .bind(7, hash)
        .run();
    return change;
}

}  // namespace

ProductChange upsert_product(storage::sqlite::Database& db, const ProductRecord& product,
                             const std::string& now) {
    ProductStatements st(db);
    return upsert(st, product, now);
}

ProductImportSummary import_products(const std::filesystem::path& db_path,
                                     const std::vector<ProductRecord>& products) {
    try {
        // Creates and migrates like the broker does, so a catalog can be loaded before the first
        // start.
        Database db = storage::open_writable(db_path, 0, std::chrono::seconds(10));
        db.exec("PRAGMA synchronous=FULL");
        storage::sqlite::migrate(db, storage::embedded_migrations());
        storage::sqlite::Transaction transaction(db);
        ProductStatements st(db);
        const std::string now = storage::format_utc_millis(std::chrono::system_clock::now());
        ProductImportSummary summary;
        for (const auto& p : products) {
            switch (upsert(st, p, now)) {
                case ProductChange::created:
                    ++summary.created;
                    break;
                case ProductChange::changed:
                    ++summary.changed;
                    break;
                case ProductChange::unchanged:
                    ++summary.unchanged;
                    break;
            }
        }
        transaction.commit();
        return summary;
    } catch (const storage::sqlite::SqliteError&) {
        throw;  // names the path already
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot import products into " + db_path.string() + ": " +
                                 e.what());
    }
}

}  // namespace ofbridge::catalog
