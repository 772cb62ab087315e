// The group-committing writer (see writer.h for the contract and the loop).
//
// Failures: if BEGIN or COMMIT fails, or SQLite abandons the transaction mid-batch, every job of
// the batch gets the error and the connection is dropped; the next batch opens a fresh one
// (fsyncgate: a handle whose commit failed is never trusted again). While re-opening fails,
// batches fail at once and the next attempt waits a growing backoff. A failed fdatasync is
// different: frames already committed may never reach the disk, so the writer stops
// acknowledging for good (every later batch fails) and calls on_durability_lost; the broker has
// to restart and recover.
#include "ofbridge/storage/writer.h"

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
#include <vector>

#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/wal_checkpointer.h"
#include "ofbridge/storage/wal_syncer.h"

namespace ofbridge::storage {
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

// Makes a new directory entry durable: SQLite syncs the file's contents, not its name.
void sync_directory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        spdlog::warn("storage: cannot open directory {} to fsync it: {}", dir.string(),
                     std::strerror(errno));
        return;
    }
    if (::fsync(fd) != 0)
        spdlog::warn("storage: fsync of directory {} failed: {}", dir.string(),
                     std::strerror(errno));
    ::close(fd);
}

Database open_write_database(const WriterOptions& options) {
    const auto& path = options.path;
    if (path.has_parent_path()) create_data_directory(path.parent_path());
    const bool existed = std::filesystem::exists(path);
    // NOMUTEX: only the writer thread uses this connection, jobs included: they prepare and
    // finalize their statements on it there too.
    Database db = open_writable(path, SQLITE_OPEN_NOMUTEX, busy_timeout);
    // FULL durability comes from the WalSyncer's fdatasync after COMMIT, off the write lock.
    db.exec("PRAGMA synchronous=NORMAL");
    db.exec("PRAGMA foreign_keys=ON");
    db.exec("PRAGMA temp_store=MEMORY");
    // KiB: 16 MiB of page cache, shared by ingest and the workers' jobs (the stock and mark
    // pages of hot SKUs stay cached).
    db.exec("PRAGMA cache_size=-16384");
    db.exec(
        "PRAGMA journal_size_limit=67108864");  // trim the WAL back to 64 MiB after a checkpoint
    sqlite::migrate(db, embedded_migrations());
    if (!existed) sync_directory(path.has_parent_path() ? path.parent_path() : ".");
    if (options.on_connection_open) options.on_connection_open(db);
    return db;
}

// The write connection with the statements the writer itself needs, prepared once.
struct WriteConnection {
    WriteConnection(Database database, const std::filesystem::path& path)
        : db(std::move(database)),
          wal(std::make_shared<const WalFile>(path)),
          begin(db, "BEGIN IMMEDIATE"),
          commit(db, "COMMIT"),
          rollback(db, "ROLLBACK"),
          savepoint(db, "SAVEPOINT job"),
          release(db, "RELEASE job"),
          rollback_to(db, "ROLLBACK TO job") {}

    Database db;                         // declared first: destroyed after every statement below
    std::shared_ptr<const WalFile> wal;  // the WAL this connection commits to
    Statement begin, commit, rollback, savepoint, release, rollback_to;
};

struct Outcome {
    std::error_code error;
    bool new_work = false;
    bool unfinished = false;  // a sliced job with slices left: back to the queue, no completion
};

}  // namespace

