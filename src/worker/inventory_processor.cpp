// InventoryProcessor: claims inventory requests and applies them, with every effect of a request
// (stock, marks, import report, state change) in the same transaction (see the header).
//
// Why the rule holds with any number of workers and broker instances: apply() runs in BEGIN
// IMMEDIATE, so SQLite lets one writer at a time through, and the marks are read inside that
// write transaction. A worker therefore always decides against the latest committed marks; the
// conditional upserts (only ever raise a mark / a stock level's seq) are a second guard.
#include "ofbridge/worker/inventory_processor.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "ofbridge/domain/sequence_policy.h"
#include "ofbridge/domain/stock_level.h"
#include "ofbridge/queue/schema.h"
#include "ofbridge/queue/sqlite/database.h"
#include "ofbridge/queue/sqlite/migrations.h"
#include "ofbridge/queue/sqlite/statement.h"
#include "ofbridge/queue/sqlite/transaction.h"
#include "ofbridge/queue/time_format.h"

namespace ofbridge::worker {
namespace {

using queue::sqlite::Database;
using queue::sqlite::SqliteError;
using queue::sqlite::Statement;
using queue::sqlite::Transaction;
using SystemClock = std::chrono::system_clock;

constexpr std::string_view inventory_entity = "inventory";
constexpr std::size_t max_error_text = 1000;  // last_error is for people; keep it bounded

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

// Thrown inside a request's savepoint when its claim now belongs to another worker.
struct LeaseLost {};

Database open_write_database(const WorkerOptions& options) {
    // NOMUTEX: a processor's connection is used by one thread at a time.
    Database db(options.database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                options.busy_timeout);
    const std::string mode = db.query_text("PRAGMA journal_mode=WAL");
    if (mode != "wal")
        throw std::runtime_error(options.database.string() +
                                 ": cannot use WAL journal mode (got '" + mode + "')");
    db.exec(options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    db.exec("PRAGMA foreign_keys=ON");
    db.exec("PRAGMA temp_store=MEMORY");
    db.exec("PRAGMA cache_size=-16384");  // KiB: the marks and stock pages of hot SKUs stay cached
    queue::sqlite::migrate(db, queue::embedded_migrations());
    return db;
}

// The connection and every statement the worker runs, prepared once per connection.
struct Connection {
    explicit Connection(Database database)
        : db(std::move(database)),
          savepoint(db, "SAVEPOINT request"),
          release(db, "RELEASE request"),
          rollback_to(db, "ROLLBACK TO request"),
          // Three ranges of requests_claim (entity, state, id), merged in id order; LIMIT
          // stops the merge early, so a long backlog is never sorted as a whole.
          claimable(db,
                    "SELECT id, state, attempts FROM requests"
                    " WHERE entity = 'inventory' AND state = 'pending'"
                    " UNION ALL SELECT id, state, attempts FROM requests"
                    " WHERE entity = 'inventory' AND state = 'failed' AND next_attempt_at <= ?1"
                    " UNION ALL SELECT id, state, attempts FROM requests"
                    " WHERE entity = 'inventory' AND state = 'processing'"
                    " AND lease_expires_at <= ?1"
                    " ORDER BY id LIMIT ?2"),
          claim(db,
                "UPDATE requests SET state = 'processing', claimed_by = ?2,"
                " lease_expires_at = ?3, attempts = ?4, next_attempt_at = NULL WHERE id = ?1"),
          give_up(db,
                  "UPDATE requests SET state = 'dead', claimed_by = NULL,"
                  " lease_expires_at = NULL, next_attempt_at = NULL, last_error = ?2"
                  " WHERE id = ?1"),
          request_state(db,
                        "SELECT entity, state, claimed_by, lease_expires_at, attempts"
                        " FROM requests WHERE id = ?1"),
          next_event(db,
                     "SELECT min(t) FROM ("
                     " SELECT min(next_attempt_at) AS t FROM requests"
                     " WHERE entity = 'inventory' AND state = 'failed'"
                     " UNION ALL SELECT min(lease_expires_at) FROM requests"
                     " WHERE entity = 'inventory' AND state = 'processing')"),
          lines(db,
                "SELECT line_no, sku, source, qty, seq, last_order_exported"
                " FROM inventory_lines WHERE request_id = ?1 ORDER BY line_no"),
          product_exists(db, "SELECT 1 FROM products WHERE sku = ?1"),
          mark(db, "SELECT high_water_seq FROM sequence_marks WHERE sku = ?1 AND source = ?2"),
          // The common case, a key seen before, is one seek: UPDATE. The upserts below
          // handle a key's first record (and keep the guard if two ever raced).
          update_stock(db,
                       "UPDATE stock_levels SET qty = ?3, is_in_stock = ?4, last_seq = ?5,"
                       " updated_at = ?6 WHERE sku = ?1 AND source = ?2 AND last_seq < ?5"),
          update_mark(db,
                      "UPDATE sequence_marks SET high_water_seq = ?3, updated_at = ?4"
                      " WHERE sku = ?1 AND source = ?2 AND high_water_seq < ?3"),
          upsert_stock(db,
                       "INSERT INTO stock_levels (sku, source, qty, is_in_stock, last_seq,"
                       " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                       " ON CONFLICT (sku, source) DO UPDATE SET qty = excluded.qty,"
                       " is_in_stock = excluded.is_in_stock, last_seq = excluded.last_seq,"
                       " updated_at = excluded.updated_at"
                       " WHERE excluded.last_seq > stock_levels.last_seq"),
          upsert_mark(db,
                      "INSERT INTO sequence_marks (sku, source, high_water_seq, updated_at)"
                      " VALUES (?1, ?2, ?3, ?4)"
                      " ON CONFLICT (sku, source) DO UPDATE SET"
                      " high_water_seq = excluded.high_water_seq, updated_at = excluded.updated_at"
                      " WHERE excluded.high_water_seq > sequence_marks.high_water_seq"),
          insert_report(db,
                        "INSERT INTO import_reports (request_id, entity, successes, duplicates,"
                        " superseded, failures, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
          insert_line(db,
                      "INSERT INTO import_lines (report_id, line_no, sequence_id, reference,"
                      " source, result, message, units_received, unsent_orders_adjustment,"
                      " final_qty) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
          // Only while this worker still holds the claim: a worker whose lease expired and was
          // taken over must not overwrite the new holder's work.
          mark_done(db,
                    "UPDATE requests SET state = 'done', claimed_by = NULL,"
                    " lease_expires_at = NULL, next_attempt_at = NULL, last_error = NULL"
                    " WHERE id = ?1 AND claimed_by = ?2 AND state = 'processing'"),
          mark_failed(db,
                      "UPDATE requests SET state = ?3, next_attempt_at = ?4, last_error = ?5,"
                      " claimed_by = NULL, lease_expires_at = NULL"
                      " WHERE id = ?1 AND claimed_by = ?2 AND state = 'processing'") {}

    Database db;  // declared first: destroyed after every statement below
    Statement savepoint, release, rollback_to;
    Statement claimable, claim, give_up, request_state, next_event;
    Statement lines, product_exists, mark, update_stock, update_mark, upsert_stock, upsert_mark;
    Statement insert_report, insert_line;
    Statement mark_done, mark_failed;
};

struct StoredLine {
    std::int64_t line_no = 0;
    domain::InventoryLine line;
};

// What one line ends up as in the import report.
struct ReportLine {
    domain::LineResult result = domain::LineResult::failure;
    std::string message;
    std::optional<domain::StockLevel> level;  // applied lines only
};

std::string bounded(std::string text) {
    if (text.size() > max_error_text) {
        text.resize(max_error_text);
        text += "...";
    }
    return text;
}

// SKUs come from the wire; keep log lines and messages single-line.
std::string printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 200))
        out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
    if (text.size() > 200) out += "...";
    return out;
}

std::string iso_of_unix(std::int64_t seconds) {
    return queue::format_utc_millis(SystemClock::time_point{std::chrono::seconds{seconds}});
}

// base * 2^(attempts-1), capped at retry_max, rounded up to whole seconds (next_attempt_at is
// in unix seconds).
std::int64_t retry_delay_seconds(const WorkerOptions& options, std::int64_t attempts) {
    auto delay = options.retry_base;
    for (std::int64_t i = 1; i < attempts && delay < options.retry_max; ++i) delay *= 2;
    delay = std::min(delay, options.retry_max);
    return (delay.count() + 999) / 1000;
}

int primary_code(const std::exception& error) {
    if (const auto* e = dynamic_cast<const SqliteError*>(&error)) return e->primary_code();
    return SQLITE_OK;
}

}  // namespace

bool is_connection_fatal(const std::exception& error) noexcept {
    switch (primary_code(error)) {
        case SQLITE_IOERR:
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
        case SQLITE_FULL:
        case SQLITE_NOMEM:
        case SQLITE_CANTOPEN:
        case SQLITE_PROTOCOL:
        case SQLITE_READONLY:
            return true;
        default:
            return false;
    }
}

struct InventoryProcessor::Impl {
    Impl(const WorkerOptions& opts, std::string id) : options(opts), worker_id(std::move(id)) {
        connect();
    }

