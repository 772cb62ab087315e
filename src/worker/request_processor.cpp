// RequestProcessor: claims inventory, shipment and export-ack requests and applies them, with every
// effect of a request (its entity's changes, the import report, the state change) in the same
// transaction (see the header). What a request changes is its applier's business
// (inventory_applier.cpp, shipment_applier.cpp); the state changes are the queue's
// (queue::RequestClaims); this file owns the transactions, savepoints and outcomes.
#include "ofbridge/worker/request_processor.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <latch>
#include <numeric>
#include <span>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <variant>

#include "export_ack_applier.h"
#include "inventory_applier.h"
#include "ofbridge/imports/import_log.h"
#include "ofbridge/queue/request_claims.h"
#include "ofbridge/queue/request_payloads.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/sqlite/transaction.h"
#include "ofbridge/storage/time_format.h"
#include "ofbridge/storage/wal_checkpointer.h"
#include "ofbridge/storage/writer.h"
#include "printable.h"
#include "shipment_applier.h"

namespace ofbridge::worker {
namespace {

using storage::sqlite::Database;
using storage::sqlite::SqliteError;
using storage::sqlite::Statement;
using storage::sqlite::Transaction;
using SystemClock = std::chrono::system_clock;

using detail::printable;

constexpr std::size_t max_error_text = 1000;  // last_error is for people; keep it bounded

// The entities this worker applies, as spelled in requests.entity.
constexpr std::string_view inventory_entity = "inventory";
constexpr std::string_view shipment_entity = "shipment";
constexpr std::string_view product_export_entity = "product_export";
constexpr std::string_view order_export_entity = "order_export";

// Thrown inside a request's savepoint when its claim now belongs to another worker.
struct LeaseLost {};

// What a claimed request's apply needs that is worked out before its write task: an inventory
// request's lines expanded from its stored body, or why they could not be (the attempt's error,
// raised inside its savepoint: failed, retried, then dead). Nothing for the other entities.
using Expanded = std::variant<std::monostate, domain::InventoryUpdate, std::string>;

// One batch's "now", in the three forms the statements need.
struct BatchTime {
    explicit BatchTime(SystemClock::time_point at)
        : now(at), seconds(storage::unix_seconds(at)), text(storage::format_utc_millis(at)) {}
    SystemClock::time_point now;
    std::int64_t seconds;
    std::string text;
};

// A standalone processor's own connection (hosted ones use the store writer's).
Database open_write_database(const WorkerOptions& options) {
    // NOMUTEX: a processor's connection is used by one thread at a time.
    Database db =
        storage::open_writable(options.database, SQLITE_OPEN_NOMUTEX, options.busy_timeout);
    // The worker's commits do not fsync (synchronous=NORMAL; WAL keeps them atomic). Nothing
    // is acknowledged on them: the WMS was answered when the request itself was committed
    // (FULL, by the store). A claim or an apply lost in a power cut leaves the request pending
    // or claimable again, with its stock, marks and report lost together (one transaction),
    // so it is applied exactly once on the next attempt. And a later durable commit (the
    // store's next group commit, a checkpoint) syncs the WAL up to itself, so every worker
    // commit before it becomes durable then, in order. Without this every batch cost two
    // fsyncs under the write lock that ingest's group commit queues behind.
    // An outbox delivery to Magento (DESIGN §6) must not start from a commit that may still be
    // lost: it has to wait for the next durable point, or a lost apply would be delivered twice.
    db.exec("PRAGMA synchronous=NORMAL");
    if (options.wal_checkpointer) options.wal_checkpointer->watch(db);
    db.exec("PRAGMA foreign_keys=ON");
    db.exec("PRAGMA temp_store=MEMORY");
    db.exec("PRAGMA cache_size=-16384");  // KiB: the marks and stock pages of hot SKUs stay cached
    storage::sqlite::migrate(db, storage::embedded_migrations());
    return db;
}

queue::LeasePolicy lease_policy(const WorkerOptions& options) {
    return queue::LeasePolicy{options.lease, options.max_attempts, options.retry_base,
                              options.retry_max};
}

// Every statement the engine runs and the appliers (with theirs), prepared once per connection:
// the processor's own, or the store writer's (see in_write_transaction).
struct Connection {
    Connection(Database& database, const WorkerOptions& options, const std::string& worker_id)
        : db(database),
          savepoint(db, "SAVEPOINT request"),
          release(db, "RELEASE request"),
          rollback_to(db, "ROLLBACK TO request"),
          claims(db, lease_policy(options), worker_id),
          import_log(db),
          inventory(db, options),
          shipments(db, options),
          export_acks(db) {}

