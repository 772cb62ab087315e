// The delivery loop of the magento2 target (see delivery.h; the row states are in outbox.h).
//
// A round, per store: first the due shipments, one ship call at a time (so never two at once for
// one order), then the due stock, in chunks sent `concurrency` at once. It repeats while
// something is due and Magento answers; a round in which nothing got through ends early (Magento
// is likely down, or throttling) and the rows wait out their backoff.
//
// Order of stock and shipments (MSI's source deduction, notes §1.2 and §1.4). Creating a
// shipment in Magento deducts the shipped units from the shipment's source, while the WMS sends
// absolute quantities that already exclude them. So:
//   - stock of a (SKU, source) is held back while a shipment of that SKU from that source waits:
//     sending the WMS's lower figure first could leave the source short and make Magento refuse
//     the shipment ("Not all of your products are available in the requested quantity.");
//   - once a shipment is delivered, the newest stock value of each of its (SKU, source) keys is
//     sent again, whether or not it had already gone out: the deduction is then overwritten by
//     the WMS's absolute figure, so it is never counted twice.
// A failed shipment holds nothing back. Magento ends at the WMS's quantity in every order of
// arrival; in between it may briefly show the deducted figure.
//
// Shipments are never created twice. Before every ship call the row is marked "outcome unknown"
// in a write that is durable (fsynced) before the call goes out; the mark is cleared only by a
// recorded answer. A row found marked (a timeout, a reset, a 5xx, or a crash or kill -9 of the
// broker mid-call) is first looked up in Magento, GET V1/shipments for its order, searching the
// comments for its marker (ofbridge:<request id>): found, it is delivered. Not found is not yet
// proof: Magento may still be running a call we gave up on (our timeout ended, the backoff
// passed) and commit it later. So the first miss records durably in the row the time of that
// miss plus `timeout_ms` (resend_after), and the row is due again then; only when that second
// search misses too is it sent again. The wait is a due time in the outbox, not a sleeping
// thread: other shipments and stock go on meanwhile, and a restart in between waits just the
// same. A ship call Magento is still running more than twice `timeout_ms` (plus the backoff)
// after it was sent could still be sent twice. The durable mark also covers the apply that
// staged the row (the fsync covers every earlier commit), so an apply lost in a power cut is
// never delivered.
//
// Stock is absolute and coalesced: sending a value twice is harmless, so its outcomes are written
// without waiting for an fsync. A chunk Magento refuses (400: MSI validates the whole call before
// writing anything) is split into single items, so only the offending key fails, with Magento's
// message on its import lines.
#include "ofbridge/magento/delivery.h"
#include "ofbridge/domain/percent_encoding.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json.hpp>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "ofbridge/domain/export_rules.h"
#include "ofbridge/metrics/registry.h"
#include "ofbridge/outbox/outbox.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/sqlite/transaction.h"
#include "ofbridge/storage/time_format.h"
#include "ofbridge/storage/writer.h"
#include "ofbridge/util/background_worker.h"

namespace ofbridge::magento {
namespace {

using Clock = std::chrono::system_clock;
using storage::sqlite::Database;

constexpr std::size_t max_outcomes_per_write = 256;

// One stock outcome to record.
struct StockOutcome {
    outbox::StockDue item;
    Outcome outcome = Outcome::unknown;
    std::string message;
    std::optional<std::chrono::seconds> retry_after;
};

std::string stock_body(const StoreTarget& store, const std::vector<outbox::StockDue>& items) {
    boost::json::array source_items;
    for (const auto& item : items)
        source_items.push_back({{"sku", item.sku},
                                {"source_code", magento_source(store, item.source)},
                                {"quantity", item.qty},
                                {"status", item.qty > 0 ? 1 : 0}});
    return boost::json::serialize(boost::json::object{{"sourceItems", std::move(source_items)}});
}

std::optional<std::int64_t> reply_integer(const std::string& body) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(body, ec);
    if (ec) return std::nullopt;
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64());
    if (v.is_string()) try {
            return std::stoll(std::string(v.get_string()));
        } catch (const std::exception&) {
        }
    return std::nullopt;
}

}  // namespace

