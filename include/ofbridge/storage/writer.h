// The one writer of the broker's database (DESIGN §7). One thread owns the only write connection
// of `serve` and commits whatever is waiting (up to max_batch jobs, about 4 MiB, at most about
// batch_budget of work) in one transaction: group commit, many jobs per fsync. Every write of
// every table goes through it as a job: ingest's requests and sessions, the workers' claims and
// applies, the orders API.
//
// A job runs on the writer thread in a SAVEPOINT of its own, so a job that fails on its own (a
// constraint, an exception) is rolled back alone and the rest of the batch commits; an error that
// makes SQLite abandon the whole transaction (disk full, I/O error) fails the batch like a failed
// commit. A job's completion runs once its transaction is committed (Completion::committed: the
// workers' work, which acknowledges nothing) or once the WAL holding it is also fsynced
// (Completion::durable: whatever is acknowledged to a client). The fsync runs on a thread of its
// own (WalSyncer) while the writer commits the next batch. When a commit fails every job of the
// batch gets the error (nothing acknowledged), the connection is closed and reopened, and the
// writer goes on; when an fsync fails the writer stops for good (see on_durability_lost). WAL
// checkpoints run on a third thread with its own connection (WalCheckpointer), so completions
// never wait for them.
//
// Budgets: no job may hold the write transaction long, because every ack submitted meanwhile
// waits for that transaction's COMMIT. Two rules keep the wait to a few milliseconds:
//   - a batch stops taking jobs once its jobs have run for batch_budget (2 ms): the jobs it had
//     taken but not started go back to the front of the queue, and the batch commits;
//   - big work is a *sliced* job (WriteJob::run_slice): each call writes at most slice_rows rows
//     and stops early once batch_budget has passed. A slice runs in a batch of its own, which
//     commits right after it; an unfinished sliced job then goes to the back of the queue, behind
//     everything submitted meanwhile, so those jobs commit before its next slice. Its completion
//     runs once, after the slice that finished it is committed (durable: fsynced, which covers
//     every earlier slice).
// So an ack waits at most for the batch in progress (one budget, or one slice) and its own batch.
//
// Acks and the rest: a batch holds acks (durable jobs) or work nobody waits on beyond its commit
// (the workers' claims and applies, Completion::committed), never both: when both kinds are
// queued the batches alternate between them, each taking the jobs of its kind in order, past
// those of the other. A batch of work nobody waits on may run past its budget, taking
// such jobs as they are submitted, while no ack is queued or while the WAL syncer is busy (an
// ack committed then would wait for that sync anyway), up to unwaited_budget; it is cut at the
// first job boundary after that ends. Why: every commit writes each page it dirtied to the WAL
// again, and consecutive applies dirty the same pages (a SKU's stock row, the leaf of the import
// lines' SKU index), so applies sharing a commit write, fsync and checkpoint them once. An ack
// still waits for at most one job of the batch in progress, as above. A slice is atomic, the sliced
// job as a whole is not: each slice is visible once committed. The job decides what a slice is (the
// orders import: whole orders, README "Durability contract") and what a failure after some
// committed slices means; a failed slice is rolled back alone and ends the job with the error. Work
// that must be one atomic outcome (one request's apply) is a plain job; it is budgeted by its size
// (the worker's batch_size) and runs alone once the batch is cut.
//
// Writer loop (one thread):
//   wait until jobs are queued (or close() was called)
//   take the queued jobs of one kind (acks, or the rest; the other kind than last time when
//     both are queued), up to max_batch and about 4 MiB, up to the first sliced job (a sliced
//     job at the front is taken alone)
//   BEGIN IMMEDIATE; per job: SAVEPOINT, run (or one slice), RELEASE (or ROLLBACK TO on a
//     job-only error); once batch_budget is spent, put the jobs not yet run back in front
//     (a batch of jobs nobody waits on: see "Acks and the rest")
//   COMMIT (synchronous=NORMAL: frames written, not flushed)
//   unfinished sliced jobs go to the back of the queue; committed jobs hear at once; durable ones
//   are handed to the WalSyncer, which fdatasyncs the WAL and only then runs their completions;
//   meanwhile the writer is on the next batch
// With synchronous=normal every completion runs right after COMMIT.
//
// Writers in other processes (the CLI's `requests reprocess`, `orders import` beside a running
// broker) take turns with this one on SQLite's own write lock, within the busy timeout.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <system_error>