    Database& db;
    Statement savepoint, release, rollback_to;
    queue::RequestClaims claims;  // every state transition of a request
    imports::ImportLog import_log;
    detail::InventoryApplier inventory;
    detail::ShipmentApplier shipments;
    detail::ExportAckApplier export_acks;
};

std::string bounded(std::string text) {
    if (text.size() > max_error_text) {
        text.resize(max_error_text);
        text += "...";
    }
    return text;
}

int primary_code(const std::exception& error) {
    if (const auto* e = dynamic_cast<const SqliteError*>(&error)) return e->primary_code();
    return SQLITE_OK;
}

}  // namespace

bool is_connection_fatal(const std::exception& error) noexcept {
    return storage::sqlite::is_connection_fatal(primary_code(error));
}

struct RequestProcessor::Impl {
    Impl(const WorkerOptions& opts, std::string id) : options(opts), worker_id(std::move(id)) {
        if (!options.writer) connect();
    }

    ~Impl() { disconnect(); }

    // Hosted, the statements belong to the writer's connection, which only the writer thread
    // may touch: they are finalized in a task. A closed store runs no task, but its writer
    // thread is gone by then (close() joins it).
    void disconnect() noexcept {
        bodies.reset();  // on own_database or read_database
        read_database.reset();
        if (connection && options.writer) {
            std::latch finalized(1);
            options.writer->run_in_transaction(
                [&](Database&, std::uint64_t) { connection.reset(); },
                [&](std::error_code) { finalized.count_down(); });
            finalized.wait();
        }
        connection.reset();
        own_database.reset();
    }

    void connect() {
        try {
            own_database.emplace(open_write_database(options));
            connection = std::make_unique<Connection>(*own_database, options, worker_id);
        } catch (const SqliteError&) {
            throw;  // already names the path and SQLite's message
        } catch (const std::exception& e) {
            throw std::runtime_error("cannot open worker database " + options.database.string() +
                                     ": " + e.what());
        }
    }

    // Runs `work` inside a write transaction and returns its result once that committed:
    //   standalone (no options.writer): BEGIN IMMEDIATE on this processor's own connection, COMMIT
    //   hosted: as a task on the store's writer thread, inside its group commit (run_hosted).
    template <class Work>
    auto in_write_transaction(Work&& work) -> decltype(work(std::declval<Connection&>())) {
        using Result = decltype(work(std::declval<Connection&>()));
        if (options.writer) {
            std::optional<Result> result;
            run_hosted(
                0, 1, [&](Connection& conn, std::size_t) { result.emplace(work(conn)); },
                [](std::size_t) { return true; });
            return std::move(*result);
        }
        if (!connection) connect();
        Transaction transaction(connection->db, Transaction::Mode::immediate);
        Result result = work(*connection);
        transaction.commit();
        return result;
    }

