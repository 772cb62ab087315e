// The worker's claim/apply engine, without threads of its own: WorkerPool runs one per thread,
// reprocess_request runs one in the calling process, and tests drive it step by step (claim with
// one processor, let the lease expire, take over with another).
//
// Where it writes (WorkerOptions::store):
//   hosted (`serve`): as tasks on the RequestStore's writer thread, inside its group commits, on
//     its one write connection (DESIGN §7). A claim is one task; an apply is one task per request.
//   standalone: a write connection of its own, each claim and each apply one BEGIN IMMEDIATE
//     transaction (the CLI's reprocess beside a running broker; tests).
//
// claim(): one short transaction in which the queue (queue::RequestClaims, which owns every
//   state transition and all SQL on `requests`) moves up to `limit` claimable inventory,
//   shipment and export-ack requests to processing with claimed_by = this worker and a fresh
//   lease, oldest id first.
// apply(): first, on the calling (worker) thread and never on the writer's, each claimed
//   inventory request's lines are expanded from its stored body (queue::RequestPayloads on a
//   read-only connection: parse, decode, validate with the widest limits; a body that no longer
//   decodes becomes that request's error). Then the claimed batch (standalone: in one
//   transaction), each request in its own savepoint, handed to the applier of its entity
//   (inventory_applier.cpp: stock levels, marks; shipment_applier.cpp: shipments, order quantities
//   and state, dedupe key; export_ack_applier.cpp: the acknowledged entity exported). Per request:
//   done (its effects plus the import report) if this worker still holds it; failed/dead (with
//   last_error and the backoff) if applying it threw; nothing at all if the lease was lost to
//   another worker. A shipment the rules refuse is `done` with a Failure line, not a retry.
//   See worker_pool.h for the state machine.
// Sliced apply (schemas/sqlite/015): an inventory request of more than slice_lines lines would
//   hold the one write transaction, and every ack waiting on it, for too long. Its lines are
//   taken in (sku, source) order and applied a few whole keys at a time, each slice in a
//   transaction of its own (hosted: a sliced job of the writer, which lets the acks submitted
//   meanwhile commit between two slices), each slice recording how far the run got
//   (applied_lines) and renewing the lease. The request is done with its last slice. A run cut
//   short (crash, lost lease, a failed slice) keeps its committed slices and resumes after them,
//   adding to the same report. A slice never splits a key, so every key is decided exactly as
//   in the whole message.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ofbridge/queue/request_claims.h"
#include "ofbridge/worker/worker_pool.h"

namespace ofbridge::worker {

// A claim and a claim batch are the queue's (queue/request_claims.h).
using ClaimedRequest = queue::ClaimedRequest;
using ClaimBatch = queue::ClaimBatch;

struct RequestOutcome {
    std::int64_t request_id = 0;
    std::string state;  // done, failed or dead; empty when the lease was lost
    // Another worker holds it now: nothing was written for it (a sliced run: nothing since its
    // last committed slice; the new holder resumes after that slice).
    bool lease_lost = false;
    std::string entity;          // inventory or shipment
    std::int64_t report_id = 0;  // done only
    std::int64_t successes = 0, duplicates = 0, superseded = 0, failures = 0;
    std::string error;  // failed/dead: what went wrong
};

class RequestProcessor {
public:
    // Opens (and if needed creates and migrates) the database. Throws std::runtime_error naming
    // the database when it cannot.
    RequestProcessor(const WorkerOptions& options, std::string worker_id);
    ~RequestProcessor();
    RequestProcessor(const RequestProcessor&) = delete;
    RequestProcessor& operator=(const RequestProcessor&) = delete;

    const std::string& worker_id() const noexcept;

    // Throws sqlite::SqliteError when the claim transaction fails (nothing was claimed).
    ClaimBatch claim(std::size_t limit);

    // Start-up recovery (WorkerOptions::claim_holder_gone): makes the claims of holders that
    // are gone claimable now instead of when their leases expire; returns how many. A no-op
    // without claim_holder_gone. Throws when the transaction fails (nothing was released).
    std::size_t release_claims_of_gone_holders();

    // Reprocess path: claims one request whatever its state, unless another worker holds a live
    // lease on it. A dead request starts again at attempt 1. Throws std::runtime_error with a
    // message for the operator (missing, held, not an inventory or shipment request).
    ClaimedRequest claim_for_reprocess(std::int64_t request_id);

    // Applies a claimed batch; returns one outcome per request, in order. Throws when a
    // transaction failed as a whole: then nothing of it is kept (standalone: of the batch;
    // hosted: of the requests in that group commit), and those requests stay claimed and are
    // retried once their leases expire.
    std::vector<RequestOutcome> apply(const std::vector<ClaimedRequest>& claimed);

    // The earliest moment a failed request becomes due or a lease expires, if any: how long an
    // idle worker may sleep without missing work that needs no notify().
    std::optional<std::chrono::system_clock::time_point> next_scheduled_event();

    // Drops the connection after an I/O-class error; the next call opens a fresh one.
    void disconnect() noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// True for SQLite errors after which a connection is not trusted again (I/O, corruption, full
// disk, ...): the worker drops it and reopens.
bool is_connection_fatal(const std::exception& error) noexcept;

}  // namespace ofbridge::worker
