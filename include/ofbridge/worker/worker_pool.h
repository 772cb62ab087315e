// The worker: takes committed inventory and shipment requests from the queue and applies them
// to the local target.
//
// Request state machine (the columns live in `requests`, schemas/sqlite/001):
//   pending ──claim──► processing ──apply ok──► done
//                         │  ├──lease expired (worker died)──► claimable again
//                         │  └──holder gone (start-up of a broker on this host)──► claimable again
//                         └──apply threw──► failed (next_attempt_at = now + backoff)
//                                             ├──next_attempt_at reached──► claimable again
//                                             └──attempts >= max_attempts──► dead
//   reprocess_request: any state except a live lease ──► processing, same apply path
//   (a dead request starts again at attempt 1)
// "apply ok" includes a shipment the rules refuse (order not found, cancelled, over-shipment):
// that is a Failure line in the import report and the request is done; only an exception
// (storage, corrupt data) is retried. Export acknowledgements are not claimed here.
// A claim is an UPDATE inside a write transaction (the store writer's group commit in `serve`,
// else BEGIN IMMEDIATE on the worker's own connection) that stamps claimed_by and
// lease_expires_at, so any number of workers, in this process or others, never hold the same
// request at once. Applying writes, in ONE transaction with each request's state change: for
// inventory, stock levels, per-key high-water marks and one import line per SKU/source; for a
// shipment, the shipments with their lines and tracks, the order's qty_shipped and state, the
// dedupe key and one import line; for both, the import report header. Requests are taken in receipt
// order (numeric id). The state change to done/failed/dead is conditional on the request still
// being claimed by this worker: a worker whose lease expired (and was taken over) writes nothing
// for it. A `processing` request whose lease expired after max_attempts claims (the process died
// every time it handled it) goes to dead instead of being claimed again. The claim/apply engine
// itself is RequestProcessor (request_processor.h); this file runs it on threads and wakes them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ofbridge/domain/shipment_plan.h"

namespace ofbridge::storage {
class Writer;
class WalCheckpointer;
namespace sqlite {
class Database;
}
}  // namespace ofbridge::storage

