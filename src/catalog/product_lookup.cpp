// ProductLookup: one prepared point query on products (see product_lookup.h).
#include "ofbridge/catalog/product_lookup.h"

namespace ofbridge::catalog {

ProductLookup::ProductLookup(storage::sqlite::Database& db)
    : exists_(db, "SELECT 1 FROM products WHERE sku = ?1") {}

bool ProductLookup::contains(std::string_view sku) {
    storage::sqlite::ResetOnExit reset(exists_);
    exists_.bind_no_copy(1, sku);
    return exists_.step();
}

}  // namespace ofbridge::catalog
