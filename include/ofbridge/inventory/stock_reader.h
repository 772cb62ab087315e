// The stock read model: stock levels per (sku, source) as the worker applied them, for the
// admin CLI and API. Own read-only connection, safe while a broker runs; calls from several
// threads take turns on it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ofbridge::inventory {

struct StockRow {
    std::string sku;
    std::string source;
    std::int64_t qty = 0;
    bool is_in_stock = false;
    std::int64_t last_seq = 0;
    std::string updated_at;
};

class StockReader {
public:
    explicit StockReader(const std::filesystem::path& db_path);  // throws naming the path
    ~StockReader();
    StockReader(const StockReader&) = delete;
    StockReader& operator=(const StockReader&) = delete;

    // The SKU's rows by source; only `source`'s when given.
    std::vector<StockRow> stock(const std::string& sku,
                                const std::optional<std::string>& source) const;
    std::vector<StockRow> stock_list(std::size_t limit) const;  // by sku, source; 0 = all

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::inventory
