// Whether a SKU is in the local catalog (`products`, schemas/sqlite/002): what the inventory
// applier asks when reject_unknown_skus is on. The statement is prepared once, on the
// connection it is given, and used by that connection's one thread.
#pragma once

#include <string_view>

#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::catalog {

class ProductLookup {
public:
    explicit ProductLookup(storage::sqlite::Database& db);

    bool contains(std::string_view sku);

private:
    storage::sqlite::Statement exists_;
};

}  // namespace ofbridge::catalog
