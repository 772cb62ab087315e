// RequestStore: the group-committing writer behind the WMS acknowledgement (see the header for
// the contract and the request state machine).
//
// Writer loop, one thread, owning the only write connection:
//   wait on the condition variable until jobs are queued (or close() was called)
//   take everything queued, up to max_batch
//   BEGIN IMMEDIATE; per job: SAVEPOINT, apply, RELEASE (or ROLLBACK TO on a job-only error)
//   COMMIT (synchronous=NORMAL: frames written, not flushed), release the write lock
//   hand the batch to the WalSyncer, which fdatasyncs the WAL and only then runs the callbacks
//   with their results; meanwhile the writer is already on the next batch
// With synchronous=full that one fdatasync is what makes the batch durable (wal_syncer.h says
// why that equals SQLite's own FULL); one sync often covers several batches. With
// synchronous=normal the callbacks run right after COMMIT.
// If BEGIN or COMMIT fails, or SQLite abandons the transaction mid-batch, every job of the batch
// gets the error and the connection is dropped; the next batch opens a fresh one (fsyncgate: a
// handle whose commit failed is never trusted again). While re-opening fails, batches fail at once
// and the next attempt waits a growing backoff. A failed fdatasync is different: frames already
// committed may never reach the disk, so the store stops acknowledging for good (every later
// batch fails) and calls on_durability_lost; the broker has to restart and recover.
//
// WAL checkpoints: the store's WalCheckpointer (wal_checkpointer.h) watches the write
// connection, and the workers' connections too when they are given it, so acks never wait for
// a checkpoint.
#include "ofbridge/queue/request_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "ofbridge/domain/overloaded.h"
#include "ofbridge/queue/schema.h"
#include "ofbridge/queue/sqlite/database.h"
#include "ofbridge/queue/sqlite/migrations.h"
#include "ofbridge/queue/sqlite/statement.h"
#include "ofbridge/queue/time_format.h"
#include "ofbridge/queue/wal_checkpointer.h"
#include "sha256.h"
#include "wal_syncer.h"

namespace ofbridge::queue {
namespace {

using sqlite::Database;
using sqlite::SqliteError;
using sqlite::Statement;
using Clock = std::chrono::steady_clock;

constexpr auto busy_timeout = std::chrono::seconds(5);
// A batch stops growing at about this much data (see the writer loop); the page cache is 16 MiB.
constexpr std::size_t batch_bytes = 4 << 20;
constexpr auto first_reopen_backoff = std::chrono::milliseconds(50);
constexpr auto max_reopen_backoff = std::chrono::seconds(5);

struct EnqueueJob {
    NewRequest request;
    // Derived on the producer's thread so the single writer thread only does SQL.
    std::string entity;
    std::string key;
    std::string body_sha256;
    std::string reply;
    std::string received_at;
    std::int64_t line_count = 0;
    std::function<void(StoreResult<EnqueueResult>)> done;
};

struct SaveGrantJob {
    AuthGrant grant;
    std::string created_at;
    std::int64_t now = 0;
    std::function<void(std::error_code)> done;
};

struct DeleteGrantJob {
    std::string secret_hash;
    std::function<void(std::error_code)> done;
};

// Another component's work on the write connection (run_in_transaction).
struct TaskJob {
    WriterTask task;
    std::function<void(std::error_code)> done;
};

using Job = std::variant<EnqueueJob, SaveGrantJob, DeleteGrantJob, TaskJob>;

// What a job adds to a transaction, roughly: the body plus a row per line.
std::size_t approximate_size(const Job& job) {
    constexpr std::size_t row_bytes = 64;
    if (const auto* e = std::get_if<EnqueueJob>(&job))
        return e->request.masked_body.size() +
               row_bytes * (1 + static_cast<std::size_t>(e->line_count));
    return row_bytes;
}

struct Outcome {
    std::error_code error;
    EnqueueResult result;  // enqueue jobs only
};

// Message keys come from the wire; keep log lines single-line and short.
std::string loggable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 64))
        out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
    if (text.size() > 64) out += "...";
    return out;
}

