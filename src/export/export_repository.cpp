// ExportRepository and the selection of due entities (see export_repository.h).
#include "ofbridge/export/export_repository.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <iterator>
#include <tuple>

#include "ofbridge/metrics/registry.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/time_format.h"

namespace ofbridge::exporting {

using storage::sqlite::Statement;

namespace {
constexpr std::size_t max_logged_body = 256 * 1024;
}

std::string log_body(std::string_view body) {
    if (body.size() <= max_logged_body) return std::string(body);
    return std::string(body.substr(0, max_logged_body)) +
           "\n[... truncated: " + std::to_string(body.size()) + " bytes in all]";
}

// Pending and due (?2 = now); in notify mode also queued before ?6 and never fetched. One query
// per status, so that each walks the index export_items_due (store_code, entity, status,
// pending_since, reference) in order and stops at the limit: an OR of the two would read every
// row of the entity, and its document, for each batch. The two lists are then merged.
constexpr std::string_view pending_condition =
    "e.status = 'pending' AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= ?2)";
constexpr std::string_view requeue_condition = "e.status = 'queued' AND e.queued_at < ?6";

namespace {

std::vector<std::pair<std::string, DueItem>> select_due_with(storage::sqlite::Database& db,
                                                             const DueQuery& query,
                                                             std::string_view condition) {
    std::string sql;
    if (query.entity == "product")
        sql =
            "SELECT e.reference, e.version, e.attempts, p.normalised_json, e.sent_count,"
            " e.pending_since FROM export_items e JOIN products p ON p.sku = e.reference"
            " WHERE e.store_code = ?1 AND e.entity = 'product' AND " +
            std::string(condition) + " ORDER BY e.pending_since, e.reference LIMIT ?3";
    else
        // domain::order_eligible, as SQL: status listed, not virtual, created at or after the
        // limit.
        sql =
            "SELECT e.reference, e.version, e.attempts, o.raw_json, e.sent_count,"
            " e.pending_since FROM export_items e JOIN orders o ON o.increment_id = e.reference"
            " WHERE e.store_code = ?1 AND e.entity = 'order' AND " +
            std::string(condition) +
            " AND o.is_virtual = 0 AND o.created_at >= ?4"
            " AND o.status IN (SELECT value FROM json_each(?5))"
            " ORDER BY e.pending_since, e.reference LIMIT ?3";
    Statement s(db, sql);
    s.bind(1, query.store_code).bind(3, query.limit);
    if (condition == pending_condition)
        s.bind(2, query.now);
    else
        s.bind(6, query.requeue_before);
    if (query.entity != "product") {
        boost::json::array statuses;
        for (const auto& status : query.eligible.statuses) statuses.emplace_back(status);
        s.bind(4, query.eligible.min_created_at).bind(5, boost::json::serialize(statuses));
    }
    std::vector<std::pair<std::string, DueItem>> due;
    while (s.step())
        due.emplace_back(s.column_text(5), DueItem{s.column_text(0), s.column_int64(1),
                                                   static_cast<unsigned>(s.column_int64(2)),
                                                   s.column_text(3), s.column_int64(4)});
    return due;
}

}  // namespace

std::vector<DueItem> select_due(storage::sqlite::Database& db, const DueQuery& query) {
    auto due = select_due_with(db, query, pending_condition);
    if (!query.requeue_before.empty()) {
        auto requeued = select_due_with(db, query, requeue_condition);
        std::vector<std::pair<std::string, DueItem>> merged;
        std::merge(std::make_move_iterator(due.begin()), std::make_move_iterator(due.end()),
                   std::make_move_iterator(requeued.begin()),
                   std::make_move_iterator(requeued.end()), std::back_inserter(merged),
                   [](const auto& a, const auto& b) {
                       return std::tie(a.first, a.second.reference) <
                              std::tie(b.first, b.second.reference);
                   });
        if (merged.size() > query.limit) merged.resize(query.limit);
        due = std::move(merged);
    }
    std::vector<DueItem> items;
    items.reserve(due.size());
    for (auto& [pending_since, item] : due) items.push_back(std::move(item));
    return items;
}

std::vector<DueItem> select_due_cancellations(storage::sqlite::Database& db,
                                              const std::string& store_code, std::size_t limit,
                                              const std::string& now) {
    Statement s(db,
                "SELECT reference, version, attempts FROM export_items"
                " WHERE cancel_state = 'pending' AND entity = 'order' AND store_code = ?1"
                " AND (next_attempt_at IS NULL OR next_attempt_at <= ?3)"
                " ORDER BY updated_at, reference LIMIT ?2");
    s.bind(1, store_code).bind(2, limit).bind(3, now);
    std::vector<DueItem> due;
    while (s.step())
        due.push_back(
            {s.column_text(0), s.column_int64(1), static_cast<unsigned>(s.column_int64(2)), {}});
    return due;
}

ExportRepository::ExportRepository(storage::sqlite::Database& db)
    : db_(db),
      insert_run_(db,
                  "INSERT INTO export_runs (store_code, entity, mode, operation, url, http_status,"
                  " successes, duplicates, failures, error, duration_ms, started_at, finished_at,"
                  " request_body, reply_body)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"),
      insert_line_(db,
                   "INSERT INTO export_run_lines (run_id, line_no, reference, result, message)"
                   " VALUES (?1, ?2, ?3, ?4, ?5)"),
      exported_(db,
                "UPDATE export_items SET status = 'exported', version = version + 1,"
                " attempts = 0, last_error = '', next_attempt_at = NULL, exported_at = ?4,"
                " sent_count = sent_count + 1, updated_at = ?4"
                " WHERE entity = ?1 AND reference = ?2 AND version = ?3"
                " AND status IN ('pending', 'queued')"),
      queued_(db,
              "UPDATE export_items SET status = 'queued', version = version + 1,"
              " attempts = 0, last_error = '', next_attempt_at = NULL, queued_at = ?4,"
              " sent_count = sent_count + 1, updated_at = ?4"
              " WHERE entity = ?1 AND reference = ?2 AND version = ?3"
              " AND status IN ('pending', 'queued')"),
      told_(db,
            "UPDATE export_items SET sent_count = sent_count + 1"
            " WHERE entity = ?1 AND reference = ?2"),
      retry_(db,
             "UPDATE export_items SET status = ?4, version = version + 1,"
             " attempts = attempts + 1, last_error = ?5, next_attempt_at = ?6, updated_at = ?7"
             " WHERE entity = ?1 AND reference = ?2 AND version = ?3"
             " AND status IN ('pending', 'queued')"),
      // The WMS imported an order that was cancelled meanwhile: it has it, so tell it.
      cancel_after_insert_(db,
                           "UPDATE export_items SET cancel_state = 'pending', exported_at = ?2,"
                           " sent_count = sent_count + 1, updated_at = ?2"
                           " WHERE entity = 'order' AND reference = ?1 AND status = 'cancelled'"
                           " AND cancel_state = ''") {}

namespace {

// /metrics: every exchange with the WMS and every entity in it, counted as it is logged (the
// export log and these counters say the same thing).
void count_exchange(const ExchangeRecord& exchange) {
    metrics::registry()
        .counter("ofbridge_export_exchanges_total",
                 "Exchanges with the WMS (export log rows), by store, entity, operation and "
                 "result (ok, or failed as a whole).",
                 {{"store", exchange.store_code},
                  {"entity", exchange.entity},
                  {"mode", exchange.mode},
                  {"operation", exchange.operation},
                  {"result", exchange.error.empty() ? "ok" : "failed"}})
        .add();
}

void count_entity(const std::string& entity, domain::ExportResult result) {
    using domain::ExportResult;
    static constexpr ExportResult results[] = {ExportResult::success, ExportResult::duplicate,
                                               ExportResult::failure, ExportResult::missing,
                                               ExportResult::error};
    // Looked up once: one relaxed add per entity afterwards.
    static const auto counters = [] {
        std::array<std::array<metrics::Counter*, 5>, 2> c{};
        for (std::size_t e = 0; e < 2; ++e)
            for (std::size_t r = 0; r < 5; ++r)
                c[e][r] = &metrics::registry().counter(
                    "ofbridge_export_entities_total",
                    "Entities carried by exchanges with the WMS, by entity and result.",
                    {{"entity", e == 0 ? "product" : "order"},
                     {"result", std::string(domain::to_string(results[r]))}});
        return c;
    }();
    const std::size_t e = entity == "product" ? 0 : 1;
    for (std::size_t r = 0; r < 5; ++r)
        if (results[r] == result) counters[e][r]->add();
}

}  // namespace

RecordSummary ExportRepository::record(const ExchangeRecord& exchange,
                                       const std::vector<ItemOutcome>& outcomes,
                                       const RetryPolicy& retry,
                                       std::chrono::system_clock::time_point now) {
    RecordSummary summary;
    std::size_t successes = 0, duplicates = 0, failures = 0;
    for (const auto& o : outcomes) {
        if (o.result == domain::ExportResult::success)
            ++successes;
        else if (o.result == domain::ExportResult::duplicate)
            ++duplicates;
        else
            ++failures;
    }
    insert_run_.bind(1, exchange.store_code)
        .bind(2, exchange.entity)
        .bind(3, exchange.mode)
        .bind(4, exchange.operation)
        .bind(5, exchange.url)
        .bind(6, exchange.http_status)
        .bind(7, successes)
        .bind(8, duplicates)
        .bind(9, failures)
        .bind(10, exchange.error)
        .bind(11, exchange.duration_ms)
        .bind(12, exchange.started_at)
        .bind(13, exchange.finished_at)
        .bind(14, exchange.request_body)
        .bind(15, exchange.reply_body)
        .run();
    summary.run_id = db_.last_insert_rowid();
    count_exchange(exchange);
    const auto now_text = storage::format_utc_millis(now);
    std::int64_t line_no = 0;
    for (const auto& o : outcomes) {
        count_entity(exchange.entity, o.result);
        insert_line_.bind(1, summary.run_id)
            .bind(2, ++line_no)
            .bind(3, o.reference)
            .bind(4, std::string(domain::to_string(o.result)))
            .bind(5, o.message)
            .run();
        if (!exchange.apply_outcomes) continue;
        const auto next = domain::export_next(o.result, o.attempts, retry.max_attempts);
        // Notify mode: a clean reply means the WMS was told; it fetches the entity later.
        if (next == domain::ExportNext::exported && exchange.mode == "notify") {
            queued_.bind(1, exchange.entity)
                .bind(2, o.reference)
                .bind(3, o.version)
                .bind(4, now_text)
                .run();
            if (db_.changes() == 1) {
                ++summary.queued;
                continue;
            }
            // Changed (or fetched) while the notification was in flight: the WMS was told all
            // the same, so the next notification of it says `modified`.
            ++summary.stale;
            told_.bind(1, exchange.entity).bind(2, o.reference).run();
            continue;
        }
        if (next == domain::ExportNext::exported) {
            exported_.bind(1, exchange.entity)
                .bind(2, o.reference)
                .bind(3, o.version)
                .bind(4, now_text)
                .run();
            if (db_.changes() == 1) {
                ++summary.exported;
                continue;
            }
            ++summary.stale;
            if (exchange.entity == "order")
                cancel_after_insert_.bind(1, o.reference).bind(2, now_text).run();
            continue;
        }
        const bool failed = next == domain::ExportNext::failed;
        std::optional<std::string> due;
        if (!failed)
            due = storage::format_utc_millis(
                now + domain::export_backoff(o.attempts + 1, retry.base, retry.max));
        retry_.bind(1, exchange.entity)
            .bind(2, o.reference)
            .bind(3, o.version)
            .bind(4, failed ? "failed" : "pending")
            .bind(5, o.message)
            .bind(6, due)
            .bind(7, now_text)
            .run();
        if (db_.changes() != 1)
            ++summary.stale;
        else if (failed)
            ++summary.failed;
        else
            ++summary.retried;
    }
    return summary;
}

void ExportRepository::record_cancel(const std::string& increment_id, bool sent,
                                     const std::string& error,
                                     std::chrono::system_clock::time_point now) {
    Statement s(db_,
                "UPDATE export_items SET cancel_state = ?2, cancel_error = ?3, updated_at = ?4,"
                " version = version + 1, attempts = 0, next_attempt_at = NULL"
                " WHERE entity = 'order' AND reference = ?1 AND cancel_state = 'pending'");
    s.bind(1, increment_id)
        .bind(2, sent ? "sent" : "failed")
        .bind(3, error)
        .bind(4, storage::format_utc_millis(now))
        .run();
}

void ExportRepository::defer_cancel(const std::string& increment_id, const std::string& error,
                                    std::chrono::system_clock::time_point now,
                                    std::chrono::system_clock::time_point next_attempt) {
    Statement s(db_,
                "UPDATE export_items SET cancel_error = ?2, updated_at = ?3,"
                " attempts = attempts + 1, next_attempt_at = ?4, version = version + 1"
                " WHERE entity = 'order' AND reference = ?1 AND cancel_state = 'pending'");
    s.bind(1, increment_id)
        .bind(2, error)
        .bind(3, storage::format_utc_millis(now))
        .bind(4, storage::format_utc_millis(next_attempt))
        .run();
}

std::size_t ExportRepository::reset(const std::string& entity,
                                    const std::optional<std::string>& status,
                                    const std::vector<std::string>& references,
                                    std::chrono::system_clock::time_point now) {
    const auto now_text = storage::format_utc_millis(now);
    boost::json::array refs;
    for (const auto& r : references) refs.emplace_back(r);
    // A cancelled order stays cancelled: resetting it would insert it into the WMS.
    Statement s(db_,
                "UPDATE export_items SET status = 'pending', version = version + 1, attempts = 0,"
                " last_error = '', next_attempt_at = NULL, pending_since = ?1, updated_at = ?1"
                " WHERE entity = ?2 AND status <> 'cancelled' AND (?3 IS NULL OR status = ?3)"
                " AND (?4 = 0 OR reference IN (SELECT value FROM json_each(?5)))");
    s.bind(1, now_text)
        .bind(2, entity)
        .bind(3, status)
        .bind(4, static_cast<std::int64_t>(references.size()))
        .bind(5, boost::json::serialize(refs))
        .run();
    return static_cast<std::size_t>(db_.changes());
}

}  // namespace ofbridge::exporting
