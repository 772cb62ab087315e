// Throughput of the durable queue alone (no HTTP, no SOAP): how many acknowledged requests and
// inventory lines per second RequestStore commits with synchronous=FULL on a real file, against
// the DESIGN §8 targets (20,000 one-line requests/s; 400,000 lines/s with 100-line requests).
//
// Load model: like wrk with C connections over P client threads. Each producer thread owns
// C/P "connections"; a connection has one request in flight and sends the next only after its
// ack (the writer's callback) arrives. Bodies are sized like real SOAP messages and unique, so
// nothing is a re-delivery.
//
// Run: queue_bench [--benchmark_filter=...]; the database goes to $TMPDIR (default /tmp).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "ofbridge/queue/request_store.h"
#include "ofbridge/storage/writer.h"

namespace {

using namespace ofbridge;
using Clock = std::chrono::steady_clock;

// About the size of a real M2 SOAP inventory line (both productQtys and productSeqs items).
std::string soap_body(std::int64_t key, int lines) {
    std::string body =
        "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body>"
        "<ns1:realtimeDespatchOrderFlowInventoryRequestManagementV1UpdateRequest>";
    for (int i = 0; i < lines; ++i) {
        body += "<productQtys><item><sku>SKU-" + std::to_string(i) +
                "</sku><qty>17</qty><source>default</source></item></productQtys>"
                "<productSeqs><item><sku>SKU-" +
                std::to_string(i) + "</sku><seq>" + std::to_string(key * 1000 + i) +
                "</seq><lastOrderExported>2026-11-23T08:00:00Z</lastOrderExported></item>"
                "</productSeqs>";
    }
    body +=
        "<messageSeqId>" + std::to_string(key) +
        "</messageSeqId></ns1:realtimeDespatchOrderFlowInventoryRequestManagementV1UpdateRequest>"
        "</soap:Body></soap:Envelope>";
    return body;
}

queue::NewRequest make_request(std::int64_t key, int lines) {
    domain::InventoryUpdate update;
    update.message_seq_id = key;
    update.lines.reserve(static_cast<std::size_t>(lines));
    for (int i = 0; i < lines; ++i) {
        domain::InventoryLine line;
        line.sku = "SKU-" + std::to_string(i);
        line.qty = 17;
        line.seq = key * 1000 + i;
        line.last_order_exported = "2026-11-23T08:00:00Z";
        update.lines.push_back(std::move(line));
    }
    queue::NewRequest r;
    r.masked_body = soap_body(key, lines);
    r.message = std::move(update);
    r.store_code = "default";
    r.wire = "m2_soap";
    r.remote_address = "127.0.0.1";
    return r;
}

// args: lines per request, producer threads, connections (requests in flight), sync FULL (1/0)
void BM_AckedEnqueue(benchmark::State& state) {
    const int lines = static_cast<int>(state.range(0));
    const int producers = static_cast<int>(state.range(1));
    const int connections = static_cast<int>(state.range(2));
    const bool full = state.range(3) != 0;
    const std::int64_t per_iteration = lines >= 100 ? 4000 : 40000;

    const auto dir = std::filesystem::temp_directory_path() /
                     ("ofbridge-queue-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    storage::WriterOptions options;
    options.path = dir / "bench.db";
    options.synchronous_full = full;

    std::uint64_t commits_before = 0;
    std::vector<double> latencies_us;
    std::atomic<std::int64_t> next_key{1};
    std::atomic<std::int64_t> failures{0};
    {
        storage::Writer writer(options);
        queue::RequestStore store(writer);
        for (auto _ : state) {
            commits_before = store.stats().commits;
            std::vector<double> latencies(static_cast<std::size_t>(per_iteration));
            std::atomic<std::int64_t> issued{0};
            std::atomic<std::int64_t> answered{0};
            std::mutex done_mutex;
            std::condition_variable done_cv;

            // One semaphore per producer: a token per idle connection. They outlive every
            // callback (the iteration waits for all answers before they are destroyed).
            std::vector<std::unique_ptr<std::counting_semaphore<1024>>> idle;
            for (int p = 0; p < producers; ++p) {
                const int mine = connections / producers + (p < connections % producers ? 1 : 0);
                idle.push_back(std::make_unique<std::counting_semaphore<1024>>(std::max(mine, 1)));
            }
            std::vector<std::thread> threads;
            for (int p = 0; p < producers; ++p) {
                threads.emplace_back([&, p] {
                    auto& free_connections = *idle[static_cast<std::size_t>(p)];
                    for (;;) {
                        free_connections.acquire();
                        const std::int64_t slot = issued++;
                        if (slot >= per_iteration) break;
                        auto request = make_request(next_key++, lines);
                        const auto started = Clock::now();
                        store.enqueue(std::move(request), [&, slot, started](auto result) {
                            latencies[static_cast<std::size_t>(slot)] =
                                std::chrono::duration<double, std::micro>(Clock::now() - started)
                                    .count();
                            if (std::holds_alternative<std::error_code>(result)) ++failures;
                            free_connections.release();
                            std::lock_guard lock(done_mutex);
                            if (++answered == per_iteration) done_cv.notify_all();
                        });
                    }
                });
            }
            for (auto& t : threads) t.join();
            {
                std::unique_lock lock(done_mutex);
                done_cv.wait(lock, [&] { return answered.load() == per_iteration; });
            }
            latencies_us.insert(latencies_us.end(), latencies.begin(), latencies.end());
        }
        const auto stats = store.stats();
        state.counters["commits"] = static_cast<double>(stats.commits);
        state.counters["req_per_commit"] =
            stats.commits ? static_cast<double>(stats.requests) / static_cast<double>(stats.commits)
                          : 0;
        (void)commits_before;
    }
    std::filesystem::remove_all(dir);

    const auto total = static_cast<std::int64_t>(state.iterations()) * per_iteration;
    state.SetItemsProcessed(total);
    state.counters["lines_per_s"] =
        benchmark::Counter(static_cast<double>(total * lines), benchmark::Counter::kIsRate);
    state.counters["failures"] = static_cast<double>(failures.load());
    if (!latencies_us.empty()) {
        std::sort(latencies_us.begin(), latencies_us.end());
        const auto at = [&](double q) {
            return latencies_us[static_cast<std::size_t>(
                q * static_cast<double>(latencies_us.size() - 1))];
        };
        state.counters["p50_us"] = at(0.50);
        state.counters["p99_us"] = at(0.99);
    }
}

// Open loop: the writer's own ceiling. Requests are built before the clock starts; P producer
// threads then enqueue their share as fast as they can and the iteration ends at the last ack.
// args: lines per request, producer threads, sync FULL (1/0)
void BM_Burst(benchmark::State& state) {
    const int lines = static_cast<int>(state.range(0));
    const int producers = static_cast<int>(state.range(1));
    const bool full = state.range(2) != 0;
    const std::int64_t per_iteration = lines >= 100 ? 8000 : 80000;

    const auto dir = std::filesystem::temp_directory_path() /
                     ("ofbridge-queue-burst-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    storage::WriterOptions options;
    options.path = dir / "bench.db";
    options.synchronous_full = full;
    std::int64_t next_key = 1;
    std::int64_t failures = 0;
    {
        storage::Writer writer(options);
        queue::RequestStore store(writer);
        for (auto _ : state) {
            state.PauseTiming();
            std::vector<std::vector<queue::NewRequest>> shares(static_cast<std::size_t>(producers));
            for (std::int64_t i = 0; i < per_iteration; ++i)
                shares[static_cast<std::size_t>(i % producers)].push_back(
                    make_request(next_key++, lines));
            std::mutex done_mutex;
            std::condition_variable done_cv;
            std::int64_t answered = 0;
            state.ResumeTiming();

            std::vector<std::thread> threads;
            for (auto& share : shares) {
                threads.emplace_back([&, &share = share] {
                    for (auto& request : share) {
                        store.enqueue(std::move(request), [&](auto result) {
                            std::lock_guard lock(done_mutex);
                            if (std::holds_alternative<std::error_code>(result)) ++failures;
                            if (++answered == per_iteration) done_cv.notify_all();
                        });
                    }
                });
            }
            for (auto& t : threads) t.join();
            std::unique_lock lock(done_mutex);
            done_cv.wait(lock, [&] { return answered == per_iteration; });
        }
        const auto stats = store.stats();
        state.counters["commits"] = static_cast<double>(stats.commits);
        state.counters["req_per_commit"] =
            stats.commits ? static_cast<double>(stats.requests) / static_cast<double>(stats.commits)
                          : 0;
    }
    std::filesystem::remove_all(dir);
    const auto total = static_cast<std::int64_t>(state.iterations()) * per_iteration;
    state.SetItemsProcessed(total);
    state.counters["lines_per_s"] =
        benchmark::Counter(static_cast<double>(total * lines), benchmark::Counter::kIsRate);
    state.counters["failures"] = static_cast<double>(failures);
}

BENCHMARK(BM_Burst)
    ->ArgNames({"lines", "producers", "full"})
    ->Args({1, 4, 1})
    ->Args({100, 4, 1})
    ->Args({1, 4, 0})
    ->Args({100, 4, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

// Closed loop: 1-line and 100-line requests, 16 and 64 connections, FULL; one NORMAL run for
// comparison.
BENCHMARK(BM_AckedEnqueue)
    ->ArgNames({"lines", "producers", "conns", "full"})
    ->Args({1, 2, 16, 1})
    ->Args({1, 4, 64, 1})
    ->Args({100, 2, 16, 1})
    ->Args({100, 4, 64, 1})
    ->Args({1, 2, 16, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