    void connect() {
        try {
            connection = std::make_unique<Connection>(open_write_database(options));
        } catch (const SqliteError&) {
            throw;  // already names the path and SQLite's message
        } catch (const std::exception& e) {
            throw std::runtime_error("cannot open worker database " + options.database.string() +
                                     ": " + e.what());
        }
    }

    Connection& c() {
        if (!connection) connect();
        return *connection;
    }

    SystemClock::time_point now() const {
        return options.clock ? options.clock() : SystemClock::now();
    }

    ClaimBatch claim(std::size_t limit) {
        auto& conn = c();
        const std::int64_t now_s = queue::unix_seconds(now());
        ClaimBatch batch;
        std::vector<ClaimedRequest> candidates;
        Transaction transaction(conn.db, Transaction::Mode::immediate);
        {
            ResetOnExit reset(conn.claimable);
            conn.claimable.bind(1, now_s).bind(2, limit);
            while (conn.claimable.step()) {
                candidates.push_back(ClaimedRequest{conn.claimable.column_int64(0),
                                                    conn.claimable.column_int64(2),
                                                    conn.claimable.column_text(1)});
            }
        }
        for (auto& candidate : candidates) {
            if (candidate.previous_state == "processing" &&
                candidate.attempts >= static_cast<std::int64_t>(options.max_attempts)) {
                ResetOnExit reset(conn.give_up);
                conn.give_up.bind(1, candidate.id)
                    .bind(2, "lease expired " + std::to_string(candidate.attempts) +
                                 " times (the worker holding it stopped); gave up")
                    .run();
                batch.given_up.push_back(candidate.id);
                continue;
            }
            candidate.attempts += 1;
            ResetOnExit reset(conn.claim);
            conn.claim.bind(1, candidate.id)
                .bind(2, worker_id)
                .bind(3, now_s + options.lease.count())
                .bind(4, candidate.attempts)
                .run();
            batch.requests.push_back(std::move(candidate));
        }
        transaction.commit();
        for (const auto& r : batch.requests)
            spdlog::debug("request={} entity=inventory {}->processing worker={} attempt={}", r.id,
                          r.previous_state, worker_id, r.attempts);
        for (const auto id : batch.given_up)
            spdlog::warn(
                "request={} entity=inventory processing->dead: lease expired {} times, gave up", id,
                options.max_attempts);
        return batch;
    }

