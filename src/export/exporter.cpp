// The exporter: pending products and orders to the WMS (DESIGN §5, issue 12).
//
// State of one entity (export_items, schemas/sqlite/007_exports.sql):
//
//   (import) --> pending --send, Success/Duplicate--> exported
//                  |  ^                                  |
//   Failure/Missing/  |  backoff over (attempts < max)    | content changed (products): pending
//   whole-exchange    |                                   | cancelled (orders): cancel.xml due
//   error             v                                   v
//               pending, next_attempt_at = now + backoff   cancel_state pending -> sent | failed
//                  |
//                  +-- attempts reach max_attempts --> failed (until `exports reset`)
//
//   an order cancelled before it was ever sent --> cancelled (nothing is sent)
//
// queued belongs to notify mode (the WMS was told, and fetches later); in push mode the send and
// the WMS's answer are one exchange, so an entity goes from pending to exported directly.
//
// Notify mode (the Magento 2 extension's way): one POST per entity to
// remotewarehouse/product/update.xml or remoteorder/order/update.xml (DESIGN §5's query
// parameters; action=created the first time, modified after), `concurrency` at once over
// kept-alive connections. A clean reply makes it queued; the WMS then fetches it through the
// read operations of the Magento-2 endpoint (or calls its Export operation), which makes it
// exported (src/endpoints/router.cpp, export_acks.h). A queued entity not fetched within
// queued_timeout is due again and notified again (with action=modified). Failures are those of
// push mode (no_operation included) with the same backoff; each notification is one exchange in
// the export log.
//
//   pending --notify, clean reply--> queued --fetch / Export call--> exported
//      ^                               |
//      +---- queued_timeout over ------+  (notified again; a fetch meanwhile wins)
//
// An entity changed while its notification was in flight: the clean reply finds a newer version
// and leaves it pending, but counts as told (sent_count), so it is notified again as `modified`.
//
// Rounds run after notify() (commits of new requests in serve), after any commit by another
// connection (SQLite's data_version, checked every 100 ms: imports from the CLI or the orders
// API) and at least every interval_ms. A round, per store with export on and per entity type:
// select the due entities, oldest pending first, failed ones only once their backoff is over (so
// they never starve newer ones); send them as one <imports> document; record the exchange (export
// log) and each entity's outcome compare-and-set on the version read; repeat until nothing is due,
// the WMS fails a whole exchange (the rest waits for the next round) or the exporter is stopped.
// Then the due cancellations, one cancel.xml each.
//
// Crash semantics: at least once. The send happens before the outcome is written; a crash (or
// a lost commit) in between leaves the entity pending and it is sent again on restart. That is
// harmless by construction: products are merged (the same content again), and an order the WMS
// already has comes back as a Duplicate, which counts as exported. Nothing pending is skipped:
// the selection is by state, not by a cursor.
#include "ofbridge/export/exporter.h"
#include "ofbridge/domain/percent_encoding.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "ofbridge/export/export_repository.h"
#include "ofbridge/export/wms_documents.h"
#include "ofbridge/outbound/http_client.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/transaction.h"
#include "ofbridge/storage/time_format.h"
#include "ofbridge/storage/writer.h"
#include "ofbridge/util/background_worker.h"

