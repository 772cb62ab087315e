// Worker throughput (DESIGN §8: >= 200,000 inventory lines/s applied). Not a test: it measures how
// fast WorkerPool drains a backlog, with its commits as in `serve` (no fsync of their own; see
// request_processor.cpp) and the WAL checkpointed in the background.
//
// Setup (not timed): 20,000 inventory requests x 100 lines are enqueued once through
// queue::RequestStore, exactly as ingest stores them (the request row and its body, no row per
// line), into a template database. The bodies are what the WMS sends: the Magento-1 SOAP of
// tests/bench/inventory.lua for the requests on the default source, the Magento-2 SOAP
// (productQtys with a source) for those on the second one, so a run includes the worker expanding
// each body (parse, decode, validate) as it does in `serve`. Every line is a new record for its
// key (10,000 SKUs x 2 sources, seq rising per message), so every line is a Success: the most
// expensive case (a write of the key's stock-and-mark row + an import line).
// Each run copies the template and times a WorkerPool from start until all requests are done:
// hosted:1 as in `serve` (the workers' claims and applies run on the storage writer's thread),
// hosted:0 with each worker on a write connection of its own (the CLI's reprocess path); with 1
// or 2 workers. Sizes can be changed with WORKER_BENCH_REQUESTS / WORKER_BENCH_LINES.
// BM_SqliteFloor drains the same backlog with only the SQL a worker runs for it (the same
// statements, one transaction per 100 requests, no decisions, no report text, no threads, no
// body expansion: its lines are generated again): how fast SQLite alone goes on this machine, so
// what is left for the worker's own code.
//
//   cmake -G Ninja -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && ninja -C build-rel worker_bench
//   build-rel/tests/worker/worker_bench
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <semaphore>
#include <string>
#include <thread>
#include <utility>

#include "ofbridge/queue/request_store.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/wal_checkpointer.h"
#include "ofbridge/storage/writer.h"
#include "ofbridge/worker/worker_pool.h"

