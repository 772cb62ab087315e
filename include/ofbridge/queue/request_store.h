// The durable request queue's way in: enqueue, with re-delivery dedupe. A request is stored by
// a job on the one writer (storage::Writer): its row (with line_count) and its masked body in the
// group commit that takes it, in a savepoint of its own; a shipment's header, items and tracks
// and an export ack's row too. An inventory request stores no row per line: the worker and
// `requests show` expand its lines from the stored body (codec/stored_inventory.h). The callback
// runs only once that transaction is committed and the WAL holding it is fsynced
// (synchronous=full), so the caller may acknowledge; on any storage failure it runs with the error
// and nothing is acknowledged.
//
// Request states (queue/request_claims.h moves them on; here requests are only ever created in
// `pending`):
//   pending -> processing -> done
//                         -> failed -> processing (retried after next_attempt_at) | dead (gave up)
//   An expired lease (lease_expires_at) sends a `processing` request back to be claimed again.
//
// Re-delivery: a request with the same (entity, message key, SHA-256 of the masked body) as a
// stored one is not stored again; its `deliveries` counter is bumped and the stored reply is
// returned. The same key with a different body is a new request (and is logged). The hash is
// computed on the caller's thread, so the writer thread only runs SQL.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "ofbridge/domain/messages.h"
#include "ofbridge/storage/writer.h"

namespace ofbridge::queue {

struct NewRequest {
    domain::Message message;
    std::string store_code;
    std::string wire;         // "m1_soap", "m2_soap", "m2_json"
    std::string masked_body;  // raw body with secrets masked (soap::mask_secrets)
    std::string remote_address;
};

struct EnqueueResult {
    std::int64_t request_id = 0;
    bool redelivery = false;  // already stored: nothing new was created
    std::string reply;        // the reply stored with the first delivery
};

// The error_code is a storage failure (category "sqlite", value = SQLite extended result code;
// see storage/sqlite/error.h) or std::errc::operation_canceled once the writer is closed.
// Either way the request was not acknowledged.
template <typename T>
using StoreResult = std::variant<T, std::error_code>;

// The writer's counters, with the requests this store stored through it.
struct StoreStats : storage::WriterStats {
    std::uint64_t requests = 0;      // new requests stored (acknowledgeable)
    std::uint64_t redeliveries = 0;  // requests recognised as already stored
};

class RequestStore {
public:
    // Stores through `writer`, which must outlive this store.
    explicit RequestStore(storage::Writer& writer);
    ~RequestStore();  // finalizes its statements on the writer's thread
    RequestStore(const RequestStore&) = delete;
    RequestStore& operator=(const RequestStore&) = delete;

    // `done` runs on the writer or the WAL sync thread once the request is durable (or could not
    // be stored). Keep it short. After the writer closed it runs at once on the calling thread
    // with operation_canceled.
    void enqueue(NewRequest request, std::function<void(StoreResult<EnqueueResult>)> done);

    StoreStats stats() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;  // shared with the jobs in flight
};

}  // namespace ofbridge::queue
