// Messages and helpers shared by the queue's store and reader tests.
#pragma once

#include <future>
#include <string>

#include "ofbridge/domain/messages.h"
#include "ofbridge/queue/request_store.h"

namespace ofbridge::queue::testing {

inline domain::InventoryUpdate inventory(std::int64_t message_seq_id, int lines) {
    domain::InventoryUpdate u;
    u.message_seq_id = message_seq_id;
    for (int i = 0; i < lines; ++i) {
        domain::InventoryLine line;
        line.sku = "sku-" + std::to_string(i);
        line.qty = 10 + i;
        line.seq = 1000 + i;
        if (i % 2 == 1) {
            line.source = "warehouse-" + std::to_string(i);
            line.last_order_exported = "2026-11-20T08:00:00Z";
        }
        u.lines.push_back(std::move(line));
    }
    return u;
}

inline domain::ShipmentCreate shipment(std::optional<std::int64_t> message_seq_id) {
    domain::ShipmentCreate s;
    s.order_increment_id = "100000042";
    s.items = {{"hdd000", 2, "default"}, {"ssd001", 1, "north"}};
    s.tracking_numbers = {"TRACK-1", "TRACK-2"};
    s.comment = "Left with neighbour";
    s.email = true;
    s.include_comment = false;
    s.courier_name = "DPD";
    s.service_name = "Next Day";
    s.date_shipped = "2026-11-22";
    s.message_seq_id = message_seq_id;
    return s;
}

inline NewRequest request(domain::Message message, std::string body = {}) {
    NewRequest r;
    if (body.empty()) body = "<body key=\"" + domain::message_key(message) + "\"/>";
    r.message = std::move(message);
    r.store_code = "default";
    r.wire = "m2_soap";
    r.masked_body = std::move(body);
    r.remote_address = "127.0.0.1";
    return r;
}

// Enqueues and waits for the writer's answer.
inline StoreResult<EnqueueResult> enqueue_and_wait(RequestStore& store, NewRequest r) {
    std::promise<StoreResult<EnqueueResult>> answer;
    auto future = answer.get_future();
    store.enqueue(std::move(r), [&answer](StoreResult<EnqueueResult> result) {
        answer.set_value(std::move(result));
    });
    return future.get();
}

inline std::error_code wait_grant(RequestStore& store, AuthGrant grant) {
    std::promise<std::error_code> answer;
    auto future = answer.get_future();
    store.save_grant(std::move(grant), [&answer](std::error_code ec) { answer.set_value(ec); });
    return future.get();
}

}  // namespace ofbridge::queue::testing
