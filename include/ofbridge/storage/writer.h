// The one writer of the broker's database (DESIGN §7). One thread owns the only write connection
// of `serve` and commits whatever is waiting (up to max_batch jobs, about 4 MiB) in one
// transaction: group commit, many jobs per fsync. Every write of every table goes through it as
// a job: ingest's requests and sessions, the workers' claims and applies, the orders API.
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
// Writer loop (one thread):
//   wait until jobs are queued (or close() was called)
//   take everything queued, up to max_batch and about 4 MiB
//   BEGIN IMMEDIATE; per job: SAVEPOINT, run, RELEASE (or ROLLBACK TO on a job-only error)
//   COMMIT (synchronous=NORMAL: frames written, not flushed)
//   committed jobs hear at once; durable ones are handed to the WalSyncer, which fdatasyncs the
//   WAL and only then runs their completions; meanwhile the writer is on the next batch
// With synchronous=normal every completion runs right after COMMIT.
//
// Writers in other processes (the CLI's `requests reprocess`, `orders import` beside a running
// broker) take turns with this one on SQLite's own write lock, within the busy timeout.
#pragma once

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

struct WriteJob {
    // Runs on the writer thread inside the group commit, in a savepoint of its own, on the one
    // write connection. `connection_id` changes whenever the writer opened a new connection, so
    // whoever prepared statements on `db` knows to prepare them again. Returns true when it
    // stored new work for the workers (on_commit). Must not call the writer. The connection is
    // not thread-safe (NOMUTEX): statements prepared on it are used and finalized in jobs only.
    std::function<bool(sqlite::Database& db, std::uint64_t connection_id)> run;
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