    // Runs work(connection, i) for i in [first, last) as tasks on the store's writer thread
    // (DESIGN §7: one writer), each in its own savepoint inside whichever group commit takes it,
    // and returns once all of them committed. The statements are prepared on the writer's
    // connection, again whenever it was reopened. The first exception a task threw is rethrown
    // as it was; a batch that failed as a whole throws its error.
    // prepare(i) runs on the calling thread right before task i is submitted, so the caller's
    // work for the next task overlaps the writer running the previous ones. When it returns
    // false, task i and the ones after it are not submitted: run_hosted waits for those
    // submitted and returns i (else `last`). Should it throw, likewise, and it is rethrown.
    template <class Work, class Prepare>
    std::size_t run_hosted(std::size_t first, std::size_t last, Work&& work, Prepare&& prepare) {
        const std::size_t count = last - first;
        std::latch finished(static_cast<std::ptrdiff_t>(count));
        std::vector<std::exception_ptr> thrown(count);
        std::vector<std::error_code> errors(count);
        std::exception_ptr not_prepared;
        std::size_t stopped_at = last;
        for (std::size_t i = first; i < last; ++i) {
            bool submit = false;
            try {
                submit = prepare(i);
            } catch (...) {
                not_prepared = std::current_exception();
            }
            if (!submit) {
                stopped_at = i;
                finished.count_down(static_cast<std::ptrdiff_t>(last - i));
                break;
            }
            options.writer->run_in_transaction(
                [&, i](Database& db, std::uint64_t connection_id) {
                    try {
                        work(hosted_connection(db, connection_id), i);
                    } catch (...) {
                        thrown[i - first] = std::current_exception();
                        throw;  // the store rolls the task's savepoint (or its batch) back
                    }
                },
                [&, i](std::error_code error) {
                    errors[i - first] = error;
                    finished.count_down();
                });
        }
        finished.wait();
        if (not_prepared) std::rethrow_exception(not_prepared);
        rethrow_first(thrown, errors);
        return stopped_at;
    }

    static void rethrow_first(const std::vector<std::exception_ptr>& thrown,
                              const std::vector<std::error_code>& errors) {
        for (const auto& e : thrown)
            if (e) std::rethrow_exception(e);
        for (const auto& e : errors)
            if (e) throw std::system_error(e, "the writer's transaction failed");
    }

    // The statements on the writer's connection `db` (writer thread only), prepared again when
    // the writer reopened it.
    Connection& hosted_connection(Database& db, std::uint64_t connection_id) {
        if (!connection || connection_id != hosted_connection_id) {
            connection.reset();
            connection = std::make_unique<Connection>(db, options, worker_id);
            hosted_connection_id = connection_id;
        }
        return *connection;
    }

    SystemClock::time_point now() const {
        return options.clock ? options.clock() : SystemClock::now();
    }

    ClaimBatch claim(std::size_t limit) {
        const std::int64_t now_s = storage::unix_seconds(now());
        ClaimBatch batch =
            in_write_transaction([&](Connection& conn) { return conn.claims.claim(now_s, limit); });
        for (const auto& r : batch.requests)
            spdlog::debug("request={} entity={} {}->processing worker={} attempt={}", r.id,
                          r.entity, r.previous_state, worker_id, r.attempts);
        for (const auto id : batch.given_up)
            spdlog::warn("request={} processing->dead: lease expired {} times, gave up", id,
                         options.max_attempts);
        return batch;
    }

    std::size_t release_claims_of_gone_holders() {
        if (!options.claim_holder_gone) return 0;
        const std::int64_t now_s = storage::unix_seconds(now());
        const auto released = in_write_transaction([&](Connection& conn) {
            return conn.claims.release_claims_of(options.claim_holder_gone, now_s);
        });
        std::size_t total = 0;
        for (const auto& [holder, count] : released) {
            spdlog::info("released {} claim(s) of {}: that process is gone; claimable now", count,
                         printable(holder));
            total += static_cast<std::size_t>(count);
        }
        return total;
    }

    ClaimedRequest claim_for_reprocess(std::int64_t request_id) {
        const std::int64_t now_s = storage::unix_seconds(now());
        const ClaimedRequest claimed = in_write_transaction(
            [&](Connection& conn) { return conn.claims.claim_for_reprocess(request_id, now_s); });
        spdlog::debug("request={} entity={} {}->processing worker={} attempt={} (reprocess)",
                      request_id, claimed.entity, claimed.previous_state, worker_id,
                      claimed.attempts);
        return claimed;
    }

