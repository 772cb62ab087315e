// The incremental pull of orders and products (see pull.h).
//
// A window, per store and entity (products first, so an order's SKUs are in the catalog by the
// time it lands):
//   from = the saved watermark minus `overlap` (or `--since`, or the epoch on the first pull);
//   to   = our UTC clock minus `settle`, computed once and frozen for the whole window, so
//          documents saved while we page (their updated_at is "now") are left to the next window
//          instead of moving under us, and a save whose transaction commits a moment after it
//          stamped updated_at is not missed (the overlap covers the rest, and clocks a few
//          seconds apart);
//   GET V1/orders (V1/products with type_id = simple) where from <= updated_at < to, sorted by
//          the primary key (entity_id; the SKU for products) and read by that key, not by page
//          number: every request is page 1 of "key > the last key read". Magento's pages are
//          offsets, so a document that leaves the window while we page (it was saved again)
//          would shift every later one a place back and one would never be read; and an
//          out-of-range page repeats the last one rather than coming back empty. Keyed reads have
//          neither problem: total_count says how many are left, and the window is done when the
//          page holds all of them (or none). A page whose last key is not past the previous one
//          (a Magento that ignores the key filter) stops the window with an error rather than
//          looping;
//   each page is written through the one writer, in slices (a savepoint per document), stored
//          raw and normalised by the import code of orders/catalog: an order whose stored
//          updated_at equals the document's is skipped (dedupe on (id, updated_at), the overlap
//          and a re-pull read documents again), a product whose content hash is unchanged keeps
//          its export state;
//   the watermark (= to) is saved only once every page of the window is committed, so a pull
//          cut short (Magento down, the broker stopped) starts again from the same place and
//          nothing is skipped; what was committed meanwhile is found unchanged.
// A document the import code refuses (say, an item with a fractional quantity) is logged and
// counted as refused and the window goes on: one bad order must not stop every later one. It is
// read again whenever Magento saves it again.
#include "ofbridge/magento/pull.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json.hpp>
#include <ctime>
#include <future>
#include <mutex>
#include <optional>
#include <set>

#include "ofbridge/catalog/product_import.h"
#include "ofbridge/domain/percent_encoding.h"
#include "ofbridge/orders/order_store.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/sqlite/transaction.h"
#include "ofbridge/storage/time_format.h"
#include "ofbridge/storage/writer.h"
#include "ofbridge/util/background_worker.h"

namespace ofbridge::magento {

std::string magento_time(std::chrono::system_clock::time_point t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
    return text;
}

std::optional<std::chrono::system_clock::time_point> parse_magento_time(std::string_view text) {
    std::tm tm{};
    const std::string s(text);
    int consumed = 0;
    if (s.size() == 10) {
        if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                        &consumed) != 3)
            return std::nullopt;
    } else if (s.size() == 19 && (s[10] == ' ' || s[10] == 'T')) {
        char sep = 0;
        if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                        &tm.tm_mday, &sep, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 7)
            return std::nullopt;
    } else {
        return std::nullopt;
    }
    if (consumed != static_cast<int>(s.size()) || tm.tm_mon < 1 || tm.tm_mon > 12 ||
        tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const std::time_t seconds = timegm(&tm);
    if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
    return std::chrono::system_clock::from_time_t(seconds);
}

namespace {

using Clock = std::chrono::system_clock;
using storage::sqlite::Database;
using storage::sqlite::Statement;

// How far behind our clock a window ends, and how far back before the watermark the next one
// starts (see the top).
constexpr std::chrono::seconds settle{3};
constexpr std::chrono::seconds overlap{10};
constexpr std::string_view epoch = "1970-01-01 00:00:00";
// A progress line every this many pages.
constexpr std::size_t progress_every = 10;

enum class Change { created, changed, unchanged };

// One document of a page, ready to write (on the writer's connection).
struct Document {
    std::string label;  // "order 000000012", "product SKU-1"
    std::function<Change(Database&)> write;
};

std::string criteria_filter(std::size_t group, std::string_view field, std::string_view value,
                            std::string_view condition) {
    const std::string f = "searchCriteria%5BfilterGroups%5D%5B" + std::to_string(group) +
                          "%5D%5Bfilters%5D%5B0%5D%5B";
    return f + "field%5D=" + domain::percent_encode(field) + "&" + f +
           "value%5D=" + domain::percent_encode(value) + "&" + f +
           "conditionType%5D=" + std::string(condition) + "&";
}

std::string key_text(const boost::json::value* v) {
    if (!v) return {};
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_int64()) return std::to_string(v->get_int64());
    if (v->is_uint64()) return std::to_string(v->get_uint64());
    return {};
}

}  // namespace