namespace ofbridge::exporting {
namespace {

using Clock = std::chrono::system_clock;
using storage::sqlite::Database;

// channel and organisation go both ways the known clients send them (notes §3.1): as query
// parameters on every URL and as headers.
std::string with_account(const StoreExport& store, std::string url) {
    url += url.find('?') == std::string::npos ? '?' : '&';
    return url + "channel=" + domain::percent_encode(store.channel) +
           "&organisation=" + domain::percent_encode(store.organisation);
}

outbound::Request wms_request(const StoreExport& store, std::string url, std::string body) {
    outbound::Request request;
    request.method = "POST";
    request.url = with_account(store, std::move(url));
    request.headers = {
        {"Authorization", outbound::basic_authorization(store.username, store.password)},
        {"Content-Type", "application/xml; charset=UTF-8"},
        {"Accept", "application/xml"},
        {"channel", store.channel},
        {"organisation", store.organisation}};
    request.body = std::move(body);
    return request;
}

// The request as the export log keeps it: the Authorization value is never stored.
std::string logged_request(const outbound::Request& request) {
    std::string text = request.method + " " + request.url + "\n";
    for (const auto& [name, value] : request.headers)
        text += name + ": " + (name == "Authorization" ? "Basic ***" : value) + "\n";
    return log_body(text + "\n" + request.body);
}

// The export log's record of one HTTP exchange; whether it failed (`error`) is the caller's to
// judge.
ExchangeRecord exchange_record(const StoreExport& store, std::string_view entity,
                               std::string_view mode, std::string_view operation,
                               const outbound::Request& request, const outbound::Result& result,
                               Clock::time_point started, Clock::time_point finished) {
    ExchangeRecord exchange;
    exchange.store_code = store.store_code;
    exchange.entity = entity;
    exchange.mode = mode;
    exchange.operation = operation;
    exchange.url = request.url;
    exchange.http_status = result.ok() ? result.response.status : 0;
    exchange.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(finished - started).count();
    exchange.started_at = storage::format_utc_millis(started);
    exchange.finished_at = storage::format_utc_millis(finished);
    exchange.request_body = logged_request(request);
    exchange.reply_body = result.ok() ? log_body(result.response.body) : std::string{};
    return exchange;
}

// The query of one notification (DESIGN §5). An order is named to the WMS by Magento's
// entity_id (what it fetches with salesOrderRepositoryV1Get), or by its increment_id when it was
// imported without one (the fetch accepts both).
std::string notify_path(const std::string& entity, const DueItem& item) {
    const std::string action = item.sent_count == 0 ? "created" : "modified";
    if (entity == "product")
        return "remotewarehouse/product/update.xml?thirdPartyReference=" +
               domain::percent_encode(item.reference) + "&event=product." + action +
               "&action=" + action;
    std::string id = item.reference;
    boost::system::error_code ec;
    const auto document = boost::json::parse(item.document, ec);
    if (!ec && document.is_object())
        if (const auto* entity_id = document.get_object().if_contains("entity_id")) {
            if (entity_id->is_int64())
                id = std::to_string(entity_id->get_int64());
            else if (entity_id->is_string() && !entity_id->get_string().empty())
                id = std::string(entity_id->get_string());
        }
    return "remoteorder/order/update.xml?thirdPartyReference=" + domain::percent_encode(id) +
           "&event=order." + action + "&action=" + action +
           "&externalReference=" + domain::percent_encode(item.reference);
}

}  // namespace

struct Exporter::Impl {
    explicit Impl(ExporterOptions o) : options(std::move(o)) {
        for (const auto& store : options.stores) {
            outbound::ClientOptions client;
            client.connect_timeout = store.timeout;
            client.read_timeout = store.timeout;
            client.tls_ca_file = store.tls_ca_file;
            client.user_agent = "ofbridge-export";
            clients.push_back(std::make_unique<outbound::HttpClient>(client));
            // notify mode: one client (one kept-alive connection) per notification in flight.
            auto& pool = notify_clients.emplace_back();
            if (store.mode == "notify")
                for (unsigned i = 0; i < std::max(1u, store.concurrency); ++i)
                    pool.push_back(std::make_unique<outbound::HttpClient>(client));
        }
        if (options.writer) {
            own_db = std::make_unique<Database>(storage::open_read_only(
                options.database, 7, "export state", "start the broker once"));
        } else {
            own_db = std::make_unique<Database>(
                storage::open_writable(options.database, 0, std::chrono::seconds(10)));
            own_db->exec("PRAGMA synchronous=FULL");
            storage::sqlite::migrate(*own_db, storage::embedded_migrations());
            write_db = std::make_unique<Database>(
                storage::open_writable(options.database, 0, std::chrono::seconds(10)));
            write_db->exec("PRAGMA synchronous=FULL");
        }
    }

    ExporterOptions options;
    std::vector<std::unique_ptr<outbound::HttpClient>> clients;
    std::vector<std::vector<std::unique_ptr<outbound::HttpClient>>> notify_clients;
    std::unique_ptr<Database> own_db;  // selection (read-only in serve)
    // Without a writer (`exports run`): the writes, on a thread of their own (write_async), so
    // the selection on own_db never waits for them.
    std::unique_ptr<Database> write_db;
    std::atomic<bool> notified{false};
    std::atomic<bool> stopping{false};
    std::mutex round_mutex;  // one round at a time
    // serve: rounds on a thread of their own (round_when_due), with what it last saw.
    std::chrono::milliseconds interval{};
    std::chrono::milliseconds tick{};
    std::optional<std::chrono::steady_clock::time_point> last_round;
    std::int64_t seen_data_version = 0;
    std::optional<util::BackgroundWorker> worker;