    // Hosted, each request is a task of its own: its savepoint is then the only one open, and
    // SQLite's statement journal (the pages a savepoint would restore) is emptied after every
    // request instead of growing with the whole batch. That made draining a backlog about 15%
    // faster than one task per batch. The requests may land in different group commits; each
    // is atomic on its own, as before.
    //
    // Before its write task, on this worker's thread, each inventory request's lines are
    // expanded from its stored body (parse, decode, validate: expand_one()), so the writer's
    // thread runs only the apply's reads of marks, its decisions and its SQL. Hosted, a request
    // is expanded while the writer applies the ones before it.
    std::vector<RequestOutcome> apply(const std::vector<ClaimedRequest>& claimed) {
        std::vector<Expanded> expanded(claimed.size());
        const BatchTime at{now()};
        std::vector<RequestOutcome> outcomes(claimed.size());
        const auto apply_whole = [&](Connection& conn, std::size_t i) {
            outcomes[i] = apply_request_on(conn, claimed[i], expanded[i], at);
        };
        // Requests that are one task each, up to the first that needs slices, which then runs
        // alone (so a worker still applies its batch in receipt order).
        const auto expand_whole = [&](std::size_t i) {
            expanded[i] = expand_one(claimed[i]);
            return !needs_slices(claimed[i], expanded[i]);
        };
        std::size_t i = 0;
        while (i < claimed.size()) {
            if (options.writer) {
                i = run_hosted(i, claimed.size(), apply_whole, expand_whole);
            } else {
                std::size_t end = i;
                while (end < claimed.size() && expand_whole(end)) ++end;
                if (end > i) {
                    in_write_transaction([&](Connection& conn) {
                        for (std::size_t k = i; k < end; ++k) apply_whole(conn, k);
                        return true;
                    });
                }
                i = end;
            }
            if (i == claimed.size()) break;
            outcomes[i] =
                apply_sliced(claimed[i], std::get<domain::InventoryUpdate>(expanded[i]), at);
            ++i;
        }
        for (const auto& o : outcomes) log_outcome(o);
        return outcomes;
    }

    bool needs_slices(const ClaimedRequest& request, const Expanded& expanded) const {
        const auto* update = std::get_if<domain::InventoryUpdate>(&expanded);
        return update && (request.applied_lines > 0 || update->lines.size() > options.slice_lines);
    }

    // One run of a sliced apply (request_processor.h): its lines in (sku, source) order, message
    // order within a key; order[0, next) are applied by committed slices.
    struct SlicedRun {
        std::vector<std::size_t> order;
        std::size_t next = 0;
        std::int64_t report_id = 0;  // the run's report once its first slice wrote it
        bool started = false;        // a slice of this attempt ran
    };

    static SlicedRun sliced_run(const domain::InventoryUpdate& update, std::int64_t applied) {
        SlicedRun run;
        run.order.resize(update.lines.size());
        std::iota(run.order.begin(), run.order.end(), std::size_t{0});
        std::stable_sort(run.order.begin(), run.order.end(), [&](std::size_t a, std::size_t b) {
            const auto& x = update.lines[a];
            const auto& y = update.lines[b];
            return std::tie(x.sku, x.source) < std::tie(y.sku, y.source);
        });
        run.next = static_cast<std::size_t>(applied);
        return run;
    }

    // The end of the part of run.order that starts at `from`: whole keys, `lines` lines or
    // the few more that complete the last key.
    static std::size_t part_end(const domain::InventoryUpdate& update, const SlicedRun& run,
                                std::size_t from, std::size_t lines) {
        std::size_t end = from + 1;
        const auto same_key = [&](std::size_t a, std::size_t b) {
            const auto& x = update.lines[run.order[a]];
            const auto& y = update.lines[run.order[b]];
            return x.sku == y.sku && x.source == y.source;
        };
        while (end < run.order.size() && (end - from < lines || same_key(end - 1, end))) ++end;
        return end;
    }