std::string magento_source(const StoreTarget& store, const std::string& wms_source) {
    const auto found = store.source_map.find(wms_source);
    return found == store.source_map.end() ? wms_source : found->second;
}

bool has_marker(std::string_view text, std::string_view marker) {
    for (auto at = text.find(marker); at != std::string_view::npos;
         at = text.find(marker, at + 1)) {
        const auto end = at + marker.size();
        const bool left_ok = at == 0 || !(std::isalnum(static_cast<unsigned char>(text[at - 1])));
        const bool right_ok =
            end == text.size() || !(std::isalnum(static_cast<unsigned char>(text[end])) ||
                                    text[end] == '/' || text[end] == '-' || text[end] == '_');
        if (left_ok && right_ok) return true;
    }
    return false;
}

struct Delivery::Impl {
    explicit Impl(DeliveryOptions o) : options(std::move(o)) {
        for (const auto& store : options.stores)
            clients.push_back(std::make_unique<RestClient>(store.client));
        if (options.writer) {
            db = std::make_unique<Database>(storage::open_read_only(
                options.database, 8, "Magento outbox", "start the broker once"));
        } else {
            db = std::make_unique<Database>(
                storage::open_writable(options.database, 0, std::chrono::seconds(10)));
            db->exec("PRAGMA synchronous=FULL");
            storage::sqlite::migrate(*db, storage::embedded_migrations());
        }
    }

    DeliveryOptions options;
    std::vector<std::unique_ptr<RestClient>> clients;
    std::unique_ptr<Database> db;
    std::atomic<bool> stopping{false};
    std::mutex round_mutex;
    std::optional<util::BackgroundWorker> worker;  // serve: rounds on a thread of their own

    // `write_fn(OutboxRepository&)` in one transaction; `durable`: returns once fsynced.
    template <typename Write>
    void write(Write&& write_fn, bool durable) {
        write_async(std::forward<Write>(write_fn), durable).get();
    }

    // The same, submitted: the future is ready once committed (durable: fsynced). Several
    // submitted at once land in the same group commit.
    template <typename Write>
    std::future<void> write_async(Write&& write_fn, bool durable) {
        if (!options.writer) {
            std::promise<void> done;
            try {
                storage::sqlite::Transaction transaction(*db);
                outbox::OutboxRepository repository(*db);
                write_fn(repository);
                transaction.commit();
                done.set_value();
            } catch (...) {
                done.set_exception(std::current_exception());
            }
            return done.get_future();
        }
        auto promise = std::make_shared<std::promise<void>>();
        storage::WriteJob job;
        job.run = [write_fn](Database& d, std::uint64_t) {
            outbox::OutboxRepository repository(d);
            write_fn(repository);
            return false;
        };
        job.done = [promise](std::error_code ec) {
            if (ec)
                promise->set_exception(std::make_exception_ptr(std::system_error(ec)));
            else
                promise->set_value();
        };
        job.completion = durable ? storage::Completion::durable : storage::Completion::committed;
        auto future = promise->get_future();
        options.writer->submit(std::move(job));
        return future;
    }

    std::string retry_at(const StoreTarget& store, unsigned attempts,
                         std::optional<std::chrono::seconds> retry_after) {
        auto delay = domain::export_backoff(attempts + 1, store.retry_base, store.retry_max);
        if (retry_after)
            delay = std::max<std::chrono::milliseconds>(
                delay, std::min<std::chrono::milliseconds>(*retry_after, store.retry_max));
        return storage::format_utc_millis(Clock::now() + delay);
    }

    // --- shipments -------------------------------------------------------------------------