    ClaimedRequest claim_for_reprocess(std::int64_t request_id) {
        auto& conn = c();
        const std::int64_t now_s = queue::unix_seconds(now());
        Transaction transaction(conn.db, Transaction::Mode::immediate);
        ClaimedRequest claimed;
        claimed.id = request_id;
        {
            ResetOnExit reset(conn.request_state);
            conn.request_state.bind(1, request_id);
            if (!conn.request_state.step())
                throw std::runtime_error("request " + std::to_string(request_id) +
                                         " does not exist");
            const std::string entity = conn.request_state.column_text(0);
            claimed.previous_state = conn.request_state.column_text(1);
            const std::string holder = conn.request_state.column_text(2);
            const auto lease = conn.request_state.column_optional_int64(3);
            claimed.attempts = conn.request_state.column_int64(4);
            if (entity != inventory_entity)
                throw std::runtime_error("request " + std::to_string(request_id) + " is a(n) " +
                                         entity +
                                         " request; only inventory requests are processed yet");
            if (claimed.previous_state == "processing" && lease && *lease > now_s)
                throw std::runtime_error("request " + std::to_string(request_id) +
                                         " is being processed by " + holder + " until " +
                                         iso_of_unix(*lease));
        }
        // A dead request has used up its attempts; an operator's reprocess gives it a fresh
        // count (attempt 1), so a failure now is retried again with the normal backoff.
        claimed.attempts = claimed.previous_state == "dead" ? 1 : claimed.attempts + 1;
        {
            ResetOnExit reset(conn.claim);
            conn.claim.bind(1, request_id)
                .bind(2, worker_id)
                .bind(3, now_s + options.lease.count())
                .bind(4, claimed.attempts)
                .run();
        }
        transaction.commit();
        spdlog::debug("request={} entity=inventory {}->processing worker={} attempt={} (reprocess)",
                      request_id, claimed.previous_state, worker_id, claimed.attempts);
        return claimed;
    }