std::int64_t line_count_of(const domain::Message& m) {
    return std::visit(overloaded{[](const domain::InventoryUpdate& u) {
                                     return static_cast<std::int64_t>(u.lines.size());
                                 },
                                 [](const domain::ShipmentCreate& s) {
                                     return static_cast<std::int64_t>(s.items.size());
                                 },
                                 [](const domain::ExportAck&) { return std::int64_t{0}; }},
                      m);
}

// Makes a new directory entry durable: SQLite syncs the file's contents, not its name.
void sync_directory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        spdlog::warn("queue: cannot open directory {} to fsync it: {}", dir.string(),
                     std::strerror(errno));
        return;
    }
    if (::fsync(fd) != 0)
        spdlog::warn("queue: fsync of directory {} failed: {}", dir.string(), std::strerror(errno));
    ::close(fd);
}

// Resets a statement (and drops its bindings) when a scope ends, whatever happened inside.
class ResetOnExit {
public:
    explicit ResetOnExit(Statement& statement) : statement_(statement) {}
    ~ResetOnExit() { statement_.reset(); }
    ResetOnExit(const ResetOnExit&) = delete;
    ResetOnExit& operator=(const ResetOnExit&) = delete;

private:
    Statement& statement_;
};

Database open_write_database(const StoreOptions& options) {
    const auto& path = options.path;
    if (path.has_parent_path()) create_data_directory(path.parent_path());
    const bool existed = std::filesystem::exists(path);
    // NOMUTEX: only the writer thread uses this connection, tasks (run_in_transaction) included:
    // they prepare and finalize their statements on it there too.
    Database db = open_writable(path, SQLITE_OPEN_NOMUTEX, busy_timeout);
    // FULL durability comes from the WalSyncer's fdatasync after COMMIT, off the write lock.
    db.exec("PRAGMA synchronous=NORMAL");
    db.exec("PRAGMA foreign_keys=ON");
    db.exec("PRAGMA temp_store=MEMORY");
    // KiB: 16 MiB of page cache, shared by ingest and the workers' tasks (the stock and mark
    // pages of hot SKUs stay cached).
    db.exec("PRAGMA cache_size=-16384");
    db.exec(
        "PRAGMA journal_size_limit=67108864");  // trim the WAL back to 64 MiB after a checkpoint
    sqlite::migrate(db, embedded_migrations());
    if (!existed) sync_directory(path.has_parent_path() ? path.parent_path() : ".");
    if (options.on_connection_open) options.on_connection_open(db);
    return db;
}