    RequestOutcome apply_sliced(const ClaimedRequest& request,
                                const domain::InventoryUpdate& update, const BatchTime& at) {
        SlicedRun run = sliced_run(update, request.applied_lines);
        RequestOutcome outcome;
        if (!options.writer) {
            if (!connection) connect();
            bool finished = false;
            while (!finished) {
                Transaction transaction(connection->db, Transaction::Mode::immediate);
                const storage::SliceBudget budget{
                    options.slice_lines, std::chrono::steady_clock::now() + options.slice_time};
                finished = apply_slice_on(*connection, request, update, run, budget, at, outcome);
                transaction.commit();
            }
            return outcome;
        }
        std::latch finished(1);
        std::vector<std::exception_ptr> thrown(1);
        std::vector<std::error_code> errors(1);
        storage::WriteJob job;
        job.run_slice = [&](Database& db, std::uint64_t connection_id,
                            const storage::SliceBudget& budget) {
            try {
                return storage::SliceResult{
                    apply_slice_on(hosted_connection(db, connection_id), request, update, run,
                                   budget, at, outcome),
                    false};
            } catch (...) {
                thrown[0] = std::current_exception();
                throw;  // the writer rolls the slice (or its batch) back and ends the job
            }
        };
        job.done = [&](std::error_code error) {
            errors[0] = error;
            finished.count_down();
        };
        job.completion = storage::Completion::committed;  // nothing is acknowledged on it
        options.writer->submit(std::move(job));
        finished.wait();
        rethrow_first(thrown, errors);
        return outcome;
    }

    // One slice of a sliced run, in the caller's transaction and a savepoint of its own: parts of
    // whole keys until `budget` is spent, then the progress (or done) recorded with them. Returns
    // true when the run is over: done, failed/dead (this slice undone, the earlier ones kept) or
    // lease lost; throws as apply_request_on does.
    bool apply_slice_on(Connection& conn, const ClaimedRequest& request,
                        const domain::InventoryUpdate& update, SlicedRun& run,
                        const storage::SliceBudget& budget, const BatchTime& at,
                        RequestOutcome& outcome) {
        bool done = false;
        imports::ReportCounts report;
        std::size_t next = run.next;
        std::int64_t report_id = run.report_id;
        auto failed = in_request_savepoint(conn, request, storage::unix_seconds(now()), [&] {
            if (run.next >= run.order.size())
                throw std::runtime_error("request " + std::to_string(request.id) + " records " +
                                         std::to_string(run.next) + " applied lines of " +
                                         std::to_string(run.order.size()));
            if (!run.started && options.test_hooks.before_apply)
                options.test_hooks.before_apply(request.id);
            if (options.test_hooks.before_slice)
                options.test_hooks.before_slice(conn.db, request.id,
                                                static_cast<std::int64_t>(next));
            if (report_id == 0 && next > 0) {  // a run cut short: resumed, adding to its report
                report_id = conn.import_log.newest_report_of(request.id);
                if (report_id == 0) {
                    // Removed by hand (retention keeps the reports of requests not done): run
                    // again from the first line with a new report. The lines applied before
                    // come out Duplicate against their marks; nothing is applied twice.
                    spdlog::warn(
                        "request={} resumes after {} applied lines, but its import report is "
                        "gone: applying it again from the first line with a new report",
                        request.id, next);
                    next = 0;
                }
            }
            std::size_t lines = 0;
            while (next < run.order.size() && !budget.spent(lines)) {
                constexpr std::size_t part_lines = 64;  // how often a slice looks at the clock
                const std::size_t end =
                    part_end(update, run, next, std::min(part_lines, budget.max_rows - lines));
                report = conn.inventory.apply_part(
                    request.id, update,
                    std::span<const std::size_t>(run.order).subspan(next, end - next), report_id,
                    at.now, at.text, conn.import_log);
                report_id = report.report_id;
                lines += end - next;
                next = end;
            }
            done = next == run.order.size();
            const bool held =
                done ? conn.claims.mark_done(request.id)
                     : conn.claims.record_slice(request.id, static_cast<std::int64_t>(next),
                                                storage::unix_seconds(now()));
            if (!held) throw LeaseLost{};
        });
        run.started = true;
        if (failed) {
            outcome = std::move(*failed);
            return true;
        }
        run.next = next;  // the next slice goes on from here
        run.report_id = report_id;
        outcome = RequestOutcome{};
        outcome.request_id = request.id;
        outcome.entity = request.entity;
        if (!done) return false;
        set_done(outcome, report);
        return true;
    }