    // After an unknown outcome: does Magento have a shipment with this row's marker?
    // nullopt: the lookup itself failed (reply in `failure`).
    std::optional<std::optional<std::int64_t>> find_marked(RestClient& client,
                                                           const outbox::ShipmentDue& row,
                                                           Reply& failure) {
        const std::string f = "searchCriteria%5BfilterGroups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5B";
        const std::string path = "shipments?" + f + "field%5D=order_id&" + f +
                                 "value%5D=" + std::to_string(*row.order_entity_id) + "&" + f +
                                 "conditionType%5D=eq";
        auto reply = client.call("GET", path);
        if (reply.outcome != Outcome::ok) {
            failure = std::move(reply);
            return std::nullopt;
        }
        boost::system::error_code ec;
        const auto parsed = boost::json::parse(reply.body, ec);
        if (ec || !parsed.is_object()) {
            failure = std::move(reply);
            failure.outcome = Outcome::unknown;
            failure.message = "GET shipments: the reply is not a search result";
            return std::nullopt;
        }
        if (const auto* items = parsed.get_object().if_contains("items");
            items && items->is_array())
            for (const auto& shipment : items->get_array()) {
                if (!shipment.is_object()) continue;
                const auto& s = shipment.get_object();
                const auto* comments = s.if_contains("comments");
                if (!comments || !comments->is_array()) continue;
                for (const auto& c : comments->get_array()) {
                    if (!c.is_object()) continue;
                    const auto* text = c.get_object().if_contains("comment");
                    if (text && text->is_string() && has_marker(text->get_string(), row.marker)) {
                        std::optional<std::int64_t> id;
                        if (const auto* e = s.if_contains("entity_id"); e && e->is_int64())
                            id = e->get_int64();
                        return std::optional<std::optional<std::int64_t>>(id);
                    }
                }
            }
        return std::optional<std::optional<std::int64_t>>(std::in_place);  // not found
    }

    // False when Magento did not answer usefully (the round for this store stops).
    bool deliver_shipment(const StoreTarget& store, RestClient& client,
                          const outbox::ShipmentDue& row, DeliverySummary& summary) {
        const auto now = [] { return storage::format_utc_millis(Clock::now()); };
        if (!row.order_entity_id) {
            write(
                [&](outbox::OutboxRepository& r) {
                    r.shipment_refused(row.id, "the order has no Magento entity_id", now());
                },
                false);
            ++summary.shipments_failed;
            return true;
        }
        if (row.unknown_outcome) {
            Reply failure;
            ++summary.calls;
            const auto found = find_marked(client, row, failure);
            if (!found) {
                if (stopping && failure.status == 0) return false;
                write(
                    [&](outbox::OutboxRepository& r) {
                        r.retry_later(row.id, "checking for the shipment: " + failure.message,
                                      retry_at(store, row.attempts, failure.retry_after), now());
                    },
                    false);
                ++summary.retried;
                spdlog::warn("magento {}: looking for the shipment of order {} (request {}): {}",
                             store.store_code, row.order_increment_id, row.request_id,
                             failure.message);
                return false;
            }
            if (*found) {
                write(
                    [&](outbox::OutboxRepository& r) {
                        r.shipment_delivered(row.id, **found, now());
                    },
                    false);
                ++summary.shipments_found;
                spdlog::info("magento {}: shipment of order {} (request {}) found by its marker",
                             store.store_code, row.order_increment_id, row.request_id);
                return true;
            }
            // Not there (yet): a call Magento was still running when we gave up may commit
            // later. Sent again only when a second search, at least the call timeout after
            // the first miss, misses too (see the top).
            const auto at = Clock::now();
            const auto at_text = storage::format_utc_millis(at);
            if (row.resend_after.empty() || at_text < row.resend_after) {
                const auto resend_after =
                    row.resend_after.empty() ? storage::format_utc_millis(at + store.client.timeout)
                                             : row.resend_after;
                write(
                    [&](outbox::OutboxRepository& r) {
                        r.shipment_not_found_yet(row.id, resend_after, at_text);
                    },
                    true);
                ++summary.shipments_not_found_yet;
                spdlog::info(
                    "magento {}: shipment of order {} (request {}) not in Magento yet; looked "
                    "for again at {} before it is sent again",
                    store.store_code, row.order_increment_id, row.request_id, resend_after);
                return true;
            }
            spdlog::info(
                "magento {}: shipment of order {} (request {}) not in Magento after two "
                "searches; sending it again",
                store.store_code, row.order_increment_id, row.request_id);
        }
        // The mark is durable before the call goes out (see the top).
        write([&](outbox::OutboxRepository& r) { r.shipment_call_started(row.id, now()); }, true);
        boost::system::error_code ec;
        auto body = boost::json::parse(row.body, ec);
        if (ec || !body.is_object()) throw std::runtime_error("corrupt shipment body in outbox");
        body.get_object()["arguments"] = {
            {"extension_attributes", {{"source_code", magento_source(store, row.source)}}}};
        ++summary.calls;
        const auto reply =
            client.call("POST", "order/" + std::to_string(*row.order_entity_id) + "/ship",
                        boost::json::serialize(body), true);
        if (stopping && reply.status == 0) return false;  // stays marked: checked at next start
        if (reply.outcome == Outcome::ok) {
            write(
                [&](outbox::OutboxRepository& r) {
                    r.shipment_delivered(row.id, reply_integer(reply.body), now());
                },
                false);
            ++summary.shipments_delivered;
            return true;
        }
        if (reply.outcome == Outcome::rejected) {
            write(
                [&](outbox::OutboxRepository& r) {
                    r.shipment_refused(row.id, reply.message, now());
                },
                false);
            ++summary.shipments_failed;
            spdlog::warn("magento {}: shipment of order {} (request {}) refused: {}",
                         store.store_code, row.order_increment_id, row.request_id, reply.message);
            return true;
        }
        // Unknown outcome (or throttled, or 401): stays marked, so the next attempt checks first.
        write(
            [&](outbox::OutboxRepository& r) {
                r.retry_later(row.id, reply.message,
                              retry_at(store, row.attempts, reply.retry_after), now());
            },
            false);
        ++summary.retried;
        spdlog::warn("magento {}: shipment of order {} (request {}): {}; checked before a retry",
                     store.store_code, row.order_increment_id, row.request_id, reply.message);
        return false;
    }