// The write connection with every statement the writer needs, prepared once.
struct WriteConnection {
    WriteConnection(Database database, const std::filesystem::path& path)
        : db(std::move(database)),
          wal(std::make_shared<const WalFile>(path)),
          begin(db, "BEGIN IMMEDIATE"),
          commit(db, "COMMIT"),
          rollback(db, "ROLLBACK"),
          savepoint(db, "SAVEPOINT job"),
          release(db, "RELEASE job"),
          rollback_to(db, "ROLLBACK TO job"),
          find_same(db,
                    "SELECT id, reply FROM requests"
                    " WHERE entity = ?1 AND message_key = ?2 AND body_sha256 = ?3"),
          find_key(db, "SELECT id FROM requests WHERE entity = ?1 AND message_key = ?2 LIMIT 1"),
          count_delivery(db,
                         "UPDATE requests SET deliveries = deliveries + 1, last_delivered_at = ?1"
                         " WHERE id = ?2"),
          insert_request(db,
                         "INSERT INTO requests (entity, store_code, wire, message_key, body_sha256,"
                         " reply, line_count, remote_address, received_at, last_delivered_at)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"),
          insert_body(db, "INSERT INTO request_bodies (request_id, raw_body) VALUES (?1, ?2)"),
          insert_inventory_line(
              db,
              "INSERT INTO inventory_lines (request_id, line_no, sku, source, qty,"
              " seq, last_order_exported, failure) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
          insert_shipment(db,
                          "INSERT INTO shipment_requests (request_id, order_increment_id, comment,"
                          " email, include_comment, courier_name, service_name, date_shipped,"
                          " message_seq_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
          insert_shipment_item(db,
                               "INSERT INTO shipment_items (request_id, line_no, sku, qty, source)"
                               " VALUES (?1, ?2, ?3, ?4, ?5)"),
          insert_track(db,
                       "INSERT INTO shipment_tracks (request_id, line_no, tracking_number)"
                       " VALUES (?1, ?2, ?3)"),
          insert_export_ack(db,
                            "INSERT INTO export_acks (request_id, entity, reference)"
                            " VALUES (?1, ?2, ?3)"),
          purge_grants(db, "DELETE FROM auth_grants WHERE expires_at <= ?1"),
          upsert_grant(db,
                       "INSERT INTO auth_grants (secret_hash, kind, store_code, username,"
                       " created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                       " ON CONFLICT (secret_hash) DO UPDATE SET kind = excluded.kind,"
                       " store_code = excluded.store_code, username = excluded.username,"
                       " expires_at = excluded.expires_at"),
          delete_grant(db, "DELETE FROM auth_grants WHERE secret_hash = ?1") {}

    Database db;                         // declared first: destroyed after every statement below
    std::shared_ptr<const WalFile> wal;  // the WAL this connection commits to
    Statement begin, commit, rollback, savepoint, release, rollback_to;
    Statement find_same, find_key, count_delivery, insert_request, insert_body;
    Statement insert_inventory_line, insert_shipment, insert_shipment_item, insert_track;
    Statement insert_export_ack;
    Statement purge_grants, upsert_grant, delete_grant;
};

}  // namespace

struct RequestStore::Impl {
    explicit Impl(StoreOptions opts)
        : options(std::move(opts)),
          checkpointer(options.path, options.synchronous_full),
          syncer(options.sync_wal) {
        if (options.max_batch == 0) options.max_batch = 1;
        try {
            connection = open_connection();
        } catch (const SqliteError&) {
            throw;  // already names the path and SQLite's message
        } catch (const std::exception& e) {
            throw std::runtime_error("cannot open request store " + options.path.string() + ": " +
                                     e.what());
        }
        writer = std::thread([this] {
            pthread_setname_np(pthread_self(), "ofb-writer");
            run();
        });
    }

    std::unique_ptr<WriteConnection> open_connection() {
        auto c = std::make_unique<WriteConnection>(open_write_database(options), options.path);
        ++connection_id;
        // SQLite made the WAL file when the connection first read; make its name durable.
        sync_directory(options.path.has_parent_path() ? options.path.parent_path() : ".");
        checkpointer.watch(c->db);
        return c;
    }

    // Hands a job to the writer; false when the store is closed (the job is left untouched).
    // Queues `job` for the writer; after close() answers it at once with operation_canceled.
    void submit(Job job) {
        {
            std::lock_guard lock(mutex);
            if (!stopping) {
                queue.push_back(std::move(job));
                wake.notify_one();
                return;
            }
        }
        std::visit(
            [](auto& refused) {
                if (refused.done) refused.done(std::make_error_code(std::errc::operation_canceled));
            },
            job);
    }

    void close() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        wake.notify_all();
        // Called from a callback: only stop accepting; the destructor joins.
        if (std::this_thread::get_id() == writer_id.load() || syncer.on_syncer_thread()) return;
        std::lock_guard lock(join_mutex);
        if (writer.joinable()) writer.join();
        checkpointer.stop();
    }

    void run() {
        writer_id = std::this_thread::get_id();
        std::vector<Job> batch;
        batch.reserve(options.max_batch);
        for (;;) {
            {
                std::unique_lock lock(mutex);
                wake.wait(lock, [this] { return !queue.empty() || stopping; });
                if (queue.empty()) break;  // stopping, and everything queued has been handled
                // Up to max_batch jobs, and about batch_bytes of data, so one transaction's
                // pages fit the page cache instead of spilling to the WAL before COMMIT.
                std::size_t bytes = 0;
                while (!queue.empty() && batch.size() < options.max_batch && bytes < batch_bytes) {
                    bytes += approximate_size(queue.front());
                    batch.push_back(std::move(queue.front()));
                    queue.pop_front();
                }
            }
            process(std::move(batch));
            batch = {};
            batch.reserve(options.max_batch);
        }
        syncer.stop();  // the batches handed over are synced and answered before the WAL closes
        connection.reset();
    }

