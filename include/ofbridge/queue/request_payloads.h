// What a stored request carries, read back for the worker: the payload tables RequestStore wrote
// at receipt (schemas/sqlite/001), and an inventory request's lines, expanded from its stored
// body (receipt stores no row per inventory line: codec/stored_inventory.h). Statements are
// prepared once, on the connection it is given, and used by that connection's one thread. The
// worker reads bodies on a read-only connection of its own, off the writer's thread; shipments
// and export acks inside the apply transaction.
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

    // An inventory request's lines, expanded from its stored body with the widest limits
    // (codec::expand_inventory). Throws std::runtime_error saying why when the request is
    // missing, its body is gone (retention prunes the bodies of done requests only) or the body
    // no longer decodes (corrupt data: the attempt fails and is retried, never applied empty).
    domain::InventoryUpdate inventory(std::int64_t request_id);

private:
    storage::sqlite::Statement header_, items_, tracks_, ack_, body_;
};

}  // namespace ofbridge::queue
