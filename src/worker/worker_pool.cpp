// WorkerPool: runs one RequestProcessor per thread and wakes the threads (see worker_pool.h for
// the request state machine, request_processor.h for one claim/apply cycle).
//
// Worker loop:
//   remember the wake-up generation, claim a batch, apply it
//   a full batch: wake a peer (there is probably more) and go again at once
//   some work: claim again options.gather after this batch's claim (at once if the batch took
//              that long), so more can gather (an empty claim is what sends a worker to sleep)
//   nothing: sleep until notify() bumps the generation, stop() is called, or the next scheduled
//            event (a failed request's retry time, a lease's expiry), but never longer than
//            idle_poll. The generation is read BEFORE the claim, so a notify() that arrives
//            while the claim runs is never lost.
// Why idle_poll at all when notify() exists: notify() only covers commits made by this
// process's RequestStore. Work also becomes claimable outside it: another broker instance on
// the same file dies and its leases expire, or the CLI's reprocess / an admin edits a request.
// Nothing can tell this process about those, so an idle worker looks again at least every
// idle_poll (1 s by default, a single indexed query).
// Start-up: before the threads start, the claims of holders that are gone (claim_holder_gone:
// an earlier run of this broker killed while holding them) are made claimable at once, so a
// restart does not wait out their leases.
// Errors: a failed batch transaction is rolled back as a whole (the claims stay; the leases
// expire and the requests are retried), logged, and the worker backs off (50 ms doubling to
// 5 s); after an I/O-class error its connection is dropped and reopened.
#include "ofbridge/worker/worker_pool.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "ofbridge/worker/request_processor.h"

namespace ofbridge::worker {
namespace {

constexpr auto first_error_backoff = std::chrono::milliseconds(50);
constexpr auto max_error_backoff = std::chrono::milliseconds(5000);
// Floor for an idle wait: an event that is due "now" but was not claimable a moment ago (clock
// granularity is one second in SQL) must not turn into a busy loop.
constexpr auto min_idle_wait = std::chrono::milliseconds(10);
// Why gather (WorkerOptions::gather, 30 ms by default) after a batch that took what was there
// but less than batch_size: every batch costs a claim commit and its applies' commits, and each
// commit writes every page it dirtied to the WAL again; the pages an apply dirties (each SKU's
// stock row and the leaf of the import lines' index that holds its history) are the same from
// one message to the next, so applying what gathered in 30 ms writes them once for all of it
// (the writer puts applies submitted together in one commit: storage/writer.h). Claiming as soon
// as the previous apply ended (3 ms, as before) wrote about 0.85 MB of WAL per 100-line message
// for a sequential sender, each next ack's fdatasync had to flush it, and the checkpointer to
// copy it back; with 30 ms, 0.45 MB, and that sender's p50 ack latency fell from 7 to 2 ms
// (README, Benchmarks). An idle worker still starts at once on notify(), so a lone message is
// applied at once; under load a request waits at most one gather more, far inside the 100 ms
// receipt -> applied target.

void record(Metrics& metrics, const std::vector<RequestOutcome>& outcomes) {
    for (const auto& o : outcomes) {
        if (o.state == "done") {
            metrics.requests_done.fetch_add(1, std::memory_order_relaxed);
            metrics.lines_applied.fetch_add(static_cast<std::uint64_t>(o.successes),
                                            std::memory_order_relaxed);
            metrics.lines_duplicate.fetch_add(static_cast<std::uint64_t>(o.duplicates),
                                              std::memory_order_relaxed);
            metrics.lines_superseded.fetch_add(static_cast<std::uint64_t>(o.superseded),
                                               std::memory_order_relaxed);
            metrics.lines_failed.fetch_add(static_cast<std::uint64_t>(o.failures),
                                           std::memory_order_relaxed);
        } else if (o.state == "failed") {
            metrics.requests_failed.fetch_add(1, std::memory_order_relaxed);
        } else if (o.state == "dead") {
            metrics.requests_dead.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

std::vector<std::int64_t> ids_of(const std::vector<ClaimedRequest>& claimed) {
    std::vector<std::int64_t> ids;
    ids.reserve(claimed.size());
    for (const auto& c : claimed) ids.push_back(c.id);
    return ids;
}

}  // namespace

struct WorkerPool::Impl {
    Impl(WorkerOptions opts, Metrics& m) : options(std::move(opts)), metrics(m) {
        options.batch_size = std::max<std::size_t>(options.batch_size, 1);
        // Connections are opened here, on the caller's thread, so a bad path fails the
        // constructor instead of a background thread.
        for (unsigned n = 1; n <= options.workers; ++n)
            processors.push_back(std::make_unique<RequestProcessor>(
                options, options.instance_id + "/" + std::to_string(n)));
        if (!processors.empty()) release_gone_claims(*processors.front());
        try {
            for (auto& processor : processors)
                threads.emplace_back([this, p = processor.get()] {
                    pthread_setname_np(pthread_self(), "ofb-worker");
                    run(*p);
                });
        } catch (...) {
            stop();  // joins the threads already started before giving up
            throw;
        }
    }

    std::chrono::system_clock::time_point now() const {
        return options.clock ? options.clock() : std::chrono::system_clock::now();
    }

    // A failure here is not fatal: those claims are then retried once their leases expire.
    void release_gone_claims(RequestProcessor& processor) {
        try {
            processor.release_claims_of_gone_holders();
        } catch (const std::exception& e) {
            spdlog::warn(
                "worker: cannot release the claims of stopped processes (they are "
                "retried once their leases expire): {}",
                e.what());
        }
    }

    void notify() {
        {
            std::lock_guard lock(mutex);
            ++generation;
        }
        wake.notify_one();
    }

    void stop() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        wake.notify_all();
        std::lock_guard lock(join_mutex);
        for (auto& t : threads)
            if (t.joinable()) t.join();
    }

    // Waits `duration`; only stop() ends the wait early (notify() does not).
    void pause(std::chrono::milliseconds duration) {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, duration, [&] { return stopping; });
    }

    // Waits until notify()/stop() or `timeout`; returns false once stopping.
    bool sleep(std::uint64_t seen, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, timeout, [&] { return stopping || generation != seen; });
        return !stopping;
    }