namespace {

using namespace ofbridge;

std::int64_t env_or(const char* name, std::int64_t fallback) {
    const char* value = std::getenv(name);
    return value ? std::strtoll(value, nullptr, 10) : fallback;
}

const std::int64_t request_count = env_or("WORKER_BENCH_REQUESTS", 20'000);
const std::int64_t lines_per_request = env_or("WORKER_BENCH_LINES", 100);
constexpr std::int64_t sku_count = 10'000;

std::filesystem::path bench_dir() {
    static const auto dir = std::filesystem::temp_directory_path() /
                            ("ofbridge-worker-bench-" + std::to_string(::getpid()));
    return dir;
}

// Builds the template database once per process.
// One request's lines: SKU-n with n running on over the requests, one source per request.
domain::InventoryUpdate backlog_request(std::int64_t r) {
    domain::InventoryUpdate update;
    update.message_seq_id = r + 1;
    for (std::int64_t i = 0; i < lines_per_request; ++i) {
        const std::int64_t line_no = r * lines_per_request + i;
        domain::InventoryLine line;
        line.sku = "SKU-" + std::to_string(line_no % sku_count);
        line.source = (line_no / sku_count) % 2 == 0 ? "default" : "north";
        line.qty = (r * 31 + i) % 1000;
        line.seq = r + 1;
        update.lines.push_back(std::move(line));
    }
    return update;
}

// The body as the WMS sends it (secrets already masked, as stored): Magento-1 rpc/encoded when
// every line is on the default source (inventory.lua's message), else Magento-2 document/literal.
std::pair<std::string, std::string> wire_body(const domain::InventoryUpdate& update) {
    const bool m1 = update.lines.empty() || update.lines.front().source == "default";
    std::string body;
    const auto n = std::to_string(update.lines.size());
    if (m1) {
        body =
            "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\""
            " xmlns:ns1=\"urn:Magento\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\""
            " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
            " xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\""
            " SOAP-ENV:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><SOAP-ENV:Body>"
            "<ns1:orderflowInventoryMultiUpdate><sessionId xsi:type=\"xsd:string\">***</sessionId>"
            "<skuQty SOAP-ENC:arrayType=\"ns1:skuQty[" +
            n + "]\" xsi:type=\"ns1:skuQtyArray\">";
        for (const auto& l : update.lines)
            body += "<item xsi:type=\"ns1:skuQty\"><key xsi:type=\"xsd:string\">" + l.sku +
                    "</key><value xsi:type=\"xsd:int\">" + std::to_string(l.qty) +
                    "</value></item>";
        body += "</skuQty><skuSeqId SOAP-ENC:arrayType=\"ns1:skuSeq[" + n +
                "]\" xsi:type=\"ns1:skuSeqArray\">";
        for (const auto& l : update.lines)
            body += "<item xsi:type=\"ns1:skuSeq\"><key xsi:type=\"xsd:string\">" + l.sku +
                    "</key><value xsi:type=\"xsd:int\">" + std::to_string(l.seq) +
                    "</value></item>";
        body += "</skuSeqId><messageSeqId xsi:type=\"xsd:int\">" +
                std::to_string(update.message_seq_id) +
                "</messageSeqId></ns1:orderflowInventoryMultiUpdate></SOAP-ENV:Body>"
                "</SOAP-ENV:Envelope>";
        return {"m1_soap", body};
    }
    body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SOAP-ENV:Envelope"
        " xmlns:SOAP-ENV=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:ns1=\"https://shop."
        "example.com/soap/default?services=realtimeDespatchOrderFlowInventoryRequestManagementV1\">"
        "<SOAP-ENV:Body><ns1:realtimeDespatchOrderFlowInventoryRequestManagementV1UpdateRequest>"
        "<productQtys>";
    for (const auto& l : update.lines)
        body += "<item><sku>" + l.sku + "</sku><qty>" + std::to_string(l.qty) + "</qty><source>" +
                l.source + "</source></item>";
    body += "</productQtys><productSeqs>";
    for (const auto& l : update.lines)
        body += "<item><sku>" + l.sku + "</sku><seq>" + std::to_string(l.seq) + "</seq></item>";
    body += "</productSeqs><messageSeqId>" + std::to_string(update.message_seq_id) +
            "</messageSeqId></ns1:realtimeDespatchOrderFlowInventoryRequestManagementV1Update"
            "Request></SOAP-ENV:Body></SOAP-ENV:Envelope>";
    return {"m2_soap", body};
}

const std::filesystem::path& template_database() {
    static const std::filesystem::path path = [] {
        const auto p = bench_dir() / "template.db";
        std::filesystem::remove_all(bench_dir());
        std::filesystem::create_directories(bench_dir());
        storage::WriterOptions options;
        options.path = p;
        options.synchronous_full = false;  // setup speed only
        storage::Writer writer(options);
        queue::RequestStore store(writer);
        std::atomic<std::int64_t> failures{0};
        // Bounds the requests waiting for the writer, so setup memory stays small.
        std::counting_semaphore<> in_flight(1024);
        for (std::int64_t r = 0; r < request_count; ++r) {
            auto update = backlog_request(r);
            auto [wire, body] = wire_body(update);
            queue::NewRequest request;
            request.message = std::move(update);
            request.store_code = "default";
            request.wire = std::move(wire);
            request.masked_body = std::move(body);
            in_flight.acquire();
            store.enqueue(std::move(request), [&](queue::StoreResult<queue::EnqueueResult> result) {
                if (std::holds_alternative<std::error_code>(result)) ++failures;
                in_flight.release();
            });
        }
        writer.close();  // commits everything queued, then the last connection checkpoints
        if (failures > 0) throw std::runtime_error("bench setup: enqueue failed");
        return p;
    }();
    return path;
}

void copy_database(const std::filesystem::path& to) {
    std::filesystem::remove(to);
    std::filesystem::remove(to.string() + "-wal");
    std::filesystem::remove(to.string() + "-shm");
    std::filesystem::copy_file(template_database(), to);
    const auto wal = template_database().string() + "-wal";
    if (std::filesystem::exists(wal)) std::filesystem::copy_file(wal, to.string() + "-wal");
}

void BM_DrainBacklog(benchmark::State& state) {
    const auto workers = static_cast<unsigned>(state.range(0));
    const bool hosted = state.range(1) != 0;
    const auto path = bench_dir() / "run.db";
    std::int64_t lines = 0;
    for (auto _ : state) {
        state.PauseTiming();
        copy_database(path);
        state.ResumeTiming();
        worker::WorkerOptions options;
        options.database = path;
        options.workers = workers;
        options.batch_size = 100;
        options.instance_id = "bench";
        std::optional<storage::Writer> writer;
        std::optional<storage::WalCheckpointer> checkpointer;
        if (hosted) {
            writer.emplace(storage::WriterOptions{path});
            options.writer = &*writer;
        } else {
            checkpointer.emplace(path, true);
            options.wal_checkpointer = &*checkpointer;
        }
        worker::Metrics metrics;
        worker::WorkerPool pool(options, metrics);
        pool.notify();
        while (metrics.requests_done.load() < static_cast<std::uint64_t>(request_count))
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        pool.stop();
        // With several workers, batches commit out of receipt order, so some lines are
        // (correctly) Superseded by a newer record applied first; every line is decided once.
        const auto decided = metrics.lines_applied.load() + metrics.lines_superseded.load() +
                             metrics.lines_duplicate.load() + metrics.lines_failed.load();
        if (decided != static_cast<std::uint64_t>(request_count * lines_per_request))
            state.SkipWithError("not every line was decided");
        state.counters["applied"] = static_cast<double>(metrics.lines_applied.load());
        lines += request_count * lines_per_request;
    }
    state.counters["lines_per_s"] =
        benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
    state.counters["requests_per_s"] = benchmark::Counter(
        static_cast<double>(request_count) * static_cast<double>(state.iterations()),
        benchmark::Counter::kIsRate);
}

BENCHMARK(BM_DrainBacklog)
    ->ArgNames({"workers", "hosted"})
    ->Args({1, 1})
    ->Args({2, 1})
    ->Args({1, 0})
    ->Iterations(1)
    ->Repetitions(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_SqliteFloor(benchmark::State& state) {
    using storage::sqlite::Statement;
    const auto path = bench_dir() / "floor.db";
    for (auto _ : state) {
        state.PauseTiming();
        copy_database(path);
        state.ResumeTiming();
        std::int64_t applied = 0;
        {
            storage::WalCheckpointer checkpointer(path, true);
            auto db = storage::open_writable(path, SQLITE_OPEN_NOMUTEX, std::chrono::seconds(5));
            db.exec("PRAGMA synchronous=NORMAL");
            db.exec("PRAGMA cache_size=-16384");  // as the worker's and the store's connections
            checkpointer.watch(db);
            Statement begin(db, "BEGIN IMMEDIATE"), commit(db, "COMMIT");
            Statement savepoint(db, "SAVEPOINT request"), release(db, "RELEASE request");
            Statement claim(db,
                            "UPDATE requests SET state = 'processing', claimed_by = 'floor',"
                            " lease_expires_at = 0, attempts = 1 WHERE id = ?1");
            Statement mark(db,
                           "SELECT high_water_seq FROM stock_marks WHERE sku = ?1 AND source = ?2");
            Statement upsert_stock(
                db,
                "INSERT INTO stock_marks (sku, source, qty, is_in_stock, high_water_seq,"
                " updated_at) VALUES (?1, ?2, ?3, 1, ?4, ?5) ON CONFLICT (sku, source) DO UPDATE"
                " SET qty = excluded.qty, high_water_seq = excluded.high_water_seq,"
                " updated_at = excluded.updated_at"
                " WHERE excluded.high_water_seq > stock_marks.high_water_seq");
            Statement update_stock(db,
                                   "UPDATE stock_marks SET qty = ?3, is_in_stock = 1,"
                                   " high_water_seq = ?4, updated_at = ?5"
                                   " WHERE sku = ?1 AND source = ?2 AND high_water_seq < ?4");
            Statement report(db,
                             "INSERT INTO import_reports (request_id, entity, successes,"
                             " created_at) VALUES (?1, 'inventory', ?2, ?3)");
            Statement line_out(db,
                               "INSERT INTO import_lines (report_id, line_no, sequence_id,"
                               " reference, source, result, message, units_received, final_qty)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, 'Success', ?6, ?7, ?7)");
            Statement done(db,
                           "UPDATE requests SET state = 'done', claimed_by = NULL,"
                           " lease_expires_at = NULL WHERE id = ?1");
            const std::string now = "2026-01-01 00:00:00";
            // A Success line's message is its result's standard text, stored as '' (import_log.h).
            const std::string message;
            for (std::int64_t first = 1; first <= request_count; first += 100) {
                begin.run();
                for (std::int64_t id = first; id < first + 100 && id <= request_count; ++id) {
                    savepoint.run();
                    claim.bind(1, id).run();
                    report.bind(1, id).bind(2, lines_per_request).bind(3, now).run();
                    const auto report_id = db.last_insert_rowid();
                    const auto update = backlog_request(id - 1);
                    std::int64_t line_no = 0;
                    for (const auto& l : update.lines) {
                        mark.bind_no_copy(1, l.sku).bind_no_copy(2, l.source);
                        const bool had_mark = mark.step();
                        mark.reset();
                        auto& stock = had_mark ? update_stock : upsert_stock;
                        stock.bind_no_copy(1, l.sku).bind_no_copy(2, l.source).bind(3, l.qty);
                        stock.bind(4, l.seq).bind_no_copy(5, now).run();
                        line_out.bind(1, report_id).bind(2, ++line_no).bind(3, l.seq);
                        line_out.bind_no_copy(4, l.sku).bind_no_copy(5, l.source);
                        line_out.bind_no_copy(6, message).bind(7, l.qty).run();
                        ++applied;
                    }
                    done.bind(1, id).run();
                    release.run();
                }
                commit.run();
            }
        }
        if (applied != request_count * lines_per_request) state.SkipWithError("lines missing");
    }
    state.counters["lines_per_s"] =
        benchmark::Counter(static_cast<double>(request_count * lines_per_request) *
                               static_cast<double>(state.iterations()),
                           benchmark::Counter::kIsRate);
}

BENCHMARK(BM_SqliteFloor)
    ->Iterations(1)
    ->Repetitions(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    std::error_code ignored;
    std::filesystem::remove_all(bench_dir(), ignored);
    return 0;
}