    // --- stock -----------------------------------------------------------------------------

    // One call for `items`; a refused chunk is split so only the offending items fail.
    void send_stock(const StoreTarget& store, RestClient& client,
                    const std::vector<outbox::StockDue>& items, std::vector<StockOutcome>& out,
                    std::atomic<std::size_t>& calls) {
        Reply reply;
        if (store.stock_api == "legacy") {
            const auto& item = items.front();  // one SKU per call
            if (magento_source(store, item.source) != "default") {
                out.push_back({item, Outcome::rejected,
                               "stock_api = \"legacy\" sets the default source only; source '" +
                                   item.source + "' is not sent",
                               std::nullopt});
                return;
            }
            boost::json::object body{
                {"stockItem", {{"qty", item.qty}, {"is_in_stock", item.qty > 0}}}};
            ++calls;
            reply =
                client.call("PUT", "products/" + domain::percent_encode(item.sku) + "/stockItems/1",
                            boost::json::serialize(body));
        } else {
            ++calls;
            reply = client.call("POST", "inventory/source-items", stock_body(store, items));
        }
        if (reply.outcome == Outcome::rejected && items.size() > 1) {
            for (const auto& item : items) {
                if (stopping) break;
                send_stock(store, client, {item}, out, calls);
            }
            return;
        }
        if (stopping && reply.status == 0) return;  // aborted: stays as it was
        for (const auto& item : items)
            out.push_back({item, reply.outcome, reply.message, reply.retry_after});
    }