    // Runs `write` in one transaction, started now, done when the future is ready: a job on the
    // one writer, or (standalone) on write_db on a thread of its own. `write_fn` is copied: it
    // must own what it reads.
    template <typename Result, typename Write>
    std::future<Result> write_async(Write write_fn) {
        if (!options.writer)
            return std::async(std::launch::async, [this, write_fn]() {
                storage::sqlite::Transaction transaction(*write_db);
                Result result = write_fn(*write_db);
                transaction.commit();
                return result;
            });
        auto promise = std::make_shared<std::promise<Result>>();
        auto result = std::make_shared<Result>();
        options.writer->run_in_transaction(
            [result, write_fn](Database& db, std::uint64_t) { *result = write_fn(db); },
            [promise, result](std::error_code ec) {
                if (ec)
                    promise->set_exception(std::make_exception_ptr(std::system_error(ec)));
                else
                    promise->set_value(*result);
            });
        return promise->get_future();
    }

    template <typename Result, typename Write>
    Result write(Write&& write_fn) {
        return write_async<Result>([&write_fn](Database& db) { return write_fn(db); }).get();
    }

    void report(const std::string& text) {
        if (options.progress) options.progress(text);
    }

    // One <imports> exchange, sent and read; its record is written apart (record_batch).
    struct SentBatch {
        ExchangeRecord exchange;
        std::vector<ItemOutcome> outcomes;
        Clock::time_point finished;
        std::size_t size = 0;
    };

    // The <imports> exchange for `due`; nothing when it was aborted by stop() (not the WMS's
    // failure, so no attempt is counted: the entities stay as they were and go out again at the
    // next start).
    std::optional<SentBatch> send_batch(const StoreExport& store, outbound::HttpClient& client,
                                        const std::string& entity,
                                        const std::vector<DueItem>& due) {
        std::vector<ImportEntry> entries;
        std::vector<std::string> references;
        for (const auto& item : due) {
            entries.push_back({item.reference, entity == "product" ? product_fields(item.document)
                                                                   : order_fields(item.document)});
            references.push_back(item.reference);
        }
        const std::string operation = entity == "product" ? "merge" : "insert";
        const std::string path = entity == "product" ? "remotewarehouse/imports/importitems.xml"
                                                     : "remoteorder/imports/importitems.xml";
        auto request =
            wms_request(store, store.endpoint + path, imports_document(entity, operation, entries));
        const auto started = Clock::now();
        const auto result = client.send(request);
        const auto finished = Clock::now();
        if (!result.ok() && stopping) return std::nullopt;

        SentBatch sent;
        sent.finished = finished;
        sent.size = due.size();
        sent.exchange =
            exchange_record(store, entity, "push", operation, request, result, started, finished);
        ExchangeRecord& exchange = sent.exchange;

        auto& outcomes = sent.outcomes;
        if (!result.ok()) {
            exchange.error = result.error_text;
        } else {
            auto reply =
                read_import_reply(result.response.status, result.response.body, references);
            exchange.error = reply.error;
            if (reply.error.empty())
                for (const auto& item : due) {
                    const auto& r = reply.results[item.reference];
                    outcomes.push_back(
                        {item.reference, item.version, item.attempts, r.result, r.message});
                }
        }
        if (!exchange.error.empty()) {
            for (const auto& item : due)
                outcomes.push_back({item.reference, item.version, item.attempts,
                                    domain::ExportResult::error, exchange.error});
            spdlog::warn("export {} {} to {}: {} ({} entities retried)", store.store_code, entity,
                         store.endpoint, exchange.error, due.size());
        }
        return sent;
    }

    // The exchange's export log and each entity's outcome, in one transaction, started now.
    std::future<RecordSummary> record_batch(const StoreExport& store,
                                            std::shared_ptr<const SentBatch> sent) {
        const RetryPolicy retry{store.max_attempts, store.retry_base, store.retry_max};
        return write_async<RecordSummary>([sent, retry](Database& db) {
            ExportRepository repository(db);
            return repository.record(sent->exchange, sent->outcomes, retry, sent->finished);
        });
    }

