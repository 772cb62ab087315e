// The magento2 target's transactional outbox (schemas/sqlite/008_magento.sql): what Magento must
// receive, written by the worker in the apply transaction, sent by the delivery loop
// (src/magento/delivery.cpp), which records every outcome here through the one writer.
//
// Row state:
//   (apply) --> waiting --Magento 2xx--> delivered
//                 |  ^                      |
//    5xx, 429,    |  | next_attempt_at      | newer stock value for the key, or a shipment of
//    503, timeout,|  | (capped backoff,     | its SKU delivered (MSI deducted it): waiting
//    reset, 401   v  |  Retry-After)        v
//               waiting (attempts + 1)    waiting
//                 |
//                 +--Magento 400/404--> failed (message recorded) --outbox retry--> waiting
//                                          (stock: a newer value also makes it waiting)
//
// A shipment's ship call, inside `waiting` (magento_shipments.unknown_outcome, resend_after):
//   sent --answer--> delivered / failed / waiting (unknown: no answer, 5xx, ...)
//   unknown --search finds the marker--> delivered
//   unknown --search misses--> resend_after = now + timeout_ms: searched again then
//           --misses again--> sent again (the call ran into nothing in Magento)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::outbox {

struct StockDue {
    std::int64_t id = 0;
    std::string sku;
    std::string source;  // the WMS's
    std::int64_t seq = 0;
    std::int64_t qty = 0;
    unsigned attempts = 0;
};

struct ShipmentIntent {
    std::string store_code;
    std::int64_t request_id = 0;
    std::string order_increment_id;
    std::optional<std::int64_t> order_entity_id;
    std::string source;
    std::string marker;
    std::string body;               // ship body without `arguments`
    std::vector<std::string> skus;  // what it deducts from `source`
};

struct ShipmentDue {
    std::int64_t id = 0;
    std::int64_t request_id = 0;
    std::string order_increment_id;
    std::optional<std::int64_t> order_entity_id;
    std::string source;
    std::string marker;
    std::string body;
    bool unknown_outcome = false;
    std::string resend_after;  // a search missed it: searched again then ("" = none)
    unsigned attempts = 0;
};

// The worker's writes (statements prepared once per connection) and the delivery loop's.
class OutboxRepository {
public:
    explicit OutboxRepository(storage::sqlite::Database& db);

    // The store a request came in for (requests.store_code; read, never written, here).
    std::string store_of_request(std::int64_t request_id);

    // The newest value of a key to send (an applied stock line; seq only ever rises).
    void stage_stock(std::string_view store_code, std::string_view sku, std::string_view source,
                     std::int64_t seq, std::int64_t qty, const std::string& now_text);
    std::int64_t stage_shipment(const ShipmentIntent& intent, const std::string& now_text);

    // Outcomes. Stock ones are compare-and-set on the seq sent: false when the key moved on
    // meanwhile (it stays waiting, due now, for the newer value).
    bool stock_delivered(std::int64_t id, std::int64_t seq, const std::string& now_text);
    // The same for many (id, seq sent) at once, in three set-based statements: the delivery
    // loop's common case, so its cost per line stays small. Returns the compare-and-set wins.
    std::size_t stock_delivered(const std::vector<std::pair<std::int64_t, std::int64_t>>& sent,
                                const std::string& now_text);
    bool stock_refused(std::int64_t id, std::int64_t seq, std::string_view message,
                       const std::string& now_text);
    // One more failed attempt; due again at `next_attempt_text`.
    void retry_later(std::int64_t id, std::string_view message,
                     const std::string& next_attempt_text, const std::string& now_text);
    // Set (and made durable) before every ship call: an outcome not recorded is unknown.
    void shipment_call_started(std::int64_t id, const std::string& now_text);
    // Delivered (by the reply, or found by its marker). The stock of its SKUs goes out again,
    // since Magento's MSI deducted the shipped units from the source.
    void shipment_delivered(std::int64_t id, std::optional<std::int64_t> magento_shipment_id,
                            const std::string& now_text);
    void shipment_refused(std::int64_t id, std::string_view message, const std::string& now_text);
    // A search after an unknown outcome found no shipment with the marker: the call may still
    // be running in Magento, so the row is searched again at `resend_after_text` (the first
    // miss plus the call timeout) before it is sent again.
    void shipment_not_found_yet(std::int64_t id, const std::string& resend_after_text,
                                const std::string& now_text);
    // `outbox retry ID`: a failed (or waiting) row due now; false when there is no such row.
    bool retry(std::int64_t id, const std::string& now_text);

private:
    // The delivery's statements, prepared on first use (the worker never needs them).
    storage::sqlite::Statement& prepared(std::optional<storage::sqlite::Statement>& slot,
                                         const char* sql);
    // A stock outcome that lost its compare-and-set: the key moved on meanwhile, so its newer
    // value is due now.
    void make_due_now(std::int64_t id, const std::string& now_text);

    storage::sqlite::Database& db_;
    std::optional<storage::sqlite::Statement> mark_delivered_, set_delivered_, mark_refused_,
        set_refused_, due_now_, retry_later_, batch_mark_delivered_, batch_due_now_,
        batch_set_delivered_;
    storage::sqlite::Statement store_of_request_, find_stock_, update_stock_, wake_stock_,
        insert_outbox_, insert_stock_;
};

// Selections of the delivery loop (any connection, read-only is enough).
// Stock of a key with a waiting shipment of that SKU from that source is held back.
std::vector<StockDue> select_due_stock(storage::sqlite::Database& db, std::string_view store_code,
                                       const std::string& now_text, std::size_t limit);
std::vector<ShipmentDue> select_due_shipments(storage::sqlite::Database& db,
                                              std::string_view store_code,
                                              const std::string& now_text, std::size_t limit);
// The earliest next_attempt_at of the store's waiting rows ("" = none).
std::string next_due(storage::sqlite::Database& db, std::string_view store_code);

// Admin reads.
struct OutboxRow {
    std::int64_t id = 0;
    std::string store_code;
    std::string kind;
    std::string state;
    unsigned attempts = 0;
    std::string next_attempt_at;
    std::string message;
    std::string created_at;
    std::string updated_at;
    std::string delivered_at;
    std::string reference;  // stock: the SKU; shipment: the order's increment_id
    std::string source;
    std::optional<std::int64_t> seq, qty;                         // stock
    std::optional<std::int64_t> request_id, magento_shipment_id;  // shipment
    // A shipment whose ship call had an unknown outcome and whose marker search missed: when
    // it is searched for again, and sent again only if that search misses too ("" = none).
    std::string resend_after;
};
std::vector<OutboxRow> list_outbox(storage::sqlite::Database& db, std::string_view state,
                                   std::size_t limit);
struct OutboxCounts {
    std::int64_t waiting = 0, delivered = 0, failed = 0;
};
OutboxCounts count_outbox(storage::sqlite::Database& db);

// The delivery state of an import report's lines (line_no -> state), for stores with the
// magento2 target: "waiting", "delivered" or "failed" with Magento's message. Lines that had
// nothing to deliver (not applied; local target) are absent.
struct LineDelivery {
    std::string state;
    std::string message;
};
std::map<std::int64_t, LineDelivery> delivery_of_report(storage::sqlite::Database& db,
                                                        std::int64_t report_id);

}  // namespace ofbridge::outbox