    // Everything due for one store, chunk by chunk; false when nothing got through.
    bool deliver_stock(const StoreTarget& store, RestClient& client,
                       const std::vector<outbox::StockDue>& due, DeliverySummary& summary) {
        const std::size_t chunk =
            store.stock_api == "legacy" ? 1 : std::max<std::size_t>(1, store.source_items_chunk);
        std::vector<std::vector<outbox::StockDue>> chunks;
        for (std::size_t i = 0; i < due.size(); i += chunk)
            chunks.emplace_back(
                due.begin() + static_cast<std::ptrdiff_t>(i),
                due.begin() + static_cast<std::ptrdiff_t>(std::min(due.size(), i + chunk)));
        std::vector<std::vector<StockOutcome>> results(chunks.size());
        std::atomic<std::size_t> next{0}, calls{0};
        auto sender = [&] {
            for (std::size_t i = next++; i < chunks.size() && !stopping; i = next++)
                send_stock(store, client, chunks[i], results[i], calls);
        };
        const std::size_t senders =
            std::min<std::size_t>(std::max(1u, store.client.concurrency), chunks.size());
        std::vector<std::thread> threads;
        for (std::size_t k = 1; k < senders; ++k) threads.emplace_back(sender);
        sender();
        for (auto& t : threads) t.join();
        summary.calls += calls;

        std::size_t delivered = 0, failed = 0, retried = 0;
        std::string last_error;
        // Recorded in jobs of at most max_outcomes_per_write items, so no job holds the one
        // writer (and the acks queued behind it) for long (storage/writer.h, budgets).
        std::vector<const StockOutcome*> outcomes;
        for (const auto& result : results)
            for (const auto& o : result) outcomes.push_back(&o);
        std::vector<std::future<void>> written;
        for (std::size_t from = 0; from < outcomes.size(); from += max_outcomes_per_write) {
            const auto to = std::min(outcomes.size(), from + max_outcomes_per_write);
            written.push_back(write_async(
                [&, from, to](outbox::OutboxRepository& r) {
                    const auto now = storage::format_utc_millis(Clock::now());
                    std::vector<std::pair<std::int64_t, std::int64_t>> sent;
                    for (std::size_t i = from; i < to; ++i) {
                        const auto& o = *outcomes[i];
                        if (o.outcome == Outcome::ok) {
                            sent.emplace_back(o.item.id, o.item.seq);
                            ++delivered;
                        } else if (o.outcome == Outcome::rejected) {
                            r.stock_refused(o.item.id, o.item.seq, o.message, now);
                            ++failed;
                        } else {
                            r.retry_later(o.item.id, o.message,
                                          retry_at(store, o.item.attempts, o.retry_after), now);
                            ++retried;
                            last_error = o.message;
                        }
                    }
                    r.stock_delivered(sent, now);
                },
                false));
        }
        // Every job is waited for (they reference this frame) before the first error is thrown.
        std::exception_ptr error;
        for (auto& w : written) try {
                w.get();
            } catch (...) {
                if (!error) error = std::current_exception();
            }
        if (error) std::rethrow_exception(error);
        summary.stock_delivered += delivered;
        summary.stock_failed += failed;
        summary.retried += retried;
        if (retried > 0)
            spdlog::warn("magento {}: {} stock item(s) to retry ({})", store.store_code, retried,
                         last_error);
        return delivered + failed > 0;
    }

    void deliver_store(std::size_t index, DeliverySummary& summary) {
        const auto& store = options.stores[index];
        auto& client = *clients[index];
        for (;;) {
            if (stopping) return;
            const auto now = storage::format_utc_millis(Clock::now());
            auto shipments = outbox::select_due_shipments(*db, store.store_code, now, 50);
            bool progress = false;
            for (const auto& row : shipments) {
                if (stopping) return;
                if (!deliver_shipment(store, client, row, summary)) return;
                progress = true;
            }
            // Enough for several calls per sender, so the rounds' reads and writes between
            // calls stay a small part of the time.
            const std::size_t limit =
                std::max<std::size_t>(std::max<std::size_t>(1, store.source_items_chunk) *
                                          std::max(1u, store.client.concurrency) * 4,
                                      1000);
            auto stock = outbox::select_due_stock(*db, store.store_code, now, limit);
            if (!stock.empty()) {
                if (!deliver_stock(store, client, stock, summary)) return;
                progress = true;
            }
            if (!progress) return;
        }
    }