    static void set_done(RequestOutcome& outcome, const imports::ReportCounts& report) {
        outcome.state = "done";
        outcome.report_id = report.report_id;
        outcome.successes = report.successes;
        outcome.duplicates = report.duplicates;
        outcome.superseded = report.superseded;
        outcome.failures = report.failures;
    }

    // A claimed inventory request's lines, read from its stored body on a connection that is not
    // the writer's (hosted: a read-only one of this processor; standalone: its own, between
    // transactions) and expanded through codec::expand_inventory. The claim committed, so the
    // body is there to read (bodies of requests not done are never pruned). A body that cannot
    // be expanded is that request's error; a storage error fails the batch as a whole.
    Expanded expand_one(const ClaimedRequest& claimed) {
        if (claimed.entity != inventory_entity) return {};
        try {
            return body_reader().inventory(claimed.id);
        } catch (const SqliteError&) {
            throw;
        } catch (const std::exception& e) {
            return std::string{e.what()};
        }
    }

    queue::RequestPayloads& body_reader() {
        if (!bodies) {
            if (options.writer) {
                read_database.emplace(storage::open_read_only(
                    options.database, storage::latest_schema_version(), "request queue",
                    "start the broker once to upgrade it"));
            } else if (!connection) {
                connect();
            }
            bodies = std::make_unique<queue::RequestPayloads>(options.writer ? *read_database
                                                                             : *own_database);
        }
        return *bodies;
    }

    // One request in its own savepoint: done, failed/dead (its effects undone), or untouched
    // when the lease was lost.
    RequestOutcome apply_request_on(Connection& conn, const ClaimedRequest& request,
                                    const Expanded& expanded, const BatchTime& at) {
        RequestOutcome outcome;
        outcome.request_id = request.id;
        outcome.entity = request.entity;
        if (auto failed = in_request_savepoint(conn, request, at.seconds, [&] {
                apply_one(conn, request, expanded, at.now, at.text, outcome);
            }))
            return std::move(*failed);
        return outcome;
    }

    // Runs body() in the request's savepoint, released when it returns (nullopt). When it
    // throws, the savepoint is undone and the outcome returned: the lease lost (nothing
    // written), or failed/dead (record_failure, at now_s). An error after which SQLite
    // abandoned the transaction, or the connection is suspect, is thrown instead: the batch
    // fails as a whole (leases expire, requests are retried).
    template <class Body>
    std::optional<RequestOutcome> in_request_savepoint(Connection& conn,
                                                       const ClaimedRequest& request,
                                                       std::int64_t now_s, Body&& body) {
        conn.savepoint.run();
        try {
            body();
            conn.release.run();
            return std::nullopt;
        } catch (const LeaseLost&) {
            undo_request(conn);
            RequestOutcome outcome;
            outcome.request_id = request.id;
            outcome.entity = request.entity;
            outcome.lease_lost = true;
            return outcome;
        } catch (const std::exception& e) {
            if (!conn.db.in_transaction() || is_connection_fatal(e)) throw;
            undo_request(conn);
            return record_failure(conn, request, now_s, e.what());
        } catch (...) {
            if (!conn.db.in_transaction()) throw;
            undo_request(conn);
            return record_failure(conn, request, now_s, "unknown error (not an exception)");
        }
    }

    void undo_request(Connection& conn) {
        conn.rollback_to.run();
        conn.release.run();
    }

    void apply_one(Connection& conn, const ClaimedRequest& request, const Expanded& expanded,
                   SystemClock::time_point now_tp, const std::string& now_text,
                   RequestOutcome& outcome) {
        // State first: if the claim is no longer ours nothing else is worth doing.
        if (!conn.claims.mark_done(request.id)) throw LeaseLost{};
        if (options.test_hooks.before_apply) options.test_hooks.before_apply(request.id);
        imports::ReportCounts report;
        if (request.entity == shipment_entity)
            report = conn.shipments.apply(request.id, now_text, conn.import_log);
        else if (request.entity == inventory_entity)
            report = conn.inventory.apply(request.id, inventory_lines(request, expanded), now_tp,
                                          now_text, conn.import_log);
        else if (request.entity == product_export_entity || request.entity == order_export_entity)
            report = conn.export_acks.apply(request.id, now_text, conn.import_log);
        else  // claim() never takes another entity; a reprocess refuses it
            throw std::logic_error("request " + std::to_string(request.id) + " is a(n) " +
                                   request.entity + " request, which the worker does not apply");
        set_done(outcome, report);
    }