    std::vector<RequestOutcome> apply(const std::vector<ClaimedRequest>& claimed) {
        auto& conn = c();
        const auto now_tp = now();
        const std::int64_t now_s = queue::unix_seconds(now_tp);
        const std::string now_text = queue::format_utc_millis(now_tp);
        std::vector<RequestOutcome> outcomes;
        outcomes.reserve(claimed.size());
        Transaction transaction(conn.db, Transaction::Mode::immediate);
        for (const auto& request : claimed) {
            RequestOutcome outcome;
            outcome.request_id = request.id;
            conn.savepoint.run();
            try {
                apply_one(conn, request, now_text, outcome);
                conn.release.run();
            } catch (const LeaseLost&) {
                undo_request(conn);
                outcome = RequestOutcome{};
                outcome.request_id = request.id;
                outcome.lease_lost = true;
            } catch (const std::exception& e) {
                // SQLite abandoned the transaction, or the connection is suspect: the batch
                // fails as a whole (leases expire, requests are retried).
                if (!conn.db.in_transaction() || is_connection_fatal(e)) throw;
                undo_request(conn);
                outcome = record_failure(conn, request, now_s, e.what());
            } catch (...) {
                if (!conn.db.in_transaction()) throw;
                undo_request(conn);
                outcome = record_failure(conn, request, now_s, "unknown error (not an exception)");
            }
            outcomes.push_back(std::move(outcome));
        }
        transaction.commit();
        for (const auto& o : outcomes) log_outcome(o);
        return outcomes;
    }

    void undo_request(Connection& conn) {
        conn.rollback_to.run();
        conn.release.run();
    }

    void apply_one(Connection& conn, const ClaimedRequest& request, const std::string& now_text,
                   RequestOutcome& outcome) {
        // State first: if the claim is no longer ours nothing else is worth doing.
        {
            ResetOnExit reset(conn.mark_done);
            conn.mark_done.bind(1, request.id).bind(2, worker_id).run();
            if (conn.db.changes() == 0) throw LeaseLost{};
        }
        if (options.test_hooks.before_apply) options.test_hooks.before_apply(request.id);

        std::vector<StoredLine> stored = load_lines(conn, request.id);
        std::vector<ReportLine> report(stored.size());

        // Lines that cannot take part in the sequence decision become Failure lines here; the
        // rest of the message is still processed (DESIGN §3.1).
        std::vector<domain::InventoryLine> valid;
        std::vector<std::size_t> valid_index;  // valid[i] is stored[valid_index[i]]
        valid.reserve(stored.size());
        valid_index.reserve(stored.size());
        std::map<std::string, bool, std::less<>> known_skus;
        for (std::size_t i = 0; i < stored.size(); ++i) {
            const auto& line = stored[i].line;
            if (line.seq <= 0) {
                report[i].message =
                    "Missing or invalid sequence id for SKU '" + printable(line.sku) + "'.";
                continue;
            }
            if (options.inventory.reject_unknown_skus &&
                !product_known(conn, known_skus, line.sku)) {
                report[i].message = "Unknown SKU '" + printable(line.sku) + "'.";
                continue;
            }
            valid.push_back(line);
            valid_index.push_back(i);
        }

        const auto marks = read_marks(conn, valid);
        const auto decided = domain::decide_sequences(valid, marks);

        for (std::size_t v = 0; v < valid.size(); ++v) {
            auto& out = report[valid_index[v]];
            out.result = decided.decisions[v].result;
            if (out.result != domain::LineResult::success)
                out.message = domain::sequence_message(out.result, valid[v].qty,
                                                       decided.decisions[v].high_water);
        }
        // One Success per key at most: the line with the key's highest new seq.
        for (const auto& [key, index] : decided.applied_line) {
            const auto& line = valid[index];
            auto& out = report[valid_index[index]];
            out.level = apply_stock(conn, line, marks.contains(key), now_text);
            out.message = domain::sequence_message(domain::LineResult::success,
                                                   out.level->final_qty, line.seq);
        }

        for (const auto& line : report) {
            switch (line.result) {
                case domain::LineResult::success:
                    ++outcome.successes;
                    break;
                case domain::LineResult::duplicate:
                    ++outcome.duplicates;
                    break;
                case domain::LineResult::superseded:
                    ++outcome.superseded;
                    break;
                case domain::LineResult::failure:
                    ++outcome.failures;
                    break;
            }
        }
        outcome.report_id = write_report(conn, request.id, stored, report, outcome, now_text);
        outcome.state = "done";
    }