    DeliverySummary round() {
        std::lock_guard lock(round_mutex);
        DeliverySummary summary;
        for (std::size_t i = 0; i < options.stores.size() && !stopping; ++i) {
            try {
                deliver_store(i, summary);
            } catch (const std::exception& e) {
                // A storage error: every row stays as it was and is tried again.
                spdlog::error("magento {}: delivery round stopped: {}",
                              options.stores[i].store_code, e.what());
            }
        }
        return summary;
    }

    // Time until the earliest waiting row is due (capped), for the idle wait.
    std::chrono::milliseconds idle_wait() {
        auto wait = std::chrono::milliseconds{1000};
        const auto now = storage::format_utc_millis(Clock::now());
        for (const auto& store : options.stores) {
            const auto due = outbox::next_due(*db, store.store_code);
            if (!due.empty() && due <= now)
                wait = std::min(wait, std::chrono::milliseconds{50});
            else if (!due.empty())
                wait = std::min(wait, std::chrono::milliseconds{100});
        }
        return wait;
    }

    // /metrics: what each round delivered, by kind and outcome.
    static void count_round(const DeliverySummary& summary) {
        auto& r = metrics::registry();
        static auto& calls = r.counter("ofbridge_magento_calls_total",
                                       "REST calls made to Magento by the delivery loop.");
        static auto& retried =
            r.counter("ofbridge_magento_retries_total",
                      "Outbox rows put back to wait after a transient error (any kind).");
        static auto& search_misses = r.counter(
            "ofbridge_magento_shipment_search_misses_total",
            "Ship calls with an unknown outcome that a marker search did not find yet: "
            "searched for again timeout_ms later, and sent again only if that misses too.");
        const auto delivery = [&r](const char* kind, const char* outcome) -> metrics::Counter& {
            return r.counter("ofbridge_magento_deliveries_total",
                             "Outbox rows settled with Magento, by kind and outcome (found = a "
                             "shipment found by its marker after an unknown outcome).",
                             {{"kind", kind}, {"outcome", outcome}});
        };
        static auto& stock_delivered = delivery("stock", "delivered");
        static auto& stock_failed = delivery("stock", "failed");
        static auto& shipments_delivered = delivery("shipment", "delivered");
        static auto& shipments_found = delivery("shipment", "found");
        static auto& shipments_failed = delivery("shipment", "failed");
        calls.add(summary.calls);
        retried.add(summary.retried);
        search_misses.add(summary.shipments_not_found_yet);
        stock_delivered.add(summary.stock_delivered);
        stock_failed.add(summary.stock_failed);
        shipments_delivered.add(summary.shipments_delivered);
        shipments_found.add(summary.shipments_found);
        shipments_failed.add(summary.shipments_failed);
    }

    // One round, then the wait until the next: notify() ends it early.
    util::BackgroundWorker::Clock::duration round_and_wait() {
        const auto summary = round();
        count_round(summary);
        if (summary.calls > 0)
            spdlog::info(
                "magento round: {} calls, stock {} delivered {} failed, shipments {} "
                "delivered {} found by marker {} failed, {} to retry",
                summary.calls, summary.stock_delivered, summary.stock_failed,
                summary.shipments_delivered, summary.shipments_found, summary.shipments_failed,
                summary.retried);
        std::chrono::milliseconds wait{1000};
        try {
            wait = idle_wait();
        } catch (const std::exception& e) {
            spdlog::error("magento delivery: {}", e.what());
        }
        return wait;
    }
};

Delivery::Delivery(DeliveryOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Delivery::~Delivery() {
    stop();
}

void Delivery::start() {
    if (impl_->worker || impl_->options.stores.empty()) return;
    impl_->worker.emplace(util::BackgroundWorker::Options{"magento delivery"},
                          [this] { return impl_->round_and_wait(); });
}

void Delivery::notify() {
    if (impl_->worker) impl_->worker->notify();
}

void Delivery::stop() {
    impl_->stopping = true;
    for (auto& client : impl_->clients) client->cancel();
    if (impl_->worker) impl_->worker->stop();
}

DeliverySummary Delivery::run_round() {
    return impl_->round();
}

}  // namespace ofbridge::magento
