// The durable request queue (SQLite backend). One writer thread owns the only write connection
// and commits what is waiting (up to max_batch requests, about 4 MiB) in one transaction (group
// commit: many requests per fsync). A callback is invoked only once its transaction is committed
// and the WAL holding it is fsynced (synchronous=full), so the caller may acknowledge. The fsync
// runs on a thread of its own while the writer commits the next batch. When a commit fails every
// request in that batch gets an error (no ack), the connection is closed and reopened, and the
// writer goes on; when an fsync fails the store stops acknowledging altogether (see
// on_durability_lost). Each request runs in its own SAVEPOINT inside the batch, so a request that
// fails on its own (e.g. a constraint) fails alone; an error that makes SQLite abandon the whole
// transaction (disk full, I/O error) fails the batch like a failed commit. WAL checkpoints run
// on a second thread with its own connection (WalCheckpointer), so acknowledgements never wait
// for them.
//
// Request states (the worker moves them on; here requests are only ever created in `pending`):
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

namespace ofbridge::queue {

class WalCheckpointer;

namespace sqlite {
class Database;
}

struct StoreOptions {
    std::filesystem::path path;    // the SQLite file (0600); a missing directory is made 0700
    std::size_t max_batch = 512;   // requests per commit at most
    bool synchronous_full = true;  // false = NORMAL: survives a process crash only
    // Runs on the writer thread after every (re)open of the write connection, once the schema is
    // migrated. Tests use it for fault injection (commit hooks, PRAGMA max_page_count); if it
    // throws, the open counts as failed. Leave empty in production.
    std::function<void(sqlite::Database&)> on_connection_open{};
    // Runs on the writer thread after every successful COMMIT that stored at least one new
    // request (re-deliveries and grants alone do not count), before that batch's callbacks.
    // The app wires WorkerPool::notify() here, so new work is picked up at once instead of
    // at the workers' next poll. Keep it short and non-blocking; an exception is logged and
    // ignored (the requests are committed either way).
    std::function<void()> on_commit{};
    // Runs once, on the WAL sync thread, when an fdatasync of the WAL failed. From then on every
    // request is answered with an error: what was committed may not be on disk, and nothing
    // written after it can be trusted to be either (request_store.cpp). `serve` shuts down with
    // an error so the service manager restarts it and SQLite recovers from the disk.
    std::function<void()> on_durability_lost{};
    // Flushes the WAL file: ::fdatasync when empty. Tests inject failures and delays here.
    // Leave empty in production.
    std::function<int(int fd)> sync_wal{};
};

// Work another component does on the write connection, inside the writer's transaction (see
// RequestStore::run_in_transaction). `connection_id` changes whenever the writer opened a new
// connection, so whoever prepared statements on `db` knows to prepare them again.
using WriterTask = std::function<void(sqlite::Database& db, std::uint64_t connection_id)>;

// Counters since construction, for tests and metrics. Cheap to read at any time.
struct StoreStats {
    std::uint64_t commits = 0;         // successful COMMITs of a batch
    std::uint64_t syncs = 0;           // batches made durable by a WAL fsync (full only)
    std::uint64_t requests = 0;        // new requests stored (acknowledgeable)
    std::uint64_t redeliveries = 0;    // requests recognised as already stored
    std::uint64_t failed_jobs = 0;     // jobs answered with an error (any cause)
    std::uint64_t failed_commits = 0;  // batches that failed as a whole (BEGIN/COMMIT/abort)
    std::uint64_t reopens = 0;         // successful re-opens after a failure
    std::uint64_t checkpoints = 0;     // WAL checkpoints completed (background or inline)
};

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

// Login sessions (M1) and issued bearer tokens (M2). Only a SHA-256 of the secret is stored.
struct AuthGrant {
    std::string secret_hash;  // hex SHA-256 of the session id / token
    std::string kind;         // "m1_session" or "m2_token"
    std::string store_code;
    std::string username;
    std::int64_t expires_at = 0;  // unix seconds
};

// The error_code is a storage failure (category "sqlite", value = SQLite extended result code;
// see sqlite/error.h) or std::errc::operation_canceled once the store is closed. Either way the
// request was not acknowledged.
template <typename T>
using StoreResult = std::variant<T, std::error_code>;

class RequestStore {
public:
    // Opens (creating and migrating) the database and starts the writer thread.
    // Throws std::runtime_error with the path and SQLite's message when it cannot.
    explicit RequestStore(StoreOptions options);
    ~RequestStore();  // stops accepting, commits what is queued, joins the writer
    RequestStore(const RequestStore&) = delete;
    RequestStore& operator=(const RequestStore&) = delete;

    // `done` runs on the writer or the WAL sync thread once the request is durable (or could not
    // be stored). Keep it short.
    // After close() it runs at once on the calling thread with operation_canceled.
    void enqueue(NewRequest request, std::function<void(StoreResult<EnqueueResult>)> done);
    void save_grant(AuthGrant grant, std::function<void(std::error_code)> done);
    void delete_grant(std::string secret_hash, std::function<void(std::error_code)> done);

    // Runs `task` on the writer thread inside the next group commit, in a savepoint of its own,
    // so its writes commit with the requests of the same batch: one writer thread, one write
    // connection, one commit for all (DESIGN §7). The worker's claims and applies run this way.
    // `done` runs on the writer thread right after that COMMIT (a task acknowledges nothing, so
    // it does not wait for the fsync) with no error; with the error when the task threw (its
    // writes are rolled back, the rest of the batch goes on) or the batch failed as a whole; or
    // at once with operation_canceled after close(). The task must not call the store. Keep it
    // short: the batch's acknowledgements wait for it. The connection is not thread-safe
    // (NOMUTEX): statements a task prepares on it are used and finalized in tasks only.
    void run_in_transaction(WriterTask task, std::function<void(std::error_code)> done);

    // Grants still valid at `now` (unix seconds), read at start-up to fill the in-memory cache.
    std::vector<AuthGrant> load_grants(std::int64_t now) const;

    // Commits what is queued and stops the writer; later calls fail with an error. Idempotent.
    // Safe to call from a callback (it then only stops accepting; the destructor joins).
    void close();

    StoreStats stats() const;

    // Keeps the WAL short for the store's connection; watch the other write connections of
    // this process (the workers') with it too, so none of them checkpoints inside a COMMIT.
    WalCheckpointer& wal_checkpointer() noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::queue