struct Puller::Impl {
    explicit Impl(PullOptions o) : options(std::move(o)) {
        for (const auto& store : options.stores)
            clients.push_back(std::make_unique<RestClient>(store.client));
        if (!options.writer) {
            // Like `orders import`: a pull may be the first thing written.
            if (options.database.has_parent_path())
                storage::create_data_directory(options.database.parent_path());
            db = std::make_unique<Database>(
                storage::open_writable(options.database, 0, std::chrono::seconds(10)));
            db->exec("PRAGMA synchronous=FULL");
            db->exec("PRAGMA foreign_keys=ON");
            storage::sqlite::migrate(*db, storage::embedded_migrations());
        }
    }

    PullOptions options;
    std::vector<std::unique_ptr<RestClient>> clients;
    std::unique_ptr<Database> db;  // standalone only
    std::atomic<bool> stopping{false};
    std::mutex run_mutex;                          // one pull at a time
    std::vector<Clock::time_point> due;            // serve: when each store is pulled next
    std::optional<util::BackgroundWorker> worker;  // serve: pulls on a thread of their own

    using Slice = std::function<bool(Database&, const storage::SliceBudget&)>;

    // Runs `slice` until it says it is finished, each call one committed slice; throws on error.
    void write(const Slice& slice) {
        if (!options.writer) {
            for (bool finished = false; !finished;) {
                storage::sqlite::Transaction transaction(*db);
                finished = slice(*db, storage::SliceBudget{500, std::chrono::steady_clock::now() +
                                                                    std::chrono::seconds(1)});
                transaction.commit();
            }
            return;
        }
        auto promise = std::make_shared<std::promise<void>>();
        storage::WriteJob job;
        job.run_slice = [slice](Database& d, std::uint64_t, const storage::SliceBudget& budget) {
            return storage::SliceResult{slice(d, budget), false};
        };
        job.done = [promise](std::error_code ec) {
            if (ec)
                promise->set_exception(std::make_exception_ptr(std::system_error(ec)));
            else
                promise->set_value();
        };
        // Pulled documents are read again if lost in a crash: committed is enough.
        job.completion = storage::Completion::committed;
        job.approximate_bytes = 64 * 1024;
        auto future = promise->get_future();
        options.writer->submit(std::move(job));
        future.get();
    }

    std::optional<std::string> watermark(const std::string& store, const char* entity) {
        std::optional<std::string> found;
        write([&](Database& d, const storage::SliceBudget&) {
            Statement s(d,
                        "SELECT watermark FROM magento_pull WHERE store_code = ?1 AND entity = ?2");
            s.bind(1, store).bind(2, std::string(entity));
            if (s.step()) found = s.column_text(0);
            return true;
        });
        return found;
    }

    void save_watermark(const std::string& store, const char* entity, const std::string& to,
                        std::size_t documents) {
        write([&](Database& d, const storage::SliceBudget&) {
            Statement s(d,
                        "INSERT INTO magento_pull (store_code, entity, watermark, pulled_at,"
                        " documents) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (store_code, entity)"
                        " DO UPDATE SET watermark = max(watermark, excluded.watermark),"
                        " pulled_at = excluded.pulled_at, documents = excluded.documents");
            s.bind(1, store)
                .bind(2, std::string(entity))
                .bind(3, to)
                .bind(4, storage::format_utc_millis(Clock::now()))
                .bind(5, static_cast<std::int64_t>(documents))
                .run();
            return true;
        });
    }

    // Writes one page's documents, a savepoint each; refused ones are counted and logged.
    void write_page(const std::string& store, std::vector<Document>& documents,
                    EntityPull& result) {
        std::size_t next = 0;
        write([&](Database& d, const storage::SliceBudget& budget) {
            std::size_t rows = 0;
            for (; next < documents.size() && !budget.spent(rows); ++next, ++rows) {
                storage::sqlite::Savepoint savepoint(d, "pulled_document");
                try {
                    switch (documents[next].write(d)) {
                        case Change::created:
                            ++result.created;
                            break;
                        case Change::changed:
                            ++result.changed;
                            break;
                        case Change::unchanged:
                            ++result.unchanged;
                            break;
                    }
                    savepoint.release();
                } catch (const orders::OrderImportError& e) {
                    savepoint.rollback();
                    ++result.refused;
                    spdlog::warn("magento {}: pulled {} refused: {}", store, documents[next].label,
                                 e.what());
                }
            }
            return next == documents.size();
        });
    }

