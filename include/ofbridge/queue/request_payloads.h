// What a stored request carries, read back for the worker inside its apply transaction: the
// payload tables RequestStore wrote at receipt (schemas/sqlite/001). Statements are prepared
// once, on the connection it is given, and used by that connection's one thread.
// (An inventory request's lines are read by inventory::StockRepository, together with each
// key's high-water mark in one statement.)
#pragma once

#include <cstdint>

#include "ofbridge/domain/messages.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::queue {

class RequestPayloads {
public:
    explicit RequestPayloads(storage::sqlite::Database& db);

    // The shipment request as received: header, items and tracking numbers in line order.
    // Throws std::runtime_error when the header is missing (ingest stores it with the request
    // in one transaction, so that is corrupt data, never a guess).
    domain::ShipmentCreate shipment(std::int64_t request_id);

    // A product_export / order_export request: the entity and reference the WMS acknowledged.
    // Throws std::runtime_error when its export_acks row is missing (corrupt data, as above).
    domain::ExportAck export_ack(std::int64_t request_id);

private:
    storage::sqlite::Statement header_, items_, tracks_, ack_;
};

}  // namespace ofbridge::queue