    void process(std::vector<Job> batch) {
        const auto started = Clock::now();
        if (const auto lost = syncer.failure()) {
            fail_all(batch, lost);
            return;
        }
        if (!ensure_connection()) {
            fail_all(batch, open_error);
            return;
        }
        std::vector<Outcome> outcomes(batch.size());
        std::error_code batch_error;
        // Held until the batch is committed or rolled back. The turn co-owns the file's write
        // gate (write_gate.h), so on a failure it outlives the connection drop_connection()
        // closes, and nobody else in this process writes until that rollback is over.
        auto turn = connection->db.wait_write_turn();
        try {
            connection->begin.run();
            for (std::size_t i = 0; i < batch.size(); ++i) outcomes[i] = run_job(batch[i]);
            connection->commit.run();
        } catch (const SqliteError& e) {
            batch_error = e.code();
            spdlog::error("queue: batch of {} not committed, nothing acknowledged: {}",
                          batch.size(), e.what());
        } catch (const std::exception& e) {
            batch_error = sqlite::make_sqlite_error(SQLITE_ERROR);
            spdlog::error("queue: batch of {} not committed, nothing acknowledged: {}",
                          batch.size(), e.what());
        }
        if (batch_error) {
            ++failed_commits;
            drop_connection();
            turn.release();
            fail_all(batch, batch_error);
            return;
        }
        turn.release();
        ++commits;
        std::size_t stored = 0;
        std::size_t redelivered = 0;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (const auto* job = std::get_if<EnqueueJob>(&batch[i]); job && !outcomes[i].error)
                (outcomes[i].result.redelivery ? redelivered : stored) += 1;
        }
        requests += stored;
        redeliveries += redelivered;
        if (stored > 0 && options.on_commit) {
            try {
                options.on_commit();
            } catch (const std::exception& e) {
                spdlog::error("queue: on_commit hook threw: {}", e.what());
            } catch (...) {
                spdlog::error("queue: on_commit hook threw");
            }
        }
        spdlog::debug(
            "queue: committed {} jobs ({} new requests, {} re-deliveries) in {} us", batch.size(),
            stored, redelivered,
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count());
        if (!options.synchronous_full) {
            deliver_all(batch, outcomes);
            return;
        }
        // Tasks acknowledge nothing: they hear of their commit now; the rest wait for the fsync.
        std::vector<Job> durable;
        std::vector<Outcome> durable_outcomes;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (std::holds_alternative<TaskJob>(batch[i])) {
                deliver(batch[i], outcomes[i]);
            } else {
                durable.push_back(std::move(batch[i]));
                durable_outcomes.push_back(std::move(outcomes[i]));
            }
        }
        if (durable.empty()) return;
        syncer.after_sync(connection->wal, [this, batch = std::move(durable),
                                            outcomes = std::move(durable_outcomes)](
                                               std::error_code sync_error) mutable {
            if (sync_error) {
                report_durability_lost();  // before anyone hears
                fail_all(batch, sync_error);
            } else {
                ++syncs;
                deliver_all(batch, outcomes);
            }
        });
    }

    // Once, on the syncer thread, when an fdatasync failed (see the file comment).
    void report_durability_lost() {
        if (durability_lost.exchange(true) || !options.on_durability_lost) return;
        try {
            options.on_durability_lost();
        } catch (const std::exception& e) {
            spdlog::error("queue: on_durability_lost hook threw: {}", e.what());
        }
    }

    // One job inside its own savepoint. Returns the job's outcome; throws when the whole batch
    // must fail (SQLite dropped the transaction, or the connection is suspect).
    Outcome run_job(Job& job) {
        auto& c = *connection;
        c.savepoint.run();
        try {
            Outcome outcome = std::visit(overloaded{[&](EnqueueJob& j) { return apply(j); },
                                                    [&](SaveGrantJob& j) { return apply(j); },
                                                    [&](DeleteGrantJob& j) { return apply(j); },
                                                    [&](TaskJob& j) {
                                                        j.task(c.db, connection_id);
                                                        return Outcome{};
                                                    }},
                                         job);
            c.release.run();
            return outcome;
        } catch (const SqliteError& e) {
            if (!c.db.in_transaction() || sqlite::is_connection_fatal(e.primary_code())) throw;
            undo_job();
            spdlog::warn("queue: job rolled back: {}", e.what());
            return Outcome{e.code(), {}};
        } catch (const std::exception& e) {
            if (!c.db.in_transaction()) throw;
            undo_job();
            spdlog::warn("queue: job rolled back: {}", e.what());
            return Outcome{sqlite::make_sqlite_error(SQLITE_ERROR), {}};
        }
    }

    void undo_job() {
        connection->rollback_to.run();
        connection->release.run();
    }

    Outcome apply(EnqueueJob& job) {
        auto& c = *connection;
        const auto& request = job.request;
        {
            ResetOnExit reset(c.find_same);
            c.find_same.bind_no_copy(1, job.entity)
                .bind_no_copy(2, job.key)
                .bind_no_copy(3, job.body_sha256);
            if (c.find_same.step()) {
                EnqueueResult result{c.find_same.column_int64(0), true, c.find_same.column_text(1)};
                ResetOnExit reset_update(c.count_delivery);
                c.count_delivery.bind_no_copy(1, job.received_at).bind(2, result.request_id).run();
                return Outcome{{}, std::move(result)};
            }
        }
        if (!job.key.empty()) {
            ResetOnExit reset(c.find_key);
            c.find_key.bind_no_copy(1, job.entity).bind_no_copy(2, job.key);
            if (c.find_key.step()) {
                spdlog::warn(
                    "queue: {} message {} received again with a different body; storing it as a "
                    "new request (earlier request {})",
                    job.entity, loggable(job.key), c.find_key.column_int64(0));
            }
        }

        std::int64_t id = 0;
        {
            auto& s = c.insert_request;
            ResetOnExit reset(s);
            s.bind_no_copy(1, job.entity)
                .bind_no_copy(2, request.store_code)
                .bind_no_copy(3, request.wire)
                .bind_no_copy(4, job.key)
                .bind_no_copy(5, job.body_sha256)
                .bind_no_copy(6, job.reply)
                .bind(7, job.line_count)
                .bind_no_copy(8, request.remote_address)
                .bind_no_copy(9, job.received_at);
            s.step();
            id = c.db.last_insert_rowid();
        }
        {
            ResetOnExit reset(c.insert_body);
            c.insert_body.bind(1, id).bind_no_copy(2, request.masked_body).run();
        }
        std::visit(overloaded{[&](const domain::InventoryUpdate& u) { store_lines(id, u); },
                              [&](const domain::ShipmentCreate& s) { store_shipment(id, s); },
                              [&](const domain::ExportAck& a) { store_export_ack(id, a); }},
                   request.message);
        return Outcome{{}, EnqueueResult{id, false, job.reply}};
    }

    void store_lines(std::int64_t id, const domain::InventoryUpdate& update) {
        // One row per execution: multi-row VALUES measured no faster here and is harder to read.
        auto& s = connection->insert_inventory_line;
        ResetOnExit reset(s);
        std::int64_t line_no = 0;
        for (const auto& line : update.lines) {
            s.bind(1, id)
                .bind(2, ++line_no)
                .bind_no_copy(3, line.sku)
                .bind_no_copy(4, line.source)
                .bind(5, line.qty)
                .bind(6, line.seq)
                .bind_no_copy(7, line.last_order_exported)
                .bind_no_copy(8, line.failure);
            s.run();
        }
    }

    void store_shipment(std::int64_t id, const domain::ShipmentCreate& shipment) {
        auto& c = *connection;
        {
            ResetOnExit reset(c.insert_shipment);
            c.insert_shipment.bind(1, id)
                .bind_no_copy(2, shipment.order_increment_id)
                .bind_no_copy(3, shipment.comment)
                .bind(4, shipment.email)
                .bind(5, shipment.include_comment)
                .bind_no_copy(6, shipment.courier_name)
                .bind_no_copy(7, shipment.service_name)
                .bind_no_copy(8, shipment.date_shipped)
                .bind(9, shipment.message_seq_id);
            c.insert_shipment.run();
        }
        {
            ResetOnExit reset(c.insert_shipment_item);
            std::int64_t line_no = 0;
            for (const auto& item : shipment.items) {
                c.insert_shipment_item.bind(1, id)
                    .bind(2, ++line_no)
                    .bind_no_copy(3, item.sku)
                    .bind(4, item.qty)
                    .bind_no_copy(5, item.source);
                c.insert_shipment_item.run();
            }
        }
        {
            ResetOnExit reset(c.insert_track);
            std::int64_t line_no = 0;
            for (const auto& number : shipment.tracking_numbers) {
                c.insert_track.bind(1, id).bind(2, ++line_no).bind_no_copy(3, number);
                c.insert_track.run();
            }
        }
    }

    void store_export_ack(std::int64_t id, const domain::ExportAck& ack) {
        auto& s = connection->insert_export_ack;
        ResetOnExit reset(s);
        s.bind(1, id).bind(2, domain::to_string(ack.entity)).bind_no_copy(3, ack.reference);
        s.run();
    }

    Outcome apply(SaveGrantJob& job) {
        auto& c = *connection;
        {
            // Expired grants are useless; dropping them here keeps the table from growing.
            ResetOnExit reset(c.purge_grants);
            c.purge_grants.bind(1, job.now).run();
        }
        ResetOnExit reset(c.upsert_grant);
        c.upsert_grant.bind_no_copy(1, job.grant.secret_hash)
            .bind_no_copy(2, job.grant.kind)
            .bind_no_copy(3, job.grant.store_code)
            .bind_no_copy(4, job.grant.username)
            .bind_no_copy(5, job.created_at)
            .bind(6, job.grant.expires_at);
        c.upsert_grant.run();
        return {};
    }

    Outcome apply(DeleteGrantJob& job) {
        auto& c = *connection;
        ResetOnExit reset(c.delete_grant);
        c.delete_grant.bind_no_copy(1, job.secret_hash).run();
        return {};
    }

    bool ensure_connection() {
        if (connection) return true;
        const auto now = Clock::now();
        if (now < next_open_at) return false;  // still backing off: fail fast with open_error
        try {
            connection = open_connection();
            reopen_backoff = std::chrono::milliseconds(0);
            ++reopens;
            spdlog::info("queue: reopened {}", options.path.string());
            return true;
        } catch (const SqliteError& e) {
            open_error = e.code();
            spdlog::error("queue: reopening failed: {}", e.what());
        } catch (const std::exception& e) {
            open_error = sqlite::make_sqlite_error(SQLITE_CANTOPEN);
            spdlog::error("queue: reopening {} failed: {}", options.path.string(), e.what());
        }
        reopen_backoff =
            std::clamp(reopen_backoff * 2, std::chrono::milliseconds(first_reopen_backoff),
                       std::chrono::milliseconds(max_reopen_backoff));
        next_open_at = now + reopen_backoff;
        return false;
    }

    // Never reuse a handle whose commit failed: its view of what reached the disk is unreliable.
    void drop_connection() {
        if (connection && connection->db.in_transaction()) {
            try {
                connection->rollback.run();
            } catch (const std::exception& e) {
                spdlog::warn("queue: rollback after a failed batch: {}", e.what());
            }
        }
        connection.reset();
        next_open_at = Clock::time_point{};  // first re-open attempt right away
        open_error = sqlite::make_sqlite_error(SQLITE_CANTOPEN);
    }

    void fail_all(std::vector<Job>& batch, std::error_code error) {
        for (auto& job : batch) deliver(job, Outcome{error, {}});
    }

    void deliver_all(std::vector<Job>& batch, const std::vector<Outcome>& outcomes) {
        for (std::size_t i = 0; i < batch.size(); ++i) deliver(batch[i], outcomes[i]);
    }

    void deliver(Job& job, const Outcome& outcome) {
        if (outcome.error) ++failed_jobs;
        try {
            std::visit(overloaded{[&](EnqueueJob& j) {
                                      if (!j.done) return;
                                      if (outcome.error)
                                          j.done(outcome.error);
                                      else
                                          j.done(outcome.result);
                                  },
                                  [&](SaveGrantJob& j) {
                                      if (j.done) j.done(outcome.error);
                                  },
                                  [&](DeleteGrantJob& j) {
                                      if (j.done) j.done(outcome.error);
                                  },
                                  [&](TaskJob& j) {
                                      if (j.done) j.done(outcome.error);
                                  }},
                       job);
        } catch (const std::exception& e) {
            spdlog::error("queue: a completion callback threw: {}", e.what());
        } catch (...) {
            spdlog::error("queue: a completion callback threw");
        }
    }

    StoreOptions options;
    WalCheckpointer checkpointer;  // before the connection it watches
    WalSyncer syncer;              // before the writer, which hands it every committed batch

    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Job> queue;  // guarded by mutex
    bool stopping = false;  // guarded by mutex

    // Writer-thread state.
    std::unique_ptr<WriteConnection> connection;
    std::uint64_t connection_id = 0;  // bumped by every open: tasks re-prepare their statements
    Clock::time_point next_open_at{};
    std::chrono::milliseconds reopen_backoff{0};
    std::error_code open_error;

    std::atomic<std::uint64_t> commits{0}, syncs{0}, requests{0}, redeliveries{0}, failed_jobs{0},
        failed_commits{0}, reopens{0};
    std::atomic<bool> durability_lost{false};

    std::mutex join_mutex;
    std::atomic<std::thread::id> writer_id{};
    std::thread writer;  // last: started once everything above is initialised
};

