// The backpressure bound and the deadline thread (see request_gate.h for the state machine).
#include "ofbridge/endpoints/request_gate.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "ofbridge/endpoints/log_limiter.h"

namespace ofbridge::endpoints {
namespace {

using Clock = std::chrono::steady_clock;

// One admitted request's answer: the first of its own reply and the deadline's is sent.
struct Pending {
    Pending(http::Responder r, std::function<http::Response()> t)
        : respond(std::move(r)), timeout_reply(std::move(t)) {}
    std::atomic<bool> answered{false};
    http::Responder respond;
    std::function<http::Response()> timeout_reply;
};

}  // namespace

struct RequestGate::Shared {
    std::mutex mutex;
    std::condition_variable wake;
    std::size_t pending_requests = 0;  // guarded by mutex
    std::size_t pending_bytes = 0;     // guarded by mutex
    // (deadline, id) -> the answer state, for requests not yet released.
    std::map<std::pair<Clock::time_point, std::uint64_t>, std::shared_ptr<Pending>> deadlines;
    std::uint64_t next_id = 1;
    bool stopping = false;
    std::atomic<std::uint64_t> admitted{0}, refused{0}, deadline_passed{0};
    LogLimiter refusal_log{10};
    LogLimiter deadline_log{10};

    void release(std::size_t bytes, Clock::time_point deadline, std::uint64_t id) {
        std::shared_ptr<Pending> dropped;  // destroyed outside the lock
        std::lock_guard lock(mutex);
        --pending_requests;
        pending_bytes -= bytes;
        if (auto it = deadlines.find({deadline, id}); it != deadlines.end()) {
            dropped = std::move(it->second);
            deadlines.erase(it);
        }
    }
};

namespace {

// Holds an admitted request's share of the bound; the last copy of its responder releases it.
struct Ticket {
    Ticket(std::shared_ptr<RequestGate::Shared> s, std::size_t b, Clock::time_point d,
           std::uint64_t i)
        : shared(std::move(s)), bytes(b), deadline(d), id(i) {}
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    std::shared_ptr<RequestGate::Shared> shared;
    std::size_t bytes;
    Clock::time_point deadline;
    std::uint64_t id;
    ~Ticket() { shared->release(bytes, deadline, id); }
};

}  // namespace

RequestGate::RequestGate(RequestGateOptions options)
    : options_(options), shared_(std::make_shared<Shared>()) {
    if (options_.deadline.count() > 0)
        deadline_thread_ = std::thread([this] {
            pthread_setname_np(pthread_self(), "ofb-deadline");
            run_deadlines();
        });
}

RequestGate::~RequestGate() {
    stop();
}

void RequestGate::stop() {
    {
        std::lock_guard lock(shared_->mutex);
        shared_->stopping = true;
    }
    shared_->wake.notify_all();
    if (deadline_thread_.joinable()) deadline_thread_.join();
}

http::Responder RequestGate::admit(std::size_t bytes, http::Responder respond,
                                   std::function<http::Response()> timeout_reply) {
    auto& s = *shared_;
    const auto deadline =
        options_.deadline.count() > 0 ? Clock::now() + options_.deadline : Clock::time_point::max();
    auto pending = std::make_shared<Pending>(std::move(respond), std::move(timeout_reply));
    std::uint64_t id = 0;
    std::size_t requests = 0, held = 0;
    bool earliest = false;
    {
        std::lock_guard lock(s.mutex);
        // A body bigger than the byte bound alone is admitted when nothing else waits, so it is
        // never refused for good.
        const bool over = s.pending_requests >= options_.max_requests ||
                          (s.pending_requests > 0 && s.pending_bytes + bytes > options_.max_bytes);
        requests = s.pending_requests;
        held = s.pending_bytes;
        if (!over) {
            id = s.next_id++;
            ++s.pending_requests;
            s.pending_bytes += bytes;
            if (options_.deadline.count() > 0) {
                earliest = s.deadlines.empty() || deadline < s.deadlines.begin()->first.first;
                s.deadlines.emplace(std::pair{deadline, id}, pending);
            }
        }
    }
    if (id == 0) {
        ++s.refused;
        if (const auto suppressed = s.refusal_log.admit())
            spdlog::warn(
                "backpressure: {} requests ({} bytes) wait for the writer and the disk; "
                "refusing with 503 ({} similar lines suppressed)",
                requests, held, *suppressed);
        return {};
    }
    ++s.admitted;
    if (earliest) s.wake.notify_one();
    auto ticket = std::make_shared<Ticket>(shared_, bytes, deadline, id);
    // Every 503 of an admitted request (storage failure, deadline) says when to come back.
    return [retry_after = std::to_string(options_.retry_after_seconds),
            pending = std::move(pending), ticket = std::move(ticket)](http::Response response) {
        if (pending->answered.exchange(true)) return;
        const bool has_retry_after =
            std::any_of(response.headers.begin(), response.headers.end(),
                        [](const auto& h) { return h.first == "Retry-After"; });
        if (response.status == 503 && !has_retry_after)
            response.headers.emplace_back("Retry-After", retry_after);
        pending->respond(std::move(response));
    };
}

http::Response RequestGate::with_retry_after(http::Response response) const {
    response.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
    return response;
}

void RequestGate::run_deadlines() {
    auto& s = *shared_;
    std::unique_lock lock(s.mutex);
    while (!s.stopping) {
        if (s.deadlines.empty()) {
            s.wake.wait(lock);
            continue;
        }
        const auto next = s.deadlines.begin()->first.first;
        if (Clock::now() < next) {
            s.wake.wait_until(lock, next);
            continue;
        }
        // Everything due: answered outside the lock (a responder may take its time).
        std::vector<std::shared_ptr<Pending>> due;
        const auto now = Clock::now();
        while (!s.deadlines.empty() && s.deadlines.begin()->first.first <= now) {
            due.push_back(std::move(s.deadlines.begin()->second));
            s.deadlines.erase(s.deadlines.begin());
        }
        lock.unlock();
        std::size_t answered = 0;
        for (auto& p : due) {
            if (p->answered.exchange(true)) continue;
            ++answered;
            ++s.deadline_passed;  // before the answer: whoever sees the 503 sees it counted
            try {
                p->respond(with_retry_after(p->timeout_reply()));
            } catch (const std::exception& e) {
                spdlog::error("answering a request at its deadline failed: {}", e.what());
            }
        }
        if (answered > 0) {
            if (const auto suppressed = s.deadline_log.admit())
                spdlog::warn(
                    "deadline: {} request(s) not durable within {} ms answered 503 ({} similar "
                    "lines suppressed)",
                    answered, options_.deadline.count(), *suppressed);
        }
        due.clear();
        lock.lock();
    }
}

RequestGateStats RequestGate::stats() const {
    std::lock_guard lock(shared_->mutex);
    return RequestGateStats{shared_->admitted.load(), shared_->refused.load(),
                            shared_->deadline_passed.load(), shared_->pending_requests,
                            shared_->pending_bytes};
}

}  // namespace ofbridge::endpoints