    void run(RequestProcessor& processor) {
        std::chrono::milliseconds error_backoff{0};
        for (;;) {
            std::uint64_t seen = 0;
            {
                std::lock_guard lock(mutex);
                if (stopping) return;
                seen = generation;
            }
            std::size_t claimed = 0;
            const auto batch_started = std::chrono::steady_clock::now();
            try {
                claimed = run_batch(processor);
                error_backoff = std::chrono::milliseconds(0);
            } catch (const std::exception& e) {
                spdlog::error(
                    "worker {}: batch not applied (claims kept; retried when their leases "
                    "expire): {}",
                    processor.worker_id(), e.what());
                if (is_connection_fatal(e)) processor.disconnect();
                error_backoff =
                    std::clamp(error_backoff * 2, std::chrono::milliseconds(first_error_backoff),
                               std::chrono::milliseconds(max_error_backoff));
                pause(error_backoff);  // a notify() would just repeat the failure
                continue;
            }
            if (claimed == options.batch_size) {
                notify();  // a backlog: let an idle peer share it
                continue;
            }
            if (claimed > 0) {
                // A period, not a gap: a batch that took gather or longer let as much gather
                // while it ran, and a pause after it would only cut what the worker can apply
                // when it is the bottleneck.
                const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - batch_started);
                if (spent < options.gather) pause(options.gather - spent);
                continue;
            }
            if (!sleep(seen, idle_wait(processor))) return;
        }
    }

    // Claims and applies one batch; returns how many requests the claim took.
    std::size_t run_batch(RequestProcessor& processor) {
        auto batch = processor.claim(options.batch_size);
        metrics.requests_dead.fetch_add(batch.given_up.size(), std::memory_order_relaxed);
        if (batch.requests.empty()) return batch.given_up.size();
        if (options.test_hooks.after_claim) options.test_hooks.after_claim(ids_of(batch.requests));
        record(metrics, processor.apply(batch.requests));
        if (options.after_apply) options.after_apply();
        return batch.requests.size() + batch.given_up.size();
    }

    std::chrono::milliseconds idle_wait(RequestProcessor& processor) {
        auto wait = options.idle_poll;
        try {
            if (const auto event = processor.next_scheduled_event()) {
                const auto until = std::chrono::ceil<std::chrono::milliseconds>(*event - now());
                wait = std::min(wait, until);
            }
        } catch (const std::exception& e) {
            spdlog::warn("worker {}: cannot read the next retry/lease time: {}",
                         processor.worker_id(), e.what());
        }
        return std::max(wait, std::chrono::milliseconds(min_idle_wait));
    }

    WorkerOptions options;
    Metrics& metrics;

    std::mutex mutex;
    std::condition_variable wake;
    std::uint64_t generation = 0;  // guarded by mutex; bumped by notify()
    bool stopping = false;         // guarded by mutex

    std::vector<std::unique_ptr<RequestProcessor>> processors;  // one per thread
    std::mutex join_mutex;
    std::vector<std::thread> threads;  // last: started once everything above exists
};

WorkerPool::WorkerPool(WorkerOptions options, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), metrics)) {}

WorkerPool::~WorkerPool() {
    stop();
}

void WorkerPool::notify() {
    impl_->notify();
}

void WorkerPool::stop() {
    impl_->stop();
}

namespace {

std::string host_name() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return host;
}

}  // namespace

std::string local_instance_id() {
    return host_name() + ":" + std::to_string(::getpid());
}

bool holder_gone_on(std::string_view host, std::string_view claimed_by,
                    const std::function<bool(long pid)>& process_alive) {
    // "<host>:<pid>/<n>"; anything else is not ours to judge.
    if (claimed_by.size() <= host.size() || !claimed_by.starts_with(host) ||
        claimed_by[host.size()] != ':')
        return false;
    const auto rest = claimed_by.substr(host.size() + 1);
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) return false;
    long pid = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + slash, pid);
    if (ec != std::errc{} || end != rest.data() + slash || pid <= 0) return false;
    return pid == static_cast<long>(::getpid()) || !process_alive(pid);
}

bool local_holder_gone(std::string_view claimed_by) {
    static const std::string host = host_name();
    return holder_gone_on(host, claimed_by, [](long pid) {
        // EPERM: it exists, under another user. Only ESRCH says it is gone.
        return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
    });
}

ReprocessResult reprocess_request(const WorkerOptions& options, std::int64_t request_id,
                                  Metrics* metrics) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.database, ec))
        throw std::runtime_error("database " + options.database.string() + " does not exist");
    RequestProcessor processor(options, options.instance_id + "/reprocess");
    const auto claimed = processor.claim_for_reprocess(request_id);
    const auto outcomes = processor.apply({claimed});
    if (metrics) record(*metrics, outcomes);
    const auto& outcome = outcomes.front();
    if (outcome.lease_lost)
        throw std::runtime_error("request " + std::to_string(request_id) +
                                 " was taken over by another worker while being reprocessed");
    return ReprocessResult{request_id, outcome.report_id, outcome.state};
}

}  // namespace ofbridge::worker