    // The documents of one page (parsed; refused ones counted). `seen` dedupes on
    // (key, updated_at) within the window.
    std::vector<Document> documents_of(const StoreTarget& store, bool orders_page,
                                       const boost::json::array& items,
                                       std::set<std::pair<std::string, std::string>>& seen,
                                       EntityPull& result) {
        std::vector<Document> out;
        for (const auto& item : items) {
            if (!item.is_object()) {
                ++result.refused;
                continue;
            }
            const auto& o = item.get_object();
            const auto key = key_text(o.if_contains(orders_page ? "entity_id" : "sku"));
            if (!seen.emplace(key, key_text(o.if_contains("updated_at"))).second) {
                ++result.unchanged;
                continue;
            }
            const auto text = boost::json::serialize(item);
            try {
                if (orders_page) {
                    auto parsed = orders::parse_orders_json(text, store.store_code);
                    auto order = std::make_shared<orders::Order>(std::move(parsed.front()));
                    out.push_back({"order " + order->increment_id, [order](Database& d) {
                                       switch (orders::upsert_pulled_order(d, *order)) {
                                           case orders::PulledOrder::created:
                                               return Change::created;
                                           case orders::PulledOrder::changed:
                                               return Change::changed;
                                           default:
                                               return Change::unchanged;
                                       }
                                   }});
                } else {
                    auto parsed = catalog::parse_products_json(text, store.store_code);
                    auto product =
                        std::make_shared<catalog::ProductRecord>(std::move(parsed.front()));
                    out.push_back({"product " + product->sku, [product](Database& d) {
                                       const auto now = storage::format_utc_millis(Clock::now());
                                       switch (catalog::upsert_product(d, *product, now)) {
                                           case catalog::ProductChange::created:
                                               return Change::created;
                                           case catalog::ProductChange::changed:
                                               return Change::changed;
                                           default:
                                               return Change::unchanged;
                                       }
                                   }});
                }
            } catch (const std::exception& e) {
                ++result.refused;
                spdlog::warn("magento {}: pulled {} {} refused: {}", store.store_code,
                             orders_page ? "order" : "product", key, e.what());
            }
        }
        return out;
    }

    // One window of one entity; fills `result` (committed, or error).
    void pull_entity(std::size_t index, bool orders_page, const std::optional<std::string>& since,
                     EntityPull& result) {
        const auto& store = options.stores[index];
        auto& client = *clients[index];
        const char* entity = orders_page ? "order" : "product";
        const char* what = orders_page ? "orders" : "products";
        const auto saved = watermark(store.store_code, entity);
        result.to = magento_time(Clock::now() - settle);
        if (since) {
            result.from = *since;
        } else if (saved) {
            const auto at = parse_magento_time(*saved);
            result.from = at ? magento_time(*at - overlap) : std::string(epoch);
        } else {
            result.from = std::string(epoch);
        }
        if (result.from >= result.to) {
            result.committed = true;
            return;
        }
        const std::string key_field = orders_page ? "entity_id" : "sku";
        const std::size_t page_size = std::max<std::size_t>(1, store.pull_page_size);
        std::set<std::pair<std::string, std::string>> seen;
        std::optional<std::string> cursor;
        std::size_t total = 0, read = 0;
        for (;;) {
            if (stopping) {
                result.error = "stopped";
                return;
            }
            std::string path = std::string(what) + "?" +
                               criteria_filter(0, "updated_at", result.from, "gteq") +
                               criteria_filter(1, "updated_at", result.to, "lt");
            std::size_t group = 2;
            if (!orders_page) path += criteria_filter(group++, "type_id", "simple", "eq");
            if (cursor) path += criteria_filter(group++, key_field, *cursor, "gt");
            path += "searchCriteria%5BsortOrders%5D%5B0%5D%5Bfield%5D=" + key_field +
                    "&searchCriteria%5BsortOrders%5D%5B0%5D%5Bdirection%5D=ASC"
                    "&searchCriteria%5BpageSize%5D=" +
                    std::to_string(page_size) + "&searchCriteria%5BcurrentPage%5D=1";
            const auto reply = client.call("GET", path);
            if (reply.outcome != Outcome::ok) {
                result.error = "GET " + std::string(what) + ": " + reply.message;
                return;
            }
            ++result.pages;
            boost::system::error_code ec;
            const auto parsed = boost::json::parse(reply.body, ec);
            const boost::json::array* items = nullptr;
            std::optional<std::int64_t> count;
            if (!ec && parsed.is_object()) {
                const auto& o = parsed.get_object();
                if (const auto* i = o.if_contains("items"); i && i->is_array())
                    items = &i->get_array();
                if (const auto* t = o.if_contains("total_count"); t && t->is_int64())
                    count = t->get_int64();
            }
            if (!items || !count) {
                result.error = "GET " + std::string(what) + ": the reply is not a search result";
                return;
            }
            if (result.pages == 1) total = static_cast<std::size_t>(*count);
            if (items->empty()) break;
            std::string last;
            if (const auto& back = items->back(); back.is_object())
                last = key_text(back.get_object().if_contains(key_field));
            auto documents = documents_of(store, orders_page, *items, seen, result);
            write_page(store.store_code, documents, result);
            read += items->size();
            const bool done = items->size() >= static_cast<std::size_t>(*count);
            if (done) break;
            // The next page starts after this one's last key; a key that does not move on (or
            // a page with fewer documents than it promised) means the filter was not applied.
            const bool moved =
                !last.empty() && (!cursor || (orders_page ? std::stoll(last) > std::stoll(*cursor)
                                                          : last != *cursor));
            if (!moved || items->size() < std::min(page_size, static_cast<std::size_t>(*count))) {
                result.error = "GET " + std::string(what) +
                               ": Magento did not page by key (the same page again)";
                return;
            }
            cursor = last;
            if (result.pages % progress_every == 0) {
                const auto line = "magento pull " + store.store_code + " " + what + ": " +
                                  std::to_string(read) + " of about " + std::to_string(total) +
                                  " read (" + std::to_string(result.pages) + " pages)";
                if (options.progress) options.progress(line);
                spdlog::info("{}", line);
            }
        }
        // Saved only now, with every page committed. A --since window that starts after the
        // saved watermark does not move it (the gap before it was not read).
        if (!since || !saved || *since <= *saved)
            save_watermark(store.store_code, entity, result.to,
                           result.created + result.changed + result.unchanged);
        result.committed = true;
    }

