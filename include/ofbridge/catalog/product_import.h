// Loading the local catalog (`products`): `ofbridge products import`. The catalog is what
// reject_unknown_skus checks inventory lines against and what the export sends to the WMS, so a
// product keeps the whole Magento document it came from (raw_json, as received) and the fields
// the export maps, in one canonical form (normalised_json) whose SHA-256 is its content hash: a
// re-import of identical content changes nothing, a changed one makes the product pending for
// export again (schemas/sqlite/007_exports.sql).
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::catalog {

struct ProductRecord {
    std::string sku;
    std::string name;
    std::string store_code = "default";
    std::string raw_json = "{}";         // the document as received (one product)
    std::string normalised_json = "{}";  // the export fields, canonical (see normalise_product)
};

class ProductImportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;  // names the product (1-based) and the field
};

// Bounds on one document (DESIGN §4.2), as for orders.
inline constexpr std::size_t max_products_per_document = 10000;

// Parses Magento's REST product shape (GET /V1/products/{sku}): one product, or
// {"items": [...]} (a search result page; other keys are ignored). Each product needs a
// non-empty "sku" string without control characters (64 bytes at most, Magento's column).
// The normalised form keeps, as strings: sku, name, price, weight, status, type_id,
// visibility, updated_at and every custom attribute with a scalar value (barcode, ean,
// tax_class_id, length, width, height, description, ...) as "attr.<code>"; keys sorted, so the
// same content always has the same text. updated_at is kept but not hashed (see content_hash).
// Throws ProductImportError: "invalid JSON: ...", "product 3: sku: required", ...
std::vector<ProductRecord> parse_products_json(std::string_view json,
                                               const std::string& store_code);

// The content hash of a normalised product: SHA-256 of its normalised_json without updated_at,
// so a re-save in Magento that changed nothing the WMS sees does not re-export.
std::string content_hash(std::string_view normalised_json);

struct ProductImportSummary {
    std::size_t created = 0;
    std::size_t changed = 0;    // content hash differs: pending for export again
    std::size_t unchanged = 0;  // identical content: nothing written but the raw document
};

// Adds or updates catalog products in one transaction, on a connection of its own (creating and
// migrating the database if needed; also beside a running broker, waiting up to 10 s for its
// write lock). Nothing is written when a product has an empty SKU (std::runtime_error).
ProductImportSummary import_products(const std::filesystem::path& db_path,
                                     const std::vector<ProductRecord>& products);

enum class ProductChange { created, changed, unchanged };

// One product written inside the caller's transaction (the Magento pull, on the writer's
// connection), by the same rules as import_products; `now` is the products.updated_at of a new or
// changed one.
ProductChange upsert_product(storage::sqlite::Database& db, const ProductRecord& product,
                             const std::string& now);

}  // namespace ofbridge::catalog