struct Writer::Impl {
    explicit Impl(WriterOptions opts)
        : options(std::move(opts)),
          checkpointer(options.path, options.synchronous_full),
          syncer(options.sync_wal) {
        if (options.max_batch == 0) options.max_batch = 1;
        if (options.slice_rows == 0) options.slice_rows = 1;
        try {
            connection = open_connection();
        } catch (const SqliteError&) {
            throw;  // already names the path and SQLite's message
        } catch (const std::exception& e) {
            throw std::runtime_error("cannot open database " + options.path.string() + ": " +
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

    // Queues `job` for the writer; after close() answers it at once with operation_canceled.
    void submit(WriteJob job) {
        {
            std::lock_guard lock(mutex);
            if (!stopping) {
                job.slices_at_submit = slices.load();
                queue.push_back(std::move(job));
                wake.notify_one();
                return;
            }
        }
        if (job.done) job.done(std::make_error_code(std::errc::operation_canceled));
    }

    void close() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        wake.notify_all();
        // Called from a completion: only stop accepting; the destructor joins.
        if (std::this_thread::get_id() == writer_id.load() || syncer.on_syncer_thread()) return;
        std::lock_guard lock(join_mutex);
        if (writer.joinable()) writer.join();
        checkpointer.stop();
    }

    void run() {
        writer_id = std::this_thread::get_id();
        std::vector<WriteJob> batch;
        batch.reserve(options.max_batch);
        for (;;) {
            {
                std::unique_lock lock(mutex);
                wake.wait(lock, [this] { return !queue.empty() || stopping; });
                if (queue.empty()) break;  // stopping, and everything queued has been handled
                // Up to max_batch jobs, and about batch_bytes of data, so one transaction's
                // pages fit the page cache instead of spilling to the WAL before COMMIT.
                // A slice of a sliced job runs in a batch of its own, so the jobs that came in
                // while the previous slice ran commit ahead of the next one.
                // A batch holds one kind of job: acks (durable), or work nobody waits on beyond
                // its commit, taken in queue order past the jobs of the other kind (see
                // may_run_past_budget for why the two are kept apart, next_kind_is_acks for
                // which kind goes next).
                std::size_t bytes = 0;
                const bool acks = next_kind_is_acks();
                last_batch_acks = acks;
                for (std::size_t k = 0;
                     k < queue.size() && batch.size() < options.max_batch && bytes < batch_bytes;) {
                    if (queue[k].run_slice && (k > 0 || !batch.empty())) break;
                    const bool slice = static_cast<bool>(queue[k].run_slice);
                    if (!slice && is_ack(queue[k]) != acks) {
                        ++k;
                        continue;
                    }
                    bytes += queue[k].approximate_bytes;
                    batch.push_back(std::move(queue[k]));
                    queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(k));
                    if (slice) break;
                }
            }
            process(std::move(batch));
            batch = {};
            batch.reserve(options.max_batch);
        }
        syncer.stop();  // the batches handed over are synced and answered before the WAL closes
        connection.reset();
    }

    void process(std::vector<WriteJob> batch) {
        const auto started = Clock::now();
        if (const auto lost = syncer.failure()) {
            fail_all(batch, lost);
            return;
        }
        if (!ensure_connection()) {
            fail_all(batch, open_error);
            return;
        }
        std::vector<Outcome> outcomes;
        outcomes.reserve(batch.size());
        const bool acks_in_batch = std::any_of(batch.begin(), batch.end(), waited_for);
        std::error_code batch_error;
        try {
            connection->begin.run();
            for (std::size_t i = 0;; ++i) {
                if (i == batch.size() && !take_unwaited(batch, acks_in_batch, started)) break;
                outcomes.push_back(run_job(batch[i]));
                if (i + 1 < batch.size() && Clock::now() - started >= options.batch_budget &&
                    !may_run_past_budget(batch[i + 1], acks_in_batch, started)) {
                    give_back(batch, i + 1);  // budget spent: the rest go in the next batch
                    ++budget_cuts;
                    break;
                }
            }
            outcomes.resize(batch.size());
            connection->commit.run();
        } catch (const SqliteError& e) {
            batch_error = e.code();
            spdlog::error("storage: batch of {} not committed, nothing acknowledged: {}",
                          batch.size(), e.what());
        } catch (const std::exception& e) {
            batch_error = sqlite::make_sqlite_error(SQLITE_ERROR);
            spdlog::error("storage: batch of {} not committed, nothing acknowledged: {}",
                          batch.size(), e.what());
        }
        if (batch_error) {
            ++failed_commits;
            drop_connection();
            fail_all(batch, batch_error);
            return;
        }
        ++commits;
        note_slices_waited(batch);
        requeue_unfinished(batch, outcomes);
        for (std::size_t i = 0; i < batch.size(); ++i)
            if (batch[i].committed && !outcomes[i].error) batch[i].committed();
        const bool new_work = std::any_of(outcomes.begin(), outcomes.end(),
                                          [](const Outcome& o) { return o.new_work; });
        if (new_work && options.on_commit) {
            try {
                options.on_commit();
            } catch (const std::exception& e) {
                spdlog::error("storage: on_commit hook threw: {}", e.what());
            } catch (...) {
                spdlog::error("storage: on_commit hook threw");
            }
        }
        spdlog::debug(
            "storage: committed {} jobs in {} us", batch.size(),
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count());
        if (!options.synchronous_full) {
            deliver_all(batch, outcomes);
            return;
        }
        // Jobs that acknowledge nothing hear of their commit now; the rest wait for the fsync.
        std::vector<WriteJob> durable;
        std::vector<Outcome> durable_outcomes;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (batch[i].completion == Completion::committed) {
                deliver(batch[i], outcomes[i]);
            } else {
                durable.push_back(std::move(batch[i]));
                durable_outcomes.push_back(outcomes[i]);
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

    // A job whose completion someone waits on beyond its commit: an ack (durable), or a slice
    // of big work, which must let the jobs queued behind it commit between its slices.
    static bool waited_for(const WriteJob& job) {
        return job.completion == Completion::durable || static_cast<bool>(job.run_slice);
    }

    // Whether a batch whose budget is spent may still run `next`, a job nobody waits on (the
    // workers' claims and applies, which acknowledge nothing), in the same commit. Every commit
    // writes each page it dirtied to the WAL again, and consecutive applies dirty the same pages
    // (a SKU's stock row, its import lines' index leaf), so one commit for several applies
    // writes, syncs and checkpoints those pages once instead of once per apply. It may when
    // nobody waits for this commit or for the writer (no ack in the batch, none queued), or
    // when the WAL syncer is busy: an ack committed now would wait for that sync to end anyway,
    // and the batch is cut at the first job boundary after it has. Either way only up to
    // unwaited_budget; what is submitted meanwhile waits for the job in progress only.
    bool may_run_past_budget(const WriteJob& next, bool acks_in_batch, Clock::time_point started) {
        if (waited_for(next)) return false;
        return may_extend(acks_in_batch, started);
    }

    // may_run_past_budget, the next job's kind aside.
    bool may_extend(bool acks_in_batch, Clock::time_point started) {
        if (Clock::now() - started >= options.unwaited_budget) return false;
        if (syncer.busy()) return true;
        if (acks_in_batch) return false;
        std::lock_guard lock(mutex);
        return std::none_of(queue.begin(), queue.end(), waited_for);
    }

    // Once a batch's jobs have run: adds the next queued job to it when that one may run past
    // the budget (above), so the workers' applies submitted while the batch ran share its
    // commit. Returns whether it did.
    bool take_unwaited(std::vector<WriteJob>& batch, bool acks_in_batch,
                       Clock::time_point started) {
        // A slice's batch stays its own (writer.h); a batch of acks takes no other work.
        if (acks_in_batch || batch.size() >= options.max_batch) return false;
        if (!may_extend(acks_in_batch, started)) return false;
        std::lock_guard lock(mutex);
        for (auto it = queue.begin(); it != queue.end(); ++it) {
            if (it->run_slice) return false;  // what is behind a slice waits for it
            if (is_ack(*it)) continue;
            batch.push_back(std::move(*it));
            queue.erase(it);
            return true;
        }
        return false;
    }

    // With both kinds queued, the other kind than the last batch's, so neither waits behind
    // more than one batch of the other (unrun jobs given back go to the front of the queue);
    // otherwise the front job's. Called with the mutex held.
    bool next_kind_is_acks() const {
        if (queue.front().run_slice) return false;  // taken alone whatever its kind
        bool acks = false, rest = false;
        for (const auto& job : queue) {
            if (job.run_slice) break;
            (is_ack(job) ? acks : rest) = true;
        }
        if (acks && rest) return !last_batch_acks;
        return acks;
    }

    static bool is_ack(const WriteJob& job) {
        return job.completion == Completion::durable && !job.run_slice;
    }

    // WriterStats::max_slices_waited, after a COMMIT.
    void note_slices_waited(const std::vector<WriteJob>& batch) {
        const auto now = slices.load();
        for (const auto& job : batch) {
            if (job.run_slice) continue;
            const auto waited = now - job.slices_at_submit;
            if (waited > max_slices_waited.load()) max_slices_waited = waited;
        }
    }

    // Puts batch[from..] back at the front of the queue, in order, and drops them from the batch.
    void give_back(std::vector<WriteJob>& batch, std::size_t from) {
        {
            std::lock_guard lock(mutex);
            for (std::size_t i = batch.size(); i-- > from;) queue.push_front(std::move(batch[i]));
        }
        batch.erase(batch.begin() + static_cast<std::ptrdiff_t>(from), batch.end());
    }

    // Sliced jobs with slices left go to the back of the queue, behind whatever was submitted
    // while their slice ran; they leave the batch (no completion yet). Runs after COMMIT.
    void requeue_unfinished(std::vector<WriteJob>& batch, std::vector<Outcome>& outcomes) {
        if (std::none_of(outcomes.begin(), outcomes.end(),
                         [](const Outcome& o) { return o.unfinished; }))
            return;
        std::vector<WriteJob> kept;
        std::vector<Outcome> kept_outcomes;
        {
            std::lock_guard lock(mutex);
            for (std::size_t i = 0; i < batch.size(); ++i) {
                if (outcomes[i].unfinished) {
                    queue.push_back(std::move(batch[i]));
                } else {
                    kept.push_back(std::move(batch[i]));
                    kept_outcomes.push_back(outcomes[i]);
                }
            }
        }
        batch = std::move(kept);
        outcomes = std::move(kept_outcomes);
    }

    // Once, on the syncer thread, when an fdatasync failed (see the file comment).
    void report_durability_lost() {
        if (durability_lost.exchange(true) || !options.on_durability_lost) return;
        try {
            options.on_durability_lost();
        } catch (const std::exception& e) {
            spdlog::error("storage: on_durability_lost hook threw: {}", e.what());
        }
    }

    // One job inside its own savepoint. Returns the job's outcome; throws when the whole batch
    // must fail (SQLite dropped the transaction, or the connection is suspect).
    Outcome run_job(WriteJob& job) {
        auto& c = *connection;
        c.savepoint.run();
        try {
            Outcome outcome;
            if (job.run_slice) {
                const auto slice_started = Clock::now();
                ++slices;
                const auto result = job.run_slice(
                    c.db, connection_id,
                    SliceBudget{options.slice_rows, slice_started + options.batch_budget});
                outcome.new_work = result.new_work;
                outcome.unfinished = !result.finished;
            } else if (job.run) {
                outcome.new_work = job.run(c.db, connection_id);
            }
            c.release.run();
            return outcome;
        } catch (const SqliteError& e) {
            if (!c.db.in_transaction() || sqlite::is_connection_fatal(e.primary_code())) throw;
            undo_job();
            spdlog::warn("storage: job rolled back: {}", e.what());
            return Outcome{e.code(), false};
        } catch (const std::exception& e) {
            if (!c.db.in_transaction()) throw;
            undo_job();
            spdlog::warn("storage: job rolled back: {}", e.what());
            return Outcome{sqlite::make_sqlite_error(SQLITE_ERROR), false};
        }
    }

    void undo_job() {
        connection->rollback_to.run();
        connection->release.run();
    }

    bool ensure_connection() {
        if (connection) return true;
        const auto now = Clock::now();
        if (now < next_open_at) return false;  // still backing off: fail fast with open_error
        try {
            connection = open_connection();
            reopen_backoff = std::chrono::milliseconds(0);
            ++reopens;
            spdlog::info("storage: reopened {}", options.path.string());
            return true;
        } catch (const SqliteError& e) {
            open_error = e.code();
            spdlog::error("storage: reopening failed: {}", e.what());
        } catch (const std::exception& e) {
            open_error = sqlite::make_sqlite_error(SQLITE_CANTOPEN);
            spdlog::error("storage: reopening {} failed: {}", options.path.string(), e.what());
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
                spdlog::warn("storage: rollback after a failed batch: {}", e.what());
            }
        }
        connection.reset();
        next_open_at = Clock::time_point{};  // first re-open attempt right away
        open_error = sqlite::make_sqlite_error(SQLITE_CANTOPEN);
    }

    void fail_all(std::vector<WriteJob>& batch, std::error_code error) {
        for (auto& job : batch) deliver(job, Outcome{error, false});
    }

    void deliver_all(std::vector<WriteJob>& batch, const std::vector<Outcome>& outcomes) {
        for (std::size_t i = 0; i < batch.size(); ++i) deliver(batch[i], outcomes[i]);
    }

    void deliver(WriteJob& job, const Outcome& outcome) {
        if (outcome.error) ++failed_jobs;
        if (!job.done) return;
        try {
            job.done(outcome.error);
        } catch (const std::exception& e) {
            spdlog::error("storage: a completion threw: {}", e.what());
        } catch (...) {
            spdlog::error("storage: a completion threw");
        }
    }

    WriterOptions options;
    WalCheckpointer checkpointer;  // before the connection it watches
    WalSyncer syncer;              // before the writer, which hands it every committed batch

    std::mutex mutex;
    std::condition_variable wake;
    std::deque<WriteJob> queue;  // guarded by mutex
    bool stopping = false;       // guarded by mutex

    // Writer-thread state.
    std::unique_ptr<WriteConnection> connection;
    bool last_batch_acks = false;     // the kind of the last batch taken
    std::uint64_t connection_id = 0;  // bumped by every open: jobs re-prepare their statements
    Clock::time_point next_open_at{};
    std::chrono::milliseconds reopen_backoff{0};
    std::error_code open_error;

    std::atomic<std::uint64_t> commits{0}, syncs{0}, failed_jobs{0}, failed_commits{0}, reopens{0},
        slices{0}, budget_cuts{0}, max_slices_waited{0};
    std::atomic<bool> durability_lost{false};

    std::mutex join_mutex;
    std::atomic<std::thread::id> writer_id{};
    std::thread writer;  // last: started once everything above is initialised
};

Writer::Writer(WriterOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Writer::~Writer() {
    close();
}

void Writer::submit(WriteJob job) {
    impl_->submit(std::move(job));
}

void Writer::run_in_transaction(WriterTask task, std::function<void(std::error_code)> done) {
    WriteJob job;
    job.run = [task = std::move(task)](sqlite::Database& db, std::uint64_t connection_id) {
        task(db, connection_id);
        return false;
    };
    job.done = std::move(done);
    job.completion = Completion::committed;
    impl_->submit(std::move(job));
}

void Writer::close() {
    impl_->close();
}

const std::filesystem::path& Writer::path() const noexcept {
    return impl_->options.path;
}

WalCheckpointer& Writer::wal_checkpointer() noexcept {
    return impl_->checkpointer;
}

WriterStats Writer::stats() const {
    const auto& i = *impl_;
    return WriterStats{i.commits.load(),        i.syncs.load(),       i.failed_jobs.load(),
                       i.failed_commits.load(), i.reopens.load(),     i.checkpointer.checkpoints(),
                       i.slices.load(),         i.budget_cuts.load(), i.max_slices_waited.load()};
}

}  // namespace ofbridge::storage