    std::vector<StoredLine> load_lines(Connection& conn, std::int64_t request_id) {
        std::vector<StoredLine> stored;
        ResetOnExit reset(conn.lines);
        conn.lines.bind(1, request_id);
        while (conn.lines.step()) {
            StoredLine s;
            s.line_no = conn.lines.column_int64(0);
            s.line.sku = conn.lines.column_text(1);
            s.line.source = conn.lines.column_text(2);
            s.line.qty = conn.lines.column_int64(3);
            s.line.seq = conn.lines.column_int64(4);
            s.line.last_order_exported = conn.lines.column_text(5);
            stored.push_back(std::move(s));
        }
        return stored;
    }

    bool product_known(Connection& conn, std::map<std::string, bool, std::less<>>& cache,
                       const std::string& sku) {
        if (auto found = cache.find(sku); found != cache.end()) return found->second;
        ResetOnExit reset(conn.product_exists);
        conn.product_exists.bind_no_copy(1, sku);
        const bool known = conn.product_exists.step();
        cache.emplace(sku, known);
        return known;
    }

    std::map<domain::StockKey, std::int64_t> read_marks(
        Connection& conn, const std::vector<domain::InventoryLine>& lines) {
        std::map<domain::StockKey, std::int64_t> marks;
        std::set<domain::StockKey> looked_up;
        for (const auto& line : lines) {
            domain::StockKey key{line.sku, line.source};
            if (!looked_up.insert(key).second) continue;
            ResetOnExit reset(conn.mark);
            conn.mark.bind_no_copy(1, line.sku).bind_no_copy(2, line.source);
            if (conn.mark.step()) marks.emplace(std::move(key), conn.mark.column_int64(0));
        }
        return marks;
    }

    // `had_mark`: the key already has a mark (read in this transaction), hence a stock row.
    domain::StockLevel apply_stock(Connection& conn, const domain::InventoryLine& line,
                                   bool had_mark, const std::string& now_text) {
        const std::int64_t unsent =
            options.inventory.unsent_order_units
                ? options.inventory.unsent_order_units(conn.db, line.sku, line.source,
                                                       line.last_order_exported)
                : 0;
        const auto level =
            domain::compute_stock_level(line.qty, unsent, options.inventory.allow_negative);
        const auto write = [&](Statement& s) {
            ResetOnExit reset(s);
            s.bind_no_copy(1, line.sku)
                .bind_no_copy(2, line.source)
                .bind(3, level.final_qty)
                .bind(4, level.is_in_stock)
                .bind(5, line.seq)
                .bind_no_copy(6, now_text)
                .run();
        };
        bool stock_written = false;
        if (had_mark) {
            write(conn.update_stock);
            stock_written = conn.db.changes() > 0;
        }
        if (!stock_written) write(conn.upsert_stock);

        Statement& mark = had_mark ? conn.update_mark : conn.upsert_mark;
        ResetOnExit reset(mark);
        mark.bind_no_copy(1, line.sku)
            .bind_no_copy(2, line.source)
            .bind(3, line.seq)
            .bind_no_copy(4, now_text)
            .run();
        return level;
    }