    static void count_batch(const SentBatch& sent, const RecordSummary& recorded,
                            RoundSummary& summary) {
        ++summary.exchanges;
        summary.sent += sent.size;
        summary.exported += recorded.exported;
        summary.retried += recorded.retried;
        summary.failed += recorded.failed;
        summary.stale += recorded.stale;
        if (!sent.exchange.error.empty()) ++summary.errors;
    }

    // Notify mode: one update.xml POST per entity of `due`, up to `concurrency` at once (each
    // sender thread has a client of its own, so its connection stays open between entities),
    // then every outcome in one write, one export-log exchange per notification. False when no
    // notification got a clean reply (the WMS is likely down: the rest waits for the next
    // round).
    bool notify_batch(const StoreExport& store,
                      std::vector<std::unique_ptr<outbound::HttpClient>>& pool,
                      const std::string& entity, const std::vector<DueItem>& due,
                      RoundSummary& summary) {
        struct Sent {
            outbound::Request request;
            outbound::Result result;
            Clock::time_point started, finished;
        };
        std::vector<Sent> sent(due.size());
        for (std::size_t i = 0; i < due.size(); ++i)
            sent[i].request = wms_request(store, store.endpoint + notify_path(entity, due[i]), {});
        std::atomic<std::size_t> next{0};
        auto sender = [&](outbound::HttpClient& client) {
            for (std::size_t i = next++; i < due.size() && !stopping; i = next++) {
                sent[i].started = Clock::now();
                sent[i].result = client.send(sent[i].request);
                sent[i].finished = Clock::now();
            }
        };
        const std::size_t senders = std::min(pool.size(), due.size());
        std::vector<std::thread> threads;
        for (std::size_t k = 1; k < senders; ++k) threads.emplace_back(sender, std::ref(*pool[k]));
        sender(*pool[0]);
        for (auto& t : threads) t.join();

        std::vector<std::pair<ExchangeRecord, ItemOutcome>> records;
        std::size_t clean = 0, answered = 0;
        std::string last_error;
        for (std::size_t i = 0; i < due.size(); ++i) {
            const auto& s = sent[i];
            // Not sent, or aborted by stop(): no attempt is counted; it goes out again later.
            if (s.started == Clock::time_point{} || (!s.result.ok() && stopping)) continue;
            auto exchange = exchange_record(store, entity, "notify", "notify", s.request, s.result,
                                            s.started, s.finished);
            exchange.error = s.result.ok() ? reply_error(s.result.response.status,
                                                         s.result.response.body, "no_operation")
                                           : s.result.error_text;
            if (s.result.ok()) ++answered;
            const bool ok = exchange.error.empty();
            if (ok)
                ++clean;
            else
                last_error = exchange.error;
            ItemOutcome outcome{due[i].reference, due[i].version, due[i].attempts,
                                ok ? domain::ExportResult::success : domain::ExportResult::error,
                                exchange.error};
            records.emplace_back(std::move(exchange), std::move(outcome));
        }
        if (records.empty()) return false;
        const RetryPolicy retry{store.max_attempts, store.retry_base, store.retry_max};
        const auto recorded = write<RecordSummary>([&](Database& db) {
            ExportRepository repository(db);
            RecordSummary total;
            for (const auto& [exchange, outcome] : records) {
                const auto finished = Clock::now();
                const auto r = repository.record(exchange, {outcome}, retry, finished);
                total.exported += r.exported;
                total.queued += r.queued;
                total.retried += r.retried;
                total.failed += r.failed;
                total.stale += r.stale;
            }
            return total;
        });
        summary.exchanges += records.size();
        summary.sent += records.size();
        summary.queued += recorded.queued;
        summary.retried += recorded.retried;
        summary.failed += recorded.failed;
        summary.stale += recorded.stale;
        summary.errors += records.size() - clean;
        if (clean < records.size())
            spdlog::warn("export {} {} to {}: {} of {} notifications failed (last: {})",
                         store.store_code, entity, store.endpoint, records.size() - clean,
                         records.size(), last_error);
        return clean > 0 || answered > 0;
    }

    void report_progress(const StoreExport& store, const std::string& entity,
                         const RoundSummary& summary) {
        report(store.store_code + " " + entity + "s: " + std::to_string(summary.sent) + " sent, " +
               std::to_string(summary.exported) + " exported, " + std::to_string(summary.queued) +
               " queued, " + std::to_string(summary.retried) + " to retry, " +
               std::to_string(summary.failed) + " failed");
    }

