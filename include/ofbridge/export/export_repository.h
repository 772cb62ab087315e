// The export's writes (export_items, export_runs, export_run_lines; schemas/sqlite/007) and its
// selection of due entities. Statements are prepared once on the connection given; in `serve`
// the writes run as jobs on the one writer (storage::Writer), the selection on a read-only
// connection; `exports run` uses a connection of its own for both.
//
// Every transition is compare-and-set on the version read with the entity, so a result that
// arrives late never overwrites a newer state: an entity changed while its export was in flight
// (a new version) stays pending and goes out again in the next round. An order cancelled while
// its insert was in flight, that the WMS then reports as imported, gets cancel.xml queued.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ofbridge/domain/export_rules.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::exporting {

// One entity due for export, with what the payload is built from.
struct DueItem {
    std::string reference;  // SKU or increment_id
    std::int64_t version = 0;
    unsigned attempts = 0;
    std::string document;         // products.normalised_json, or orders.raw_json
    std::int64_t sent_count = 0;  // clean exchanges so far (notify: 0 = action "created")
};

struct DueQuery {
    std::string store_code;
    std::string entity;  // "product" or "order"
    std::size_t limit = 100;
    std::string now;                    // storage::format_utc_millis: retries due by then
    domain::OrderEligibility eligible;  // orders only
    // notify mode: queued entities notified before this time and never fetched are due again
    // ("" = none).
    std::string requeue_before;
};

// Selection: pending entities of a store whose retry time has come (and, in notify mode, queued
// ones the WMS has not fetched since `requeue_before`), oldest pending first (so
// entities that keep failing wait their backoff and never starve newer ones). Orders must also
// be eligible (domain::order_eligible, applied in SQL). Works on any connection.
std::vector<DueItem> select_due(storage::sqlite::Database& db, const DueQuery& query);

// Orders whose cancellation is due by `now` (cancel_state 'pending', a deferred one once its
// backoff is over): increment_id, version and the cancel attempts so far.
std::vector<DueItem> select_due_cancellations(storage::sqlite::Database& db,
                                              const std::string& store_code, std::size_t limit,
                                              const std::string& now);

struct ItemOutcome {
    std::string reference;
    std::int64_t version = 0;  // as selected
    unsigned attempts = 0;     // as selected
    domain::ExportResult result = domain::ExportResult::error;
    std::string message;
};

// The export log of one exchange (header; the lines are the outcomes).
struct ExchangeRecord {
    std::string store_code;
    std::string entity;     // product, order
    std::string mode;       // push, notify
    std::string operation;  // merge, insert, cancel, notify
    std::string url;
    int http_status = 0;
    std::string error;
    std::int64_t duration_ms = 0;
    std::string started_at;
    std::string finished_at;
    std::string request_body;  // log_body() applied by the caller
    std::string reply_body;
    // false: the outcomes are only logged (cancel.xml: record_cancel changes the state).
    bool apply_outcomes = true;
};

struct RetryPolicy {
    unsigned max_attempts = 8;
    std::chrono::milliseconds base{1000};
    std::chrono::milliseconds max{300'000};
};

struct RecordSummary {
    std::int64_t run_id = 0;
    std::size_t exported = 0;  // rows that became exported
    std::size_t queued = 0;    // notify mode: rows that became queued
    std::size_t retried = 0;
    std::size_t failed = 0;
    std::size_t stale = 0;  // changed meanwhile: the result was not applied (stays pending)
};

// A body as the export log keeps it: at most 256 KiB, cut with a marker naming the full size.
std::string log_body(std::string_view body);

class ExportRepository {
public:
    explicit ExportRepository(storage::sqlite::Database& db);

    // Writes the log of one exchange and applies its outcomes (in the caller's transaction).
    // `now` is when the exchange finished; failed entities wait export_backoff from then.
    RecordSummary record(const ExchangeRecord& exchange, const std::vector<ItemOutcome>& outcomes,
                         const RetryPolicy& retry, std::chrono::system_clock::time_point now);

    // The outcome of a cancel.xml exchange for one order (cancel_state sent or failed).
    void record_cancel(const std::string& increment_id, bool sent, const std::string& error,
                       std::chrono::system_clock::time_point now);

    // A cancel.xml that got no answer (timeout, reset, 5xx): still due, after `next_attempt`.
    // The attempt count of an order the WMS has counts these; a cancellation is never given up.
    void defer_cancel(const std::string& increment_id, const std::string& error,
                      std::chrono::system_clock::time_point now,
                      std::chrono::system_clock::time_point next_attempt);

    // `exports reset`: back to pending with a fresh attempt count. Empty `references` = every
    // entity of `entity` (with `status` when given). Returns how many rows changed.
    std::size_t reset(const std::string& entity, const std::optional<std::string>& status,
                      const std::vector<std::string>& references,
                      std::chrono::system_clock::time_point now);

private:
    storage::sqlite::Database& db_;
    storage::sqlite::Statement insert_run_;
    storage::sqlite::Statement insert_line_;
    storage::sqlite::Statement exported_;
    storage::sqlite::Statement queued_;
    storage::sqlite::Statement told_;
    storage::sqlite::Statement retry_;
    storage::sqlite::Statement cancel_after_insert_;
};

}  // namespace ofbridge::exporting