RequestStore::RequestStore(StoreOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

RequestStore::~RequestStore() {
    close();
}

void RequestStore::enqueue(NewRequest request,
                           std::function<void(StoreResult<EnqueueResult>)> done) {
    EnqueueJob job;
    job.entity = std::string{domain::to_string(domain::entity_of(request.message))};
    job.key = domain::message_key(request.message);
    job.reply = domain::success_reply(request.message);
    job.body_sha256 = sha256_hex(request.masked_body);
    job.received_at = format_utc_millis(std::chrono::system_clock::now());
    job.line_count = line_count_of(request.message);
    job.request = std::move(request);
    job.done = std::move(done);
    impl_->submit(std::move(job));
}

void RequestStore::save_grant(AuthGrant grant, std::function<void(std::error_code)> done) {
    const auto now = std::chrono::system_clock::now();
    impl_->submit(
        SaveGrantJob{std::move(grant), format_utc_millis(now), unix_seconds(now), std::move(done)});
}

void RequestStore::run_in_transaction(WriterTask task, std::function<void(std::error_code)> done) {
    impl_->submit(TaskJob{std::move(task), std::move(done)});
}

void RequestStore::delete_grant(std::string secret_hash,
                                std::function<void(std::error_code)> done) {
    impl_->submit(DeleteGrantJob{std::move(secret_hash), std::move(done)});
}

std::vector<AuthGrant> RequestStore::load_grants(std::int64_t now) const {
    // A connection of its own: the write connection belongs to the writer thread.
    Database db(impl_->options.path, SQLITE_OPEN_READONLY, busy_timeout);
    Statement s(db,
                "SELECT secret_hash, kind, store_code, username, expires_at FROM auth_grants"
                " WHERE expires_at > ?1 ORDER BY expires_at");
    s.bind(1, now);
    std::vector<AuthGrant> grants;
    while (s.step()) {
        grants.push_back(AuthGrant{s.column_text(0), s.column_text(1), s.column_text(2),
                                   s.column_text(3), s.column_int64(4)});
    }
    return grants;
}

void RequestStore::close() {
    impl_->close();
}

WalCheckpointer& RequestStore::wal_checkpointer() noexcept {
    return impl_->checkpointer;
}

StoreStats RequestStore::stats() const {
    const auto& i = *impl_;
    return StoreStats{i.commits.load(),     i.syncs.load(),
                      i.requests.load(),    i.redeliveries.load(),
                      i.failed_jobs.load(), i.failed_commits.load(),
                      i.reopens.load(),     i.checkpointer.checkpoints()};
}

}  // namespace ofbridge::queue
