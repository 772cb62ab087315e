// Applies one claimed shipment request (DESIGN §3.3) inside the request's savepoint opened by
// RequestProcessor. The request is read back through the queue (RequestPayloads), the plan is the
// domain's, the rows are written by the orders feature's ShipmentRepository:
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
#include "ofbridge/orders/shipment_repository.h"
#include "ofbridge/outbox/outbox.h"
#include "ofbridge/queue/request_payloads.h"
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
    // Prepares its repositories' statements on `db`; `options` must outlive the applier.
    ShipmentApplier(storage::sqlite::Database& db, const WorkerOptions& options);

    imports::ReportCounts apply(std::int64_t request_id, const std::string& now_text,
                                imports::ImportLog& log);

private:
    const WorkerOptions& options_;
    queue::RequestPayloads payloads_;
    orders::ShipmentRepository shipments_;
    outbox::OutboxRepository outbox_;  // magento2 stores: the ship calls to make
};

}  // namespace ofbridge::worker::detail
