// Messages and helpers shared by the queue's store and reader tests (and the worker's).
#pragma once

#include <future>
#include <string>

#include "ofbridge/domain/messages.h"
#include "ofbridge/queue/request_store.h"
#include "ofbridge/storage/writer.h"

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

// The writer and a request store on it, as `serve` wires them.
class TestStore {
public:
    explicit TestStore(storage::WriterOptions options)
        : writer_(std::move(options)), requests_(writer_) {}

    void enqueue(NewRequest r, std::function<void(StoreResult<EnqueueResult>)> done) {
        requests_.enqueue(std::move(r), std::move(done));
    }
    void run_in_transaction(storage::WriterTask task, std::function<void(std::error_code)> done) {
        writer_.run_in_transaction(std::move(task), std::move(done));
    }
    void close() { writer_.close(); }
    StoreStats stats() const { return requests_.stats(); }
    storage::Writer& writer() { return writer_; }

private:
    storage::Writer writer_;
    RequestStore requests_;  // after the writer: finalizes its statements through it
};

// Enqueues and waits for the writer's answer.
template <class Store>
StoreResult<EnqueueResult> enqueue_and_wait(Store& store, NewRequest r) {
    std::promise<StoreResult<EnqueueResult>> answer;
    auto future = answer.get_future();
    store.enqueue(std::move(r), [&answer](StoreResult<EnqueueResult> result) {
        answer.set_value(std::move(result));
    });
    return future.get();
}

}  // namespace ofbridge::queue::testing
