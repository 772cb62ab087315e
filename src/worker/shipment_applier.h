// Applies one claimed shipment request (DESIGN §3.3) inside the request's savepoint opened by
// RequestProcessor:
//   dedupe key already stored        -> Duplicate line, nothing else changes
//   order not found / plan refused   -> Failure line, nothing else changes
//   planned                          -> one shipment per source with its lines and tracks,
//                                       order_items.qty_shipped, the order's state/status
//                                       (complete or processing), the dedupe key; Success line
// Always exactly one import line (entity "shipment"). Private to src/worker.
#pragma once

#include <cstdint>
#include <string>

#include "ofbridge/domain/messages.h"
#include "ofbridge/domain/shipment_plan.h"
#include "ofbridge/imports/import_log.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/worker/worker_pool.h"

namespace ofbridge::worker::detail {

// "seq:<messageSeqId>", or without one "hash:<hex SHA-256 of the normalised request>": order id,
// items sorted by (sku, source, qty), tracking numbers in order, courier, service, comment,
// email, includeComment and dateShipped, each length-prefixed so no two requests share a text.
std::string shipment_dedupe_key(const domain::ShipmentCreate& shipment);

// "<courierName> <serviceName>" without surrounding blanks ("" when both are empty).
std::string carrier_title(const domain::ShipmentCreate& shipment);

class ShipmentApplier {
public:
    // Prepares its statements on `db`; `options` must outlive the applier.
    ShipmentApplier(storage::sqlite::Database& db, const WorkerOptions& options);

    imports::ReportCounts apply(std::int64_t request_id, const std::string& now_text,
                                imports::ImportLog& log);

private:
    domain::ShipmentCreate load_request(std::int64_t request_id);
    // nullopt when the order does not exist; `order_id` is its row id.
    std::optional<domain::OrderToShip> load_order(const std::string& increment_id,
                                                  std::int64_t& order_id);
    void write_plan(std::int64_t request_id, std::int64_t order_id,
                    const domain::ShipmentCreate& shipment, const domain::ShipmentPlan& plan,
                    const std::string& now_text);

    storage::sqlite::Database& db_;
    const WorkerOptions& options_;
    storage::sqlite::Statement header_, items_, tracks_, key_exists_, order_, order_lines_,
        insert_shipment_, insert_line_, insert_track_, add_shipped_, set_order_state_, insert_key_;
};

}  // namespace ofbridge::worker::detail