    PullSummary pull_store(std::size_t index, const std::optional<std::string>& since) {
        PullSummary summary;
        summary.store_code = options.stores[index].store_code;
        for (auto* part : {&summary.products, &summary.orders}) {
            const bool orders_page = part == &summary.orders;
            try {
                pull_entity(index, orders_page, since, *part);
            } catch (const std::exception& e) {
                part->error = e.what();  // a storage error: the window is pulled again later
            }
            // Each entity has its own watermark: orders are pulled even when products failed.
            if (!part->error.empty())
                spdlog::warn("magento {}: pull of {} stopped, watermark kept: {}",
                             summary.store_code, orders_page ? "orders" : "products", part->error);
        }
        const auto& p = summary.products;
        const auto& o = summary.orders;
        if (p.created + p.changed + o.created + o.changed + p.refused + o.refused > 0)
            spdlog::info(
                "magento {}: pulled products {} new {} changed {} refused, orders {} new {} "
                "changed {} refused",
                summary.store_code, p.created, p.changed, p.refused, o.created, o.changed,
                o.refused);
        return summary;
    }

    // Pulls the stores that are due; returns the wait until the next one is.
    util::BackgroundWorker::Clock::duration pull_due_stores() {
        // Named, not a temporary per call: GCC 12 at -O3 warns (falsely) that a temporary empty
        // optional<string> may be destroyed uninitialised.
        const std::optional<std::string> from_watermark;
        for (std::size_t i = 0; i < options.stores.size() && !stopping; ++i) {
            if (Clock::now() < due[i]) continue;
            {
                std::lock_guard lock(run_mutex);
                pull_store(i, from_watermark);
            }
            due[i] = Clock::now() + options.stores[i].pull_interval;
        }
        return *std::min_element(due.begin(), due.end()) - Clock::now();
    }
};

Puller::Puller(PullOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Puller::~Puller() {
    stop();
}

void Puller::start() {
    if (impl_->worker || impl_->options.stores.empty()) return;
    impl_->due.assign(impl_->options.stores.size(), Clock::now());
    impl_->worker.emplace(util::BackgroundWorker::Options{"magento pull"},
                          [this] { return impl_->pull_due_stores(); });
}

void Puller::stop() {
    impl_->stopping = true;
    for (auto& client : impl_->clients) client->cancel();
    if (impl_->worker) impl_->worker->stop();
}

std::vector<PullSummary> Puller::run_once(const std::optional<std::string>& since) {
    std::lock_guard lock(impl_->run_mutex);
    std::vector<PullSummary> out;
    for (std::size_t i = 0; i < impl_->options.stores.size(); ++i)
        out.push_back(impl_->pull_store(i, since));
    return out;
}

}  // namespace ofbridge::magento