    DueQuery due_query(const StoreExport& store, const std::string& entity, std::size_t limit) {
        const auto now = Clock::now();
        const bool notify = store.mode == "notify";
        return {store.store_code,
                entity,
                limit,
                storage::format_utc_millis(now),
                store.eligible,
                notify ? storage::format_utc_millis(now - store.queued_timeout) : std::string{}};
    }

    void push_entity(const StoreExport& store, std::size_t index, const std::string& entity,
                     RoundSummary& summary) {
        if (store.mode == "notify") return notify_entity(store, index, entity, summary);
        // Push mode is a pipeline of two: while the outcome of one batch is being written (its
        // export log and a compare-and-set per entity, then the commit), the next batch is
        // selected, built and sent. The selection cannot see the batch still being written, so
        // it skips those references (it asks for that many more); every outcome is written in
        // the order of the sends, and the round ends only once the last one is written.
        std::size_t batches = 0;
        std::future<RecordSummary> writing;
        std::shared_ptr<const SentBatch> in_write;
        std::set<std::string> in_write_refs;
        // Waits for the batch being written; false when the round for this entity should end.
        auto finish_write = [&]() {
            if (!in_write) return true;
            const auto before =
                summary.exported + summary.queued + summary.retried + summary.failed;
            count_batch(*in_write, writing.get(), summary);
            const bool whole_failed = !in_write->exchange.error.empty();
            in_write.reset();
            in_write_refs.clear();
            if (++batches % 10 == 0) report_progress(store, entity, summary);
            // The WMS failed the exchange as a whole: the rest waits for the next round. Every
            // entity of the batch changed while in flight: let the changes settle.
            return !whole_failed &&
                   summary.exported + summary.queued + summary.retried + summary.failed != before;
        };
        try {
            while (!stopping) {
                if (in_write && !in_write->exchange.error.empty()) break;  // the WMS is failing
                auto due = select_due(
                    *own_db, due_query(store, entity, store.batch_size + in_write_refs.size()));
                std::erase_if(due, [&](const DueItem& item) {
                    return in_write_refs.count(item.reference) != 0;
                });
                if (due.size() > store.batch_size) due.resize(store.batch_size);
                if (due.empty()) break;
                auto sent = send_batch(store, *clients[index], entity, due);
                const bool go_on = finish_write();
                if (!sent) break;
                auto batch = std::make_shared<const SentBatch>(std::move(*sent));
                writing = record_batch(store, batch);
                in_write = std::move(batch);
                for (const auto& item : due) in_write_refs.insert(item.reference);
                if (!go_on) break;
            }
            finish_write();
        } catch (...) {
            if (in_write && writing.valid()) writing.wait();  // never left running on its own
            throw;
        }
    }

    void notify_entity(const StoreExport& store, std::size_t index, const std::string& entity,
                       RoundSummary& summary) {
        std::size_t batches = 0;
        while (!stopping) {
            auto due = select_due(*own_db, due_query(store, entity, store.batch_size));
            if (due.empty()) return;
            const auto before =
                summary.exported + summary.queued + summary.retried + summary.failed;
            if (!notify_batch(store, notify_clients[index], entity, due, summary)) return;
            // Every entity of the batch changed while in flight: let the changes settle.
            if (summary.exported + summary.queued + summary.retried + summary.failed == before)
                return;
            if (++batches % 10 == 0) report_progress(store, entity, summary);
        }
    }

