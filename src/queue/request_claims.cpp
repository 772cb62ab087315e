// RequestClaims: the queue's state transitions on `requests` (see the header for the state
// machine and why leases do not trust the clock that wrote them).
#include "ofbridge/queue/request_claims.h"

#include <algorithm>
#include <stdexcept>

#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/time_format.h"

namespace ofbridge::queue {
namespace {

using storage::sqlite::Database;
using storage::sqlite::ResetOnExit;
using storage::sqlite::Statement;

// The entities the worker applies, as spelled in requests.entity.
constexpr std::string_view inventory_entity = "inventory";
constexpr std::string_view shipment_entity = "shipment";
constexpr std::string_view product_export_entity = "product_export";
constexpr std::string_view order_export_entity = "order_export";

// One arm per (entity, state) range of requests_claim (entity, state, id): each arm is already
// in id order, so SQLite merges them and LIMIT stops the merge early; a long backlog is never
// sorted as a whole. (entity IN (...) would need a sort.) ?3 is now + retry_max and ?4 now +
// lease: anything later was set by a clock that ran ahead (see the header).
std::string claimable_sql() {
    std::string sql;
    for (const auto entity :
         {inventory_entity, shipment_entity, product_export_entity, order_export_entity}) {
        const std::string e = "'" + std::string{entity} + "'";
        for (const auto* condition :
             {" AND state = 'pending'",
              " AND state = 'failed' AND (next_attempt_at <= ?1 OR next_attempt_at > ?3)",
              " AND state = 'processing' AND (lease_expires_at <= ?1 OR lease_expires_at > ?4)"}) {
            if (!sql.empty()) sql += " UNION ALL ";
            sql +=
                "SELECT id, entity, state, attempts, applied_lines FROM requests WHERE entity = " +
                e + condition;
        }
    }
    return sql + " ORDER BY id LIMIT ?2";
}

// base * 2^(attempts-1), capped at retry_max, rounded up to whole seconds (next_attempt_at is
// in unix seconds).
std::int64_t retry_delay_seconds(const LeasePolicy& policy, std::int64_t attempts) {
    auto delay = policy.retry_base;
    for (std::int64_t i = 1; i < attempts && delay < policy.retry_max; ++i) delay *= 2;
    delay = std::min(delay, policy.retry_max);
    return (delay.count() + 999) / 1000;
}

// The furthest ahead a correct clock ever sets next_attempt_at: now + this.
std::int64_t max_retry_delay_seconds(const LeasePolicy& policy) {
    return (std::max(policy.retry_max, policy.retry_base).count() + 999) / 1000;
}

std::string iso_of_unix(std::int64_t seconds) {
    return storage::format_utc_millis(
        std::chrono::system_clock::time_point{std::chrono::seconds{seconds}});
}

}  // namespace

bool is_applied_entity(std::string_view entity) {
    return entity == inventory_entity || entity == shipment_entity ||
           entity == product_export_entity || entity == order_export_entity;
}

struct RequestClaims::Statements {
    explicit Statements(Database& db)
        : claimable(db, claimable_sql()),
          claim(db,
                "UPDATE requests SET state = 'processing', claimed_by = ?2,"
                " lease_expires_at = ?3, attempts = ?4, next_attempt_at = NULL WHERE id = ?1"),
          give_up(db,
                  "UPDATE requests SET state = 'dead', claimed_by = NULL,"
                  " lease_expires_at = NULL, next_attempt_at = NULL, last_error = ?2"
                  " WHERE id = ?1"),
          holders(db,
                  "SELECT DISTINCT claimed_by FROM requests WHERE state = 'processing'"
                  " AND claimed_by IS NOT NULL"),
          release_claims(db,
                         "UPDATE requests SET lease_expires_at = ?2"
                         " WHERE state = 'processing' AND claimed_by = ?1"),
          request_state(db,
                        "SELECT entity, state, claimed_by, lease_expires_at, attempts,"
                        " EXISTS (SELECT 1 FROM request_bodies WHERE request_id = requests.id),"
                        " applied_lines FROM requests WHERE id = ?1"),
          next_event(db,
                     "SELECT min(t) FROM ("
                     " SELECT min(next_attempt_at) AS t FROM requests"
                     " WHERE entity IN ('inventory', 'shipment', 'product_export', 'order_export')"
                     " AND state = 'failed'"
                     " UNION ALL SELECT min(lease_expires_at) FROM requests"
                     " WHERE entity IN ('inventory', 'shipment', 'product_export', 'order_export')"
                     " AND state = 'processing')"),
          // Only while this holder still holds the claim: one whose lease expired and was taken
          // over must not overwrite the new holder's work.
          mark_done(
              db,
              "UPDATE requests SET state = 'done', claimed_by = NULL,"
              " lease_expires_at = NULL, next_attempt_at = NULL, last_error = NULL,"
              " applied_lines = 0 WHERE id = ?1 AND claimed_by = ?2 AND state = 'processing'"),
          record_slice(db,
                       "UPDATE requests SET applied_lines = ?3, lease_expires_at = ?4"
                       " WHERE id = ?1 AND claimed_by = ?2 AND state = 'processing'"),
          mark_failed(db,
                      "UPDATE requests SET state = ?3, next_attempt_at = ?4, last_error = ?5,"
                      " claimed_by = NULL, lease_expires_at = NULL"
                      " WHERE id = ?1 AND claimed_by = ?2 AND state = 'processing'") {}