namespace ofbridge::worker {

// Units of `sku` in orders not yet exported to the WMS and placed after `last_order_exported`
// (DESIGN §3.2, adjust_inventory = unsent_orders). Called on a worker thread, inside the apply
// transaction, for every applied stock line; `now` is the worker's clock.
using UnsentOrderUnits = std::function<std::int64_t(std::string_view sku, std::string_view source,
                                                    std::string_view last_order_exported,
                                                    std::chrono::system_clock::time_point now)>;
// Called once per worker connection (and again after a reconnect) with that connection, so an
// implementation can prepare its statements once and read exactly what the apply transaction
// sees. The returned function is only used while that connection lives.
// worker::unsent_orders_adjustment (unsent_orders.h) is the implementation; empty = no
// adjustment (adjust_inventory = none).
using UnsentOrderUnitsFactory = std::function<UnsentOrderUnits(storage::sqlite::Database& db)>;

struct InventoryOptions {
    bool allow_negative = false;                   // keep negative results instead of clamping to 0
    bool reject_unknown_skus = false;              // a SKU not in `products` is a Failure line
    UnsentOrderUnitsFactory unsent_order_units{};  // empty = no adjustment
    // The one MSI source whose stock line carries a SKU's unsent-orders adjustment: orders name
    // no source, so subtracting on every source would count each unit once per source.
    std::string unsent_orders_source{"default"};
};

// Fault injection and observation points for tests. Leave empty in production.
struct WorkerTestHooks {
    // Runs inside the request's savepoint before it is applied; throwing makes that attempt
    // fail exactly like corrupt data would (failed / dead), without touching the others.
    std::function<void(std::int64_t request_id)> before_apply{};
    // A sliced apply (request_processor.h): runs inside each slice's savepoint, on the slice's
    // connection, before its lines, with the lines applied so far. Throwing fails the attempt
    // as before_apply does (this slice undone, the committed ones kept); a test may also write
    // through `db`, e.g. to take the claim away.
    std::function<void(storage::sqlite::Database& db, std::int64_t request_id,
                       std::int64_t applied_lines)>
        before_slice{};
    // Runs after a claim committed and before the batch is applied (e.g. to hold a worker
    // while its lease expires).
    std::function<void(const std::vector<std::int64_t>& request_ids)> after_claim{};
};

struct WorkerOptions {
    std::filesystem::path database;
    unsigned workers = 1;
    std::size_t batch_size = 100;  // requests per transaction at most
    // An inventory request of more lines than this is applied in slices of at most this many
    // lines (whole keys), each in a transaction of its own (request_processor.h). Hosted, the
    // writer's slice budget (the same [storage] slice_rows, and batch_budget) bounds a slice;
    // standalone, slice_time does.
    std::size_t slice_lines = 500;
    std::chrono::microseconds slice_time{2000};
    std::chrono::seconds lease{30};
    unsigned max_attempts = 5;
    std::chrono::milliseconds retry_base{1000};  // backoff: base * 2^(attempts-1), capped
    std::chrono::milliseconds retry_max{300'000};
    // Where claims and applies run. Set (in `serve`): as tasks on the one writer's thread,
    // inside its group commits, on its one write connection (DESIGN §7). Null: each worker opens
    // its own write connection to `database` and takes turns on SQLite's write lock (the CLI's
    // reprocess, which runs beside a broker; tests that drive workers on their own). The writer
    // must outlive the pool.
    storage::Writer* writer = nullptr;
    // Own connections only: watches them so their commits never checkpoint inline; null =
    // SQLite's automatic checkpoint (the CLI's reprocess).
    storage::WalCheckpointer* wal_checkpointer = nullptr;
    InventoryOptions inventory;
    // How a configurable product's simple child is shipped (DESIGN §3.3, shipment_plan.h):
    // parent = against the configurable line, qty_shipped on both (Magento's way); child =
    // against the child line only. Config: shipments.configurable_item.
    domain::ConfigurableRule configurable_rule = domain::ConfigurableRule::parent;
    // Stores with the magento2 target (DESIGN §6): their applies also stage what Magento must
    // receive in the outbox (src/outbox), in the same transaction. Empty = local only.
    std::vector<std::string> magento2_stores{};
    // Runs on the worker's thread after each batch of applies committed (serve wakes the Magento
    // delivery with it, so what the applies staged goes out at once). Keep it short.
    std::function<void()> after_apply{};
    std::string instance_id = "worker";  // claimed_by = "<instance_id>/<n>"; must differ
                                         // between pools/processes on one database
    // Start-up recovery: true when the holder named by a claimed_by is known to be gone. The
    // pool then makes that holder's claims claimable at once (release_claims_of_gone_holders)
    // instead of waiting for their leases. Empty = never; `serve` uses local_holder_gone.
    std::function<bool(std::string_view claimed_by)> claim_holder_gone{};
    // An idle worker re-checks the queue at least this often, for work made claimable outside
    // this process (another broker's expired lease, the CLI's reprocess). New commits in this
    // process do not wait for it: notify() wakes a worker at once.
    std::chrono::milliseconds idle_poll{1000};
    // After a claim that took less than batch_size, the worker claims again this long after it
    // (at once if applying the batch took longer), so new requests gather (worker_pool.cpp says
    // why); a full batch goes on at once and an idle worker starts at once on notify().
    // Config: worker.gather_ms.
    std::chrono::milliseconds gather{30};
    std::chrono::milliseconds busy_timeout{10'000};  // waiting for the other writers' locks
    // "Now" for leases, retries and timestamps; empty = the system clock. Tests move it.
    std::function<std::chrono::system_clock::time_point()> clock{};
    WorkerTestHooks test_hooks{};
};

// Counters since start-up (the admin issue exposes them as metrics). Lines are import lines
// (one per inventory SKU line, one per shipment request).
struct Metrics {
    std::atomic<std::uint64_t> requests_done{0};
    std::atomic<std::uint64_t> requests_failed{0};  // attempts that failed (will be retried)
    std::atomic<std::uint64_t> requests_dead{0};
    std::atomic<std::uint64_t> lines_applied{0};
    std::atomic<std::uint64_t> lines_duplicate{0};
    std::atomic<std::uint64_t> lines_superseded{0};
    std::atomic<std::uint64_t> lines_failed{0};
};

class WorkerPool {
public:
    // Opens one write connection per worker and starts the threads. Throws std::runtime_error
    // naming the database when it cannot.
    WorkerPool(WorkerOptions options, Metrics& metrics);
    ~WorkerPool();  // stop()
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // A request was committed: wake an idle worker now (called from the queue's writer thread).
    void notify();

    // Lets the batches in progress commit, then joins. Idempotent.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// This process's instance id, "<hostname>:<pid>" (so claimed_by is "<hostname>:<pid>/<n>").
std::string local_instance_id();

// For WorkerOptions::claim_holder_gone in `serve`, called before its workers start: a claim
// is gone when its claimed_by is "<this hostname>:<pid>/..." and that pid is not a running
// process, or is this very process (an earlier run with the same pid, as in a container where
// the broker is always pid 1: this run has claimed nothing yet).
// Why host + pid: every process sharing the database runs on this machine (SQLite's WAL needs
// shared memory), so a claim whose host is ours and whose process is gone cannot be live.
// Claims of other hosts are never judged. A pid reused by another process only means waiting
// for the lease, as before. Pid namespaces sharing one hostname and one data directory (two
// containers with one hostname) can see each other's live pids as gone: that costs repeated
// work, never a double apply, since a holder whose claim was taken writes nothing.
bool local_holder_gone(std::string_view claimed_by);

// local_holder_gone's rule with the host and the liveness check given (for tests).
bool holder_gone_on(std::string_view host, std::string_view claimed_by,
                    const std::function<bool(long pid)>& process_alive);

struct ReprocessResult {
    std::int64_t request_id = 0;
    std::int64_t report_id = 0;  // the import report this run wrote
    std::string state;           // the request's state afterwards
};

// `ofbridge requests reprocess ID`: puts one request (in any state but a live lease) through
// the same claim and apply path, now, in this process. Applying an already-applied request
// yields Duplicate lines, never a second application. Throws std::runtime_error with a clear
// message when the request does not exist, is held by a live worker, or cannot be processed.
// `metrics`: the process's counters, so a reprocess from `serve`'s console counts as the
// workers' applies do (the CLI's, in a process of its own, passes none).
ReprocessResult reprocess_request(const WorkerOptions& options, std::int64_t request_id,
                                  Metrics* metrics = nullptr);

}  // namespace ofbridge::worker