namespace ofbridge::storage {

class WalCheckpointer;

namespace sqlite {
class Database;
}

struct WriterOptions {
    std::filesystem::path path;    // the SQLite file (0600); a missing directory is made 0700
    std::size_t max_batch = 512;   // jobs per commit at most
    bool synchronous_full = true;  // false = NORMAL: survives a process crash only
    // Work per group commit: once its jobs have run this long, a batch commits (see the top).
    std::chrono::microseconds batch_budget{2000};
    // How long a batch of work nobody waits on (the workers') may run past batch_budget while
    // no ack waits or the WAL syncer is busy (see "Acks and the rest" above).
    std::chrono::microseconds unwaited_budget{16000};
    // Rows one slice of a sliced job writes at most (SliceBudget::max_rows).
    std::size_t slice_rows = 500;
    // Runs on the writer thread after every (re)open of the write connection, once the schema is
    // migrated. Tests use it for fault injection (commit hooks, PRAGMA max_page_count); if it
    // throws, the open counts as failed. Leave empty in production.
    std::function<void(sqlite::Database&)> on_connection_open{};
    // Runs on the writer thread after every successful COMMIT in which a job reported new work
    // (a new request; see WriteJob::run), before that batch's completions. The app wires
    // WorkerPool::notify() here, so new work is picked up at once instead of at the workers'
    // next poll. Keep it short and non-blocking; an exception is logged and ignored.
    std::function<void()> on_commit{};
    // Runs once, on the WAL sync thread, when an fdatasync of the WAL failed. From then on every
    // job is answered with an error: what was committed may not be on disk, and nothing written
    // after it can be trusted to be either (writer.cpp). `serve` shuts down with an error so the
    // service manager restarts it and SQLite recovers from the disk.
    std::function<void()> on_durability_lost{};
    // Flushes the WAL file: ::fdatasync when empty. Tests inject failures and delays here.
    // Leave empty in production.
    std::function<int(int fd)> sync_wal{};
};

// When a job's completion runs.
enum class Completion {
    committed,  // right after its COMMIT: nothing is acknowledged on it
    durable,    // after the WAL fsync that covers its COMMIT (synchronous=full)
};

// What one slice of a sliced job may do: at most max_rows rows (at least one), and no new row
// once `until` has passed.
struct SliceBudget {
    std::size_t max_rows = 1;
    std::chrono::steady_clock::time_point until{};
    bool spent(std::size_t rows_done) const {
        return rows_done >= max_rows ||
               (rows_done > 0 && std::chrono::steady_clock::now() >= until);
    }
};

struct SliceResult {
    bool finished = true;   // false: run again, in a later batch
    bool new_work = false;  // as WriteJob::run's result
};

struct WriteJob {
    // Runs on the writer thread inside the group commit, in a savepoint of its own, on the one
    // write connection. `connection_id` changes whenever the writer opened a new connection, so
    // whoever prepared statements on `db` knows to prepare them again. Returns true when it
    // stored new work for the workers (on_commit). Must not call the writer. The connection is
    // not thread-safe (NOMUTEX): statements prepared on it are used and finalized in jobs only.
    std::function<bool(sqlite::Database& db, std::uint64_t connection_id)> run;
    // Instead of `run`, for big work: one slice per call, within `budget`, each in its own batch
    // (see the top). Same rules as `run`; throwing ends the job (that slice rolled back, the
    // slices before it stay committed).
    std::function<SliceResult(sqlite::Database& db, std::uint64_t connection_id,
                              const SliceBudget& budget)>
        run_slice{};
    // With no error once committed (or durable); with the error when the job threw (its writes
    // are rolled back, the rest of the batch goes on) or the batch failed as a whole; at once
    // with operation_canceled after close(). Runs on the writer or the WAL sync thread (on the
    // caller's after close()); keep it short.
    std::function<void(std::error_code)> done;
    Completion completion = Completion::durable;
    std::size_t approximate_bytes = 64;  // what it adds to the transaction, roughly
    // Optional: runs on the writer thread right after a successful COMMIT of the job's batch,
    // before any fsync (bookkeeping such as counters; the job's own outcome is known by then).
    std::function<void()> committed{};
    // Set by the writer when the job is queued: how many slices had started by then (for
    // WriterStats::max_slices_waited).
    std::uint64_t slices_at_submit = 0;
};

// Work another component does on the write connection (a WriteJob that stores no request and
// completes on commit).
using WriterTask = std::function<void(sqlite::Database& db, std::uint64_t connection_id)>;

// Counters since construction, for tests and metrics. Cheap to read at any time.
struct WriterStats {
    std::uint64_t commits = 0;         // successful COMMITs of a batch
    std::uint64_t syncs = 0;           // batches made durable by a WAL fsync (full only)
    std::uint64_t failed_jobs = 0;     // jobs answered with an error (any cause)
    std::uint64_t failed_commits = 0;  // batches that failed as a whole (BEGIN/COMMIT/abort)
    std::uint64_t reopens = 0;         // successful re-opens after a failure
    std::uint64_t checkpoints = 0;     // WAL checkpoints completed (background or inline)
    std::uint64_t slices = 0;          // slices of sliced jobs run (committed or not)
    std::uint64_t budget_cuts = 0;     // batches committed early: batch_budget spent
    // The most slices any other job saw start between its submission and its commit: 1 at most
    // (one that was being taken as the job came in), whatever the size of the sliced work.
    std::uint64_t max_slices_waited = 0;
};

class Writer {
public:
    // Opens (creating and migrating) the database and starts the writer thread.
    // Throws std::runtime_error with the path and SQLite's message when it cannot.
    explicit Writer(WriterOptions options);
    ~Writer();  // stops accepting, commits what is queued, joins the writer
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // Queues `job` for the next group commit; after close() answers it at once with
    // operation_canceled.
    void submit(WriteJob job);

    // A task whose writes commit with the batch it lands in; `done` hears of the commit.
    void run_in_transaction(WriterTask task, std::function<void(std::error_code)> done);

    // Commits what is queued and stops the writer; later jobs fail with an error. Idempotent.
    // Safe to call from a completion (it then only stops accepting; the destructor joins).
    void close();

    WriterStats stats() const;
    const std::filesystem::path& path() const noexcept;

    // Keeps the WAL short for the writer's connection.
    WalCheckpointer& wal_checkpointer() noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::storage
