// The shipments read model: the shipments the worker created, with their lines and tracks, for
// the admin CLI and API. Own read-only connection, safe while a broker runs; calls from several
// threads take turns on it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ofbridge::orders {

// A shipment of the local target (schemas/sqlite/004): one per source of an applied request.
struct ShipmentSummary {
    std::int64_t id = 0;
    std::string order_increment_id;
    std::optional<std::int64_t> request_id;  // empty once the request was purged
    std::string source;
    std::string comment;
    bool notify_customer = false;  // the request's `email`
    bool include_comment = false;
    std::string date_shipped;  // as the WMS sent it; "" when absent
    std::string created_at;    // ISO-8601 UTC
};

struct ShipmentLine {
    std::int64_t line_no = 0;
    std::int64_t order_item_id = 0;  // Magento item id of the line that shipped
    std::string sku;
    std::int64_t qty = 0;
};

struct ShipmentTrack {
    std::int64_t line_no = 0;
    std::string number;
    std::string carrier_title;  // "<courierName> <serviceName>"
};

struct Shipment {
    ShipmentSummary header;
    std::vector<ShipmentLine> lines;
    std::vector<ShipmentTrack> tracks;
};

class ShipmentReader {
public:
    explicit ShipmentReader(const std::filesystem::path& db_path);  // throws naming the path
    ~ShipmentReader();
    ShipmentReader(const ShipmentReader&) = delete;
    ShipmentReader& operator=(const ShipmentReader&) = delete;

    // Newest first; only the order's when `order_increment_id` is given; limit 0 = all.
    std::vector<ShipmentSummary> list_shipments(
        const std::optional<std::string>& order_increment_id, std::size_t limit) const;
    // The same, a keyset page: only shipments with an id below `before_id` (0 = from the newest).
    std::vector<ShipmentSummary> list_shipments(
        const std::optional<std::string>& order_increment_id, std::size_t limit,
        std::int64_t before_id) const;
    std::optional<Shipment> get_shipment(std::int64_t id) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::orders