    Statement claimable, claim, give_up, holders, release_claims, request_state, next_event;
    Statement mark_done, record_slice, mark_failed;
};

RequestClaims::RequestClaims(Database& db, LeasePolicy policy, std::string holder)
    : db_(db),
      policy_(policy),
      holder_(std::move(holder)),
      statements_(std::make_unique<Statements>(db)) {}

RequestClaims::~RequestClaims() = default;

ClaimBatch RequestClaims::claim(std::int64_t now_s, std::size_t limit) {
    auto& st = *statements_;
    ClaimBatch batch;
    std::vector<ClaimedRequest> candidates;
    {
        ResetOnExit reset(st.claimable);
        st.claimable.bind(1, now_s)
            .bind(2, limit)
            .bind(3, now_s + max_retry_delay_seconds(policy_))
            .bind(4, now_s + policy_.lease.count());
        while (st.claimable.step()) {
            candidates.push_back(
                ClaimedRequest{st.claimable.column_int64(0), st.claimable.column_text(1),
                               st.claimable.column_int64(3), st.claimable.column_text(2),
                               st.claimable.column_int64(4)});
        }
    }
    for (auto& candidate : candidates) {
        if (candidate.previous_state == "processing" &&
            candidate.attempts >= static_cast<std::int64_t>(policy_.max_attempts)) {
            ResetOnExit reset(st.give_up);
            st.give_up.bind(1, candidate.id)
                .bind(2, "lease expired " + std::to_string(candidate.attempts) +
                             " times (the worker holding it stopped); gave up")
                .run();
            batch.given_up.push_back(candidate.id);
            continue;
        }
        candidate.attempts += 1;
        ResetOnExit reset(st.claim);
        st.claim.bind(1, candidate.id)
            .bind(2, holder_)
            .bind(3, now_s + policy_.lease.count())
            .bind(4, candidate.attempts)
            .run();
        batch.requests.push_back(std::move(candidate));
    }
    return batch;
}

std::vector<std::pair<std::string, std::int64_t>> RequestClaims::release_claims_of(
    const std::function<bool(std::string_view holder)>& gone, std::int64_t now_s) {
    auto& st = *statements_;
    std::vector<std::string> gone_holders;
    {
        ResetOnExit reset(st.holders);
        while (st.holders.step()) {
            auto holder = st.holders.column_text(0);
            if (gone(holder)) gone_holders.push_back(std::move(holder));
        }
    }
    std::vector<std::pair<std::string, std::int64_t>> counts;
    for (auto& holder : gone_holders) {
        ResetOnExit reset(st.release_claims);
        st.release_claims.bind(1, holder).bind(2, now_s).run();
        counts.emplace_back(std::move(holder), db_.changes());
    }
    return counts;
}

ClaimedRequest RequestClaims::claim_for_reprocess(std::int64_t request_id, std::int64_t now_s) {
    auto& st = *statements_;
    ClaimedRequest claimed;
    claimed.id = request_id;
    {
        ResetOnExit reset(st.request_state);
        st.request_state.bind(1, request_id);
        if (!st.request_state.step())
            throw std::runtime_error("request " + std::to_string(request_id) + " does not exist");
        claimed.entity = st.request_state.column_text(0);
        claimed.previous_state = st.request_state.column_text(1);
        const std::string holder = st.request_state.column_text(2);
        const auto lease = st.request_state.column_optional_int64(3);
        claimed.attempts = st.request_state.column_int64(4);
        claimed.applied_lines = st.request_state.column_int64(6);  // a failed or dead run resumes
        if (!is_applied_entity(claimed.entity))
            throw std::runtime_error("request " + std::to_string(request_id) + " is a(n) " +
                                     claimed.entity +
                                     " request; only inventory and shipment requests are "
                                     "processed by the worker");
        // Live unless expired, or set by a clock that ran ahead (see the header).
        if (claimed.previous_state == "processing" && lease && *lease > now_s &&
            *lease <= now_s + policy_.lease.count())
            throw std::runtime_error("request " + std::to_string(request_id) +
                                     " is being processed by " + holder + " until " +
                                     iso_of_unix(*lease));
        // An inventory request's lines are expanded from its stored body; a done request's body
        // is removed by log retention after [retention] bodies_days, and then it cannot be
        // applied again (its shipment and export-ack rows are kept, so those can).
        if (claimed.entity == "inventory" && st.request_state.column_int64(5) == 0)
            throw std::runtime_error(
                "request " + std::to_string(request_id) +
                " cannot be reprocessed: its raw body was removed by log retention"
                " ([retention] bodies_days), and an inventory request's lines are read from it");
    }
    // A dead request has used up its attempts; an operator's reprocess gives it a fresh count
    // (attempt 1), so a failure now is retried again with the normal backoff.
    claimed.attempts = claimed.previous_state == "dead" ? 1 : claimed.attempts + 1;
    ResetOnExit reset(st.claim);
    st.claim.bind(1, request_id)
        .bind(2, holder_)
        .bind(3, now_s + policy_.lease.count())
        .bind(4, claimed.attempts)
        .run();
    return claimed;
}

bool RequestClaims::mark_done(std::int64_t request_id) {
    auto& s = statements_->mark_done;
    ResetOnExit reset(s);
    s.bind(1, request_id).bind(2, holder_).run();
    return db_.changes() > 0;
}

bool RequestClaims::record_slice(std::int64_t request_id, std::int64_t applied_lines,
                                 std::int64_t now_s) {
    auto& s = statements_->record_slice;
    ResetOnExit reset(s);
    s.bind(1, request_id)
        .bind(2, holder_)
        .bind(3, applied_lines)
        .bind(4, now_s + policy_.lease.count())
        .run();
    return db_.changes() > 0;
}

std::string RequestClaims::mark_failed(const ClaimedRequest& request, std::int64_t now_s,
                                       const std::string& error) {
    const bool give_up = request.attempts >= static_cast<std::int64_t>(policy_.max_attempts);
    std::string state = give_up ? "dead" : "failed";
    auto& s = statements_->mark_failed;
    ResetOnExit reset(s);
    s.bind(1, request.id).bind(2, holder_).bind(3, state);
    if (give_up)
        s.bind_null(4);
    else
        s.bind(4, now_s + retry_delay_seconds(policy_, request.attempts));
    s.bind(5, error).run();
    if (db_.changes() == 0) return {};
    return state;
}

std::optional<std::int64_t> RequestClaims::next_scheduled_event() {
    auto& s = statements_->next_event;
    ResetOnExit reset(s);
    if (!s.step() || s.is_null(0)) return std::nullopt;
    return s.column_int64(0);
}

}  // namespace ofbridge::queue