    std::int64_t write_report(Connection& conn, std::int64_t request_id,
                              const std::vector<StoredLine>& stored,
                              const std::vector<ReportLine>& report, const RequestOutcome& counts,
                              const std::string& now_text) {
        std::int64_t report_id = 0;
        {
            ResetOnExit reset(conn.insert_report);
            conn.insert_report.bind(1, request_id)
                .bind_no_copy(2, inventory_entity)
                .bind(3, counts.successes)
                .bind(4, counts.duplicates)
                .bind(5, counts.superseded)
                .bind(6, counts.failures)
                .bind_no_copy(7, now_text)
                .run();
            report_id = conn.db.last_insert_rowid();
        }
        auto& s = conn.insert_line;
        ResetOnExit reset(s);
        for (std::size_t i = 0; i < stored.size(); ++i) {
            const auto& line = stored[i].line;
            const auto& out = report[i];
            s.bind(1, report_id).bind(2, stored[i].line_no);
            if (line.seq > 0)
                s.bind(3, line.seq);
            else
                s.bind_null(3);
            s.bind_no_copy(4, line.sku)
                .bind_no_copy(5, line.source)
                .bind_no_copy(6, domain::to_string(out.result))
                .bind_no_copy(7, out.message)
                .bind(8, line.qty);
            if (out.level) {
                s.bind(9, out.level->unsent_orders_adjustment).bind(10, out.level->final_qty);
            } else {
                s.bind_null(9).bind_null(10);
            }
            s.run();
        }
        return report_id;
    }

    RequestOutcome record_failure(Connection& conn, const ClaimedRequest& request,
                                  std::int64_t now_s, const std::string& error) {
        RequestOutcome outcome;
        outcome.request_id = request.id;
        outcome.error = bounded(error);
        const bool give_up = request.attempts >= static_cast<std::int64_t>(options.max_attempts);
        outcome.state = give_up ? "dead" : "failed";
        ResetOnExit reset(conn.mark_failed);
        conn.mark_failed.bind(1, request.id).bind(2, worker_id).bind(3, outcome.state);
        if (give_up)
            conn.mark_failed.bind_null(4);
        else
            conn.mark_failed.bind(4, now_s + retry_delay_seconds(options, request.attempts));
        conn.mark_failed.bind(5, outcome.error).run();
        if (conn.db.changes() == 0) {
            outcome.state.clear();
            outcome.lease_lost = true;
        }
        return outcome;
    }

    void log_outcome(const RequestOutcome& o) {
        if (o.lease_lost) {
            spdlog::warn(
                "request={} entity=inventory lease lost by worker={}: another worker holds it "
                "now; this worker's result was discarded",
                o.request_id, worker_id);
        } else if (o.state == "done") {
            spdlog::debug(
                "request={} processing->done report={} success={} duplicate={} superseded={} "
                "failure={}",
                o.request_id, o.report_id, o.successes, o.duplicates, o.superseded, o.failures);
        } else {
            spdlog::warn("request={} entity=inventory processing->{} worker={} error={}",
                         o.request_id, o.state, worker_id, printable(o.error));
        }
    }

    std::optional<SystemClock::time_point> next_scheduled_event() {
        auto& conn = c();
        ResetOnExit reset(conn.next_event);
        if (!conn.next_event.step() || conn.next_event.is_null(0)) return std::nullopt;
        return SystemClock::time_point{std::chrono::seconds{conn.next_event.column_int64(0)}};
    }

    WorkerOptions options;
    std::string worker_id;
    std::unique_ptr<Connection> connection;
};

InventoryProcessor::InventoryProcessor(const WorkerOptions& options, std::string worker_id)
    : impl_(std::make_unique<Impl>(options, std::move(worker_id))) {}

InventoryProcessor::~InventoryProcessor() = default;

const std::string& InventoryProcessor::worker_id() const noexcept {
    return impl_->worker_id;
}

ClaimBatch InventoryProcessor::claim(std::size_t limit) {
    return impl_->claim(limit);
}

ClaimedRequest InventoryProcessor::claim_for_reprocess(std::int64_t request_id) {
    return impl_->claim_for_reprocess(request_id);
}

std::vector<RequestOutcome> InventoryProcessor::apply(const std::vector<ClaimedRequest>& claimed) {
    return impl_->apply(claimed);
}

std::optional<std::chrono::system_clock::time_point> InventoryProcessor::next_scheduled_event() {
    return impl_->next_scheduled_event();
}

void InventoryProcessor::disconnect() noexcept {
    impl_->connection.reset();
}

}  // namespace ofbridge::worker
