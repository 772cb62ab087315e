// Claims, leases and every state transition of a stored request: all the SQL on `requests` the
// worker needs, prepared once on one write connection (the writer's, inside a job; or a worker's
// own, inside its BEGIN IMMEDIATE). The caller owns the transaction; nothing here commits.
//
// Request states (columns of `requests`, schemas/sqlite/001):
//   pending ──claim──► processing ──mark_done──► done
//                         │  ├──lease expired (holder died)──► claimable again
//                         │  │     └──after max_attempts claims──► dead (claim gives up)
//                         │  └──holder gone (release_claims_of)──► claimable again
//                         ├──record_slice (a sliced apply's slice; lease renewed)──► processing
//                         └──mark_failed──► failed (next_attempt_at = now + backoff)
//                                             ├──next_attempt_at reached──► claimable again
//                                             └──attempts >= max_attempts──► dead
//   claim_for_reprocess: any state but a live lease ──► processing (a dead request restarts at
//   attempt 1)
// Inventory, shipment and export-ack (product_export, order_export) requests are claimed.
//
// Clock-proof: a retry time later than now + retry_max or a lease later than now + lease cannot
// have been set by a clock in step with ours; it was set by one that ran ahead (a broker whose
// clock was a day fast claims, dies, and its leases would hold for a day). It counts as due /
// expired now. Brokers sharing a database therefore use the same lease and retry_max. A claim
// taken over by mistake is harmless: mark_done and mark_failed only write while the caller still
// holds the claim.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::queue {

struct ClaimedRequest {
    std::int64_t id = 0;
    std::string entity;          // inventory or shipment
    std::int64_t attempts = 0;   // including this one
    std::string previous_state;  // pending, failed, processing (expired lease), done, dead
    // Lines a sliced apply of this request already committed (schemas/sqlite/015): the run
    // resumes after them. 0 for a request not started, not sliced, or done before.
    std::int64_t applied_lines = 0;
};

struct ClaimBatch {
    std::vector<ClaimedRequest> requests;  // ascending id
    // Expired leases of requests already claimed max_attempts times: moved to dead instead
    // (a worker died on each of them, so the request itself is the likely cause).
    std::vector<std::int64_t> given_up;
};

struct LeasePolicy {
    std::chrono::seconds lease{30};
    unsigned max_attempts = 5;
    std::chrono::milliseconds retry_base{1000};  // backoff: base * 2^(attempts-1), capped
    std::chrono::milliseconds retry_max{300'000};
};

// True for the entities the worker applies (inventory, shipment, product_export, order_export).
bool is_applied_entity(std::string_view entity);

class RequestClaims {
public:
    // Prepares its statements on `db`; claims are stamped claimed_by = `holder`.
    RequestClaims(storage::sqlite::Database& db, LeasePolicy policy, std::string holder);
    ~RequestClaims();
    RequestClaims(const RequestClaims&) = delete;
    RequestClaims& operator=(const RequestClaims&) = delete;

    // Moves up to `limit` claimable requests (pending; failed and due; processing with an
    // expired lease), oldest id first, to processing with a fresh lease.
    ClaimBatch claim(std::int64_t now_s, std::size_t limit);

    // Makes the claims of every holder `gone` says is gone claimable now; returns how many per
    // holder.
    std::vector<std::pair<std::string, std::int64_t>> release_claims_of(
        const std::function<bool(std::string_view holder)>& gone, std::int64_t now_s);

    // Claims one request whatever its state, unless another holder has a live lease on it.
    // Throws std::runtime_error with a message for the operator (missing, held, not an
    // inventory or shipment request, an inventory request whose body retention removed).
    ClaimedRequest claim_for_reprocess(std::int64_t request_id, std::int64_t now_s);

    // processing -> done; false when the claim is no longer this holder's (nothing written).
    bool mark_done(std::int64_t request_id);

    // A slice of a sliced apply committed with it: `applied_lines` lines of the run are applied,
    // and the lease is renewed from `now_s`. False when the claim is no longer this holder's
    // (nothing written).
    bool record_slice(std::int64_t request_id, std::int64_t applied_lines, std::int64_t now_s);

    // processing -> failed (retried after the backoff) or dead (attempts used up), with
    // last_error = `error`. Returns the new state, or "" when the claim is no longer this
    // holder's (nothing written).
    std::string mark_failed(const ClaimedRequest& request, std::int64_t now_s,
                            const std::string& error);

    // The earliest retry time or lease expiry of an applied entity (unix seconds), if any.
    std::optional<std::int64_t> next_scheduled_event();

private:
    struct Statements;
    storage::sqlite::Database& db_;
    LeasePolicy policy_;
    std::string holder_;
    std::unique_ptr<Statements> statements_;
};

}  // namespace ofbridge::queue
