// Loading the local catalog (`products`): `ofbridge products import`. The catalog is what
// reject_unknown_skus checks inventory lines against; only SKU and name are kept.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ofbridge::catalog {

struct ProductRecord {
    std::string sku;
    std::string name;
};

// Adds or updates catalog products in one transaction, on a connection of its own (creating and
// migrating the database if needed; also beside a running broker, waiting up to 10 s for its
// write lock). Nothing is written when a product has an empty SKU (std::runtime_error).
void import_products(const std::filesystem::path& db_path,
                     const std::vector<ProductRecord>& products);

}  // namespace ofbridge::catalog
