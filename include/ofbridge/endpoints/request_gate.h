// Backpressure and deadlines for the requests that wait on the writer and the WAL syncer.
//
// Why: while the disk stalls, every acknowledged-to-be request waits for an fsync that does not
// come. Without a bound, clients that time out and retry (or many connections) pile requests up
// in memory for as long as the stall lasts. The gate bounds what is in flight and answers early:
//
//   admit(bytes) ──over max_requests or max_bytes──► refused: the caller answers 503 + Retry-After
//        │                                           at once, before anything is queued
//        ▼
//   admitted (counted) ──reply (durable, or any fault)──► answered; the first answer wins
//        │         └──deadline passed first──► 503 + Retry-After sent; the reply later is dropped
//        ▼
//   released when the request's completion is destroyed, i.e. once the writer and the syncer
//   are done with it (not when the deadline answered): memory stays bounded by what is counted.
//
// A request answered by its deadline may still become durable afterwards; its retry is then a
// re-delivery (same key and body), which the durability contract allows. Refusals and deadline
// answers are counted and logged at most 10 lines a second.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "ofbridge/http/server.h"

namespace ofbridge::endpoints {

struct RequestGateOptions {
    std::size_t max_requests = 1024;             // admitted and not yet released
    std::size_t max_bytes = 64 * 1024 * 1024;    // their request bodies
    std::chrono::milliseconds deadline{10'000};  // 0 = none
    unsigned retry_after_seconds = 1;
};

struct RequestGateStats {
    std::uint64_t admitted = 0;
    std::uint64_t refused = 0;          // over a bound: 503 at once
    std::uint64_t deadline_passed = 0;  // answered 503 at the deadline
    std::size_t pending_requests = 0;   // right now
    std::size_t pending_bytes = 0;
};

class RequestGate {
public:
    explicit RequestGate(RequestGateOptions options);
    ~RequestGate();  // stop()
    RequestGate(const RequestGate&) = delete;
    RequestGate& operator=(const RequestGate&) = delete;

    // Admits a request of `bytes`. Returns the responder to answer it through (its first answer
    // is sent, a later one dropped; at the deadline it sends timeout_reply() with Retry-After)
    // and which holds the request's share of the bound until it is destroyed. Returns an empty
    // function when the bound is reached: the request must be refused with refusal().
    http::Responder admit(std::size_t bytes, http::Responder respond,
                          std::function<http::Response()> timeout_reply);

    // Stops the deadline thread: nothing is answered at a deadline any more (call once the HTTP
    // server is gone, so no reply goes to a connection that no longer exists). Idempotent.
    void stop();

    // Adds Retry-After to a 503 built by the caller.
    http::Response with_retry_after(http::Response response) const;

    RequestGateStats stats() const;
    const RequestGateOptions& options() const noexcept { return options_; }

    struct Shared;  // the counts and deadlines; public for the implementation's ticket type

private:
    void run_deadlines();
    const RequestGateOptions options_;
    std::shared_ptr<Shared> shared_;  // also held by every admitted request's responder
    std::thread deadline_thread_;     // last: started once everything above is initialised
};

}  // namespace ofbridge::endpoints
