// import_products, the one writer of the local catalog (see product_import.h).
#include "ofbridge/catalog/product_import.h"

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

void import_products(const std::filesystem::path& db_path,
                     const std::vector<ProductRecord>& products) {
    using storage::sqlite::Database;
    using storage::sqlite::Statement;
    try {
        // Creates and migrates like the broker does, so a catalog can be loaded before the first
        // start.
        Database db = storage::open_writable(db_path, 0, std::chrono::seconds(10));
        db.exec("PRAGMA synchronous=FULL");
        storage::sqlite::migrate(db, storage::embedded_migrations());
        storage::sqlite::Transaction transaction(db);
        Statement upsert(db,
                         "INSERT INTO products (sku, name, updated_at) VALUES (?1, ?2, ?3)"
                         " ON CONFLICT (sku) DO UPDATE SET name = excluded.name,"
                         " updated_at = excluded.updated_at");
        const std::string now = storage::format_utc_millis(std::chrono::system_clock::now());
        for (const auto& p : products) {
            if (p.sku.empty()) throw std::invalid_argument("a product has an empty SKU");
            upsert.bind(1, p.sku).bind(2, p.name).bind(3, now).run();
        }
        transaction.commit();
    } catch (const storage::sqlite::SqliteError&) {
        throw;  // names the path already
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot import products into " + db_path.string() + ": " +
                                 e.what());
    }
}

}  // namespace ofbridge::catalog