    static const domain::InventoryUpdate& inventory_lines(const ClaimedRequest& request,
                                                          const Expanded& expanded) {
        if (const auto* update = std::get_if<domain::InventoryUpdate>(&expanded)) return *update;
        if (const auto* error = std::get_if<std::string>(&expanded))
            throw std::runtime_error(*error);
        throw std::logic_error("inventory request " + std::to_string(request.id) +
                               " was not expanded before its apply");
    }

    RequestOutcome record_failure(Connection& conn, const ClaimedRequest& request,
                                  std::int64_t now_s, const std::string& error) {
        RequestOutcome outcome;
        outcome.request_id = request.id;
        outcome.entity = request.entity;
        outcome.error = bounded(error);
        outcome.state = conn.claims.mark_failed(request, now_s, outcome.error);
        if (outcome.state.empty()) outcome.lease_lost = true;
        return outcome;
    }

    void log_outcome(const RequestOutcome& o) {
        if (o.lease_lost) {
            spdlog::warn(
                "request={} entity={} lease lost by worker={}: another worker holds it "
                "now; this worker's result was discarded",
                o.request_id, o.entity, worker_id);
        } else if (o.state == "done") {
            spdlog::debug(
                "request={} entity={} processing->done report={} success={} duplicate={} "
                "superseded={} failure={}",
                o.request_id, o.entity, o.report_id, o.successes, o.duplicates, o.superseded,
                o.failures);
        } else {
            spdlog::warn("request={} entity={} processing->{} worker={} error={}", o.request_id,
                         o.entity, o.state, worker_id, printable(o.error));
        }
    }

    std::optional<SystemClock::time_point> next_scheduled_event() {
        const auto read = [](Connection& conn) -> std::optional<SystemClock::time_point> {
            const auto at = conn.claims.next_scheduled_event();
            if (!at) return std::nullopt;
            return SystemClock::time_point{std::chrono::seconds{*at}};
        };
        if (options.writer) return in_write_transaction(read);
        if (!connection) connect();
        return read(*connection);  // a read: no write transaction of its own
    }

    WorkerOptions options;
    std::string worker_id;
    std::optional<Database> own_database;    // standalone only; outlives the statements below
    std::unique_ptr<Connection> connection;  // on own_database, or on the store writer's
    // Where stored bodies are read before an apply: hosted, a read-only connection of this
    // processor's (never the writer's); standalone, own_database.
    std::optional<Database> read_database;
    std::unique_ptr<queue::RequestPayloads> bodies;
    std::uint64_t hosted_connection_id = 0;  // the writer connection `connection` was made on
};

RequestProcessor::RequestProcessor(const WorkerOptions& options, std::string worker_id)
    : impl_(std::make_unique<Impl>(options, std::move(worker_id))) {}

RequestProcessor::~RequestProcessor() = default;

const std::string& RequestProcessor::worker_id() const noexcept {
    return impl_->worker_id;
}

ClaimBatch RequestProcessor::claim(std::size_t limit) {
    return impl_->claim(limit);
}

std::size_t RequestProcessor::release_claims_of_gone_holders() {
    return impl_->release_claims_of_gone_holders();
}

ClaimedRequest RequestProcessor::claim_for_reprocess(std::int64_t request_id) {
    return impl_->claim_for_reprocess(request_id);
}

std::vector<RequestOutcome> RequestProcessor::apply(const std::vector<ClaimedRequest>& claimed) {
    return impl_->apply(claimed);
}

std::optional<std::chrono::system_clock::time_point> RequestProcessor::next_scheduled_event() {
    return impl_->next_scheduled_event();
}

void RequestProcessor::disconnect() noexcept {
    impl_->disconnect();  // hosted: prepared again on the writer's connection next time
}

}  // namespace ofbridge::worker