    // cancel.xml for each order the WMS has that was cancelled since.
    void cancel_orders(const StoreExport& store, outbound::HttpClient& client,
                       RoundSummary& summary) {
        auto due = select_due_cancellations(*own_db, store.store_code, store.batch_size,
                                            storage::format_utc_millis(Clock::now()));
        for (const auto& order : due) {
            if (stopping) return;
            auto request =
                wms_request(store,
                            store.endpoint + "remoteorder/order/cancel.xml?externalReference=" +
                                domain::percent_encode(order.reference),
                            {});
            const auto started = Clock::now();
            const auto result = client.send(request);
            const auto finished = Clock::now();
            if (!result.ok() && stopping) return;
            auto exchange = exchange_record(store, "order", "push", "cancel", request, result,
                                            started, finished);
            exchange.error = result.ok() ? reply_error(result.response.status, result.response.body,
                                                       "No cancel operation performed")
                                         : result.error_text;
            // A refusal is final and shown to admins (cancel_state failed); no reply or a server
            // error leaves the cancellation due again after a capped backoff (never given up:
            // the WMS must learn of it).
            const bool transient =
                !result.ok() || result.response.status >= 500 || result.response.status == 429;
            const bool sent = exchange.error.empty();
            exchange.apply_outcomes = false;
            const std::vector<ItemOutcome> logged{
                {order.reference, order.version, order.attempts,
                 sent ? domain::ExportResult::success : domain::ExportResult::failure,
                 sent ? std::string{} : exchange.error}};
            write<int>([&](Database& db) {
                ExportRepository repository(db);
                repository.record(exchange, logged, {}, finished);
                if (!transient || sent)
                    repository.record_cancel(order.reference, sent, exchange.error, finished);
                else
                    repository.defer_cancel(
                        order.reference, exchange.error, finished,
                        finished + domain::export_backoff(order.attempts + 1, store.retry_base,
                                                          store.retry_max));
                return 0;
            });
            ++summary.exchanges;
            if (sent)
                ++summary.cancelled;
            else {
                ++summary.errors;
                spdlog::warn("export {}: cancel of order {} failed: {}", store.store_code,
                             order.reference, exchange.error);
                if (transient) return;
            }
        }
    }

    RoundSummary round() {
        std::lock_guard lock(round_mutex);
        RoundSummary summary;
        for (std::size_t i = 0; i < options.stores.size() && !stopping; ++i) {
            const auto& store = options.stores[i];
            try {
                if (store.products) push_entity(store, i, "product", summary);
                if (store.orders) push_entity(store, i, "order", summary);
                if (store.orders) cancel_orders(store, *clients[i], summary);
            } catch (const std::exception& e) {
                // A storage error: what was sent is sent again later (at least once).
                ++summary.errors;
                spdlog::error("export {}: round stopped: {}", store.store_code, e.what());
            }
        }
        return summary;
    }

    // SQLite's count of commits by other connections to this database: any import (CLI in
    // another process, the orders API through the writer) changes it.
    std::int64_t data_version() {
        storage::sqlite::Statement s(*own_db, "PRAGMA data_version");
        s.step();
        return s.column_int64(0);
    }

    // A round at start, after notify(), after any commit by another connection (checked every
    // tick, a cheap PRAGMA), and at least every interval_ms (retries that came due). Returns the
    // wait until the next check.
    util::BackgroundWorker::Clock::duration round_when_due() {
        if (!last_round || notified.exchange(false) ||
            std::chrono::steady_clock::now() - *last_round >= interval ||
            data_version() != seen_data_version) {
            auto summary = round();
            if (summary.exchanges > 0)
                spdlog::info(
                    "export round: {} exchanges, {} sent, {} exported, {} queued, {} to retry, "
                    "{} failed, {} changed in flight, {} cancelled",
                    summary.exchanges, summary.sent, summary.exported, summary.queued,
                    summary.retried, summary.failed, summary.stale, summary.cancelled);
            seen_data_version = data_version();  // includes the round's own writes
            last_round = std::chrono::steady_clock::now();
        }
        return tick;
    }
};

Exporter::Exporter(ExporterOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Exporter::~Exporter() {
    stop();
}

void Exporter::start() {
    if (impl_->worker || impl_->options.stores.empty()) return;
    impl_->interval = std::chrono::milliseconds::max();
    for (const auto& store : impl_->options.stores)
        impl_->interval = std::min(impl_->interval, store.interval);
    impl_->tick = std::min(impl_->interval, std::chrono::milliseconds{100});
    impl_->worker.emplace(util::BackgroundWorker::Options{"export"},
                          [this] { return impl_->round_when_due(); });
}

void Exporter::notify() {
    impl_->notified = true;
    if (impl_->worker) impl_->worker->notify();
}

void Exporter::stop() {
    impl_->stopping = true;
    for (auto& client : impl_->clients) client->cancel();  // a stalled WMS cannot hold it up
    for (auto& pool : impl_->notify_clients)
        for (auto& client : pool) client->cancel();
    if (impl_->worker) impl_->worker->stop();
}

RoundSummary Exporter::run_round() {
    return impl_->round();
}

}  // namespace ofbridge::exporting
