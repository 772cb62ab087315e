// Messages exactly as they arrived, before any validation: every leaf is the text that was on
// the wire (std::nullopt = element absent). Both decoders (pugixml for XML, Boost.JSON for the
// REST routes) produce these, and domain/validation.h turns them into checked messages, so the
// rules for numbers, pairing and required fields live in one place whatever the wire style.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ofbridge/domain/entity.h"

namespace ofbridge::domain {

using WireText = std::optional<std::string>;

// One stock level. M1 (`skusQty/item{key,value}`) fills sku and qty; M2
// (`productQtys/item{sku,qty,source?,lastOrderExported?}`) may fill all four.
struct WireQtyItem {
    WireText sku;
    WireText qty;
    WireText source;
    WireText last_order_exported;
};

// One sequence id. M1 `skusSeqId/item{key,value,lastOrderExported?}`, M2
// `productSeqs/item{sku,seq,...}`.
struct WireSeqItem {
    WireText sku;
    WireText seq;
    WireText last_order_exported;
};

// How qty items find their seq item: M1 pairs the i-th with the i-th (falling back to SKU when
// the keys disagree), M2 pairs by SKU (several qty items of one SKU share its seq).
enum class Pairing { by_position, by_sku };

struct WireInventoryUpdate {
    Pairing pairing = Pairing::by_position;
    WireText session_id;
    std::vector<WireQtyItem> qtys;
    std::vector<WireSeqItem> seqs;
    WireText message_seq_id;
};

struct WireShipmentItem {
    WireText sku;
    WireText qty;
    WireText source;
};

struct WireShipmentCreate {
    WireText session_id;
    WireText order_increment_id;
    std::vector<WireShipmentItem> items;
    std::vector<std::string> tracks;  // M2 tracks/item{trackingNumber}
    WireText comment;
    WireText email;
    WireText include_comment;
    WireText courier_name;
    WireText service_name;
    WireText tracking_number;
    WireText date_shipped;
    WireText message_seq_id;
};

// M2 `...ProductRequestManagementV1Export(reference)` /
// `...OrderRequestManagementV1Export(reference)`.
struct WireExportAck {
    Entity entity = Entity::product_export;
    WireText reference;
};

struct WireLogin {
    WireText username;
    WireText api_key;
};

struct WireEndSession {
    WireText session_id;
};

// M2 integrationAdminTokenServiceV1CreateAdminAccessToken(username, password).
struct WireCreateToken {
    WireText username;
    WireText password;
};

// The read operations of notify mode: M2 catalogProductRepositoryV1Get(sku, editMode?,
// storeId?, forceReload?) and salesOrderRepositoryV1Get(id). Answered from the store, never
// queued; the optional product parameters are accepted and have no effect.
struct WireProductGet {
    WireText sku;
};

struct WireOrderGet {
    WireText id;
};

}  // namespace ofbridge::domain
