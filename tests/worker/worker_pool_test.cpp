// WorkerPool with real threads: retries and dead-lettering through the pool, notify() wake-ups
// and stop(), each both hosted on the store's writer and standalone; and many workers in two
// pools (one of each kind) draining a shuffled, re-delivered stream without ever applying
// anything twice (checked against an oracle).
#include "ofbridge/worker/worker_pool.h"

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <random>

#include "ofbridge/inventory/stock_reader.h"
#include "ofbridge/worker/request_processor.h"
#include "worker_fixtures.h"

namespace ofbridge::worker {
namespace {

using testing::eventually;
using testing::line;
using testing::message;
using testing::query_int;
using testing::state_of;
using testing::TempDir;
using testing::TestClock;

std::int64_t count_in_state(const std::filesystem::path& path, const std::string& state) {
    return query_int(path, "SELECT count(*) FROM requests WHERE state = '" + state + "'");
}

// Each test below runs twice: hosted (claims and applies as tasks on the store's writer thread,
// as in `serve`) and standalone (each worker on a write connection of its own).
class WorkerPoolModes : public ::testing::TestWithParam<bool> {
protected:
    WorkerOptions options_for(const std::filesystem::path& path, testing::Queue& queue,
                              const TestClock* clock) const {
        auto options = testing::options_for(path, clock);
        if (GetParam()) options.writer = &queue.writer();
        return options;
    }
};

INSTANTIATE_TEST_SUITE_P(Workers, WorkerPoolModes, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                             return param.param ? "Hosted" : "Standalone";
                         });

TEST_P(WorkerPoolModes, RetriesAFailingRequestWithBackoffUntilDeadWhileOthersAreDone) {
    TempDir dir;
    const auto path = dir.file("broker.db");
    TestClock clock;
    testing::Queue queue(path);
    std::atomic<std::int64_t> poison{0};
    auto options = options_for(path, queue, &clock);
    options.workers = 2;
    options.batch_size = 2;
    options.max_attempts = 3;
    options.retry_base = std::chrono::milliseconds(1000);
    options.test_hooks.before_apply = [&](std::int64_t id) {
        if (id == poison) throw std::runtime_error("injected failure");
    };
    Metrics metrics;
    WorkerPool pool(options, metrics);

    // The poison's id is known before it is added: a worker may apply it as soon as it is
    // committed, before add() has returned its id.
    const auto a = queue.add(message(1, {line("A", 1, 1)}));
    poison = a + 1;
    ASSERT_EQ(queue.add(message(2, {line("B", 1, 1)})), poison);
    const auto c = queue.add(message(3, {line("C", 1, 1)}));
    pool.notify();
    const auto where = " FROM requests WHERE id = " + std::to_string(poison.load());
    ASSERT_TRUE(eventually([&] {
        return state_of(path, a) == "done" && state_of(path, c) == "done" &&
               state_of(path, poison) == "failed";
    }));
    const auto start = clock.unix_now();
    EXPECT_EQ(query_int(path, "SELECT next_attempt_at" + where), start + 1);

    // Attempt 2, once due; a request arriving meanwhile is done regardless.
    clock.advance(std::chrono::seconds(1));
    const auto d = queue.add(message(4, {line("D", 1, 1)}));
    pool.notify();
    ASSERT_TRUE(eventually([&] {
        return query_int(path, "SELECT attempts" + where) == 2 &&
               state_of(path, poison) == "failed" && state_of(path, d) == "done";
    }));
    EXPECT_EQ(query_int(path, "SELECT next_attempt_at" + where), start + 1 + 2);

    // Attempt 3 = max_attempts: dead.
    clock.advance(std::chrono::seconds(2));
    pool.notify();
    ASSERT_TRUE(eventually([&] { return state_of(path, poison) == "dead"; }));
    EXPECT_EQ(query_int(path, "SELECT attempts" + where), 3);
    EXPECT_EQ(testing::query_text(path, "SELECT last_error" + where), "injected failure");

    const auto e = queue.add(message(5, {line("E", 1, 1)}));
    pool.notify();
    ASSERT_TRUE(eventually([&] { return state_of(path, e) == "done"; }));
    pool.stop();
    EXPECT_EQ(metrics.requests_done.load(), 4u);
    EXPECT_EQ(metrics.requests_failed.load(), 2u);
    EXPECT_EQ(metrics.requests_dead.load(), 1u);
    EXPECT_EQ(metrics.lines_applied.load(), 4u);
}

TEST_P(WorkerPoolModes, NotifyWakesAnIdleWorkerAtOnce) {
    TempDir dir;
    const auto path = dir.file("broker.db");
    std::atomic<WorkerPool*> pool_ptr{nullptr};
    // As the app wires it: the store's commit hook wakes the pool.
    testing::Queue queue(path, [&] {
        if (auto* pool = pool_ptr.load()) pool->notify();
    });
    auto options = options_for(path, queue, nullptr);
    // Far longer than the test may take: only notify() can explain a quick pick-up.
    options.idle_poll = std::chrono::seconds(60);
    Metrics metrics;
    WorkerPool pool(options, metrics);
    pool_ptr = &pool;

    for (int i = 1; i <= 3; ++i) {
        const auto started = std::chrono::steady_clock::now();
        const auto id = queue.add(message(i, {line("A", i, i)}));
        ASSERT_TRUE(
            eventually([&] { return state_of(path, id) == "done"; }, std::chrono::seconds(5)));
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
    }
    pool_ptr = nullptr;
}

TEST_P(WorkerPoolModes, StopLetsTheBatchInProgressCommit) {
    TempDir dir;
    const auto path = dir.file("broker.db");
    testing::Queue queue(path);
    std::promise<void> claimed;
    std::future<void> stopper;
    WorkerPool* pool_ptr = nullptr;
    auto options = options_for(path, queue, nullptr);
    options.test_hooks.after_claim = [&](const std::vector<std::int64_t>&) {
        // Ask the pool to stop while this batch is still to be applied.
        stopper = std::async(std::launch::async, [&] { pool_ptr->stop(); });
        claimed.set_value();
    };
    Metrics metrics;
    WorkerPool pool(options, metrics);
    pool_ptr = &pool;
    // Enqueued only now: a worker that claimed it before pool_ptr was set would call stop()
    // through a null pointer.
    const auto id = queue.add(message(1, {line("A", 1, 1)}));
    pool.notify();
    claimed.get_future().wait();
    stopper.wait();
    EXPECT_EQ(state_of(path, id), "done");
    pool.stop();  // idempotent
}

// A broker killed while holding claims restarts: its workers take those requests up at once,
// without waiting out the leases (the clock never moves here).
TEST_P(WorkerPoolModes, StartUpReleasesTheClaimsOfAStoppedRunAtOnce) {
    TempDir dir;
    const auto path = dir.file("broker.db");
    TestClock clock;
    testing::Queue queue(path);
    const auto a = queue.add(message(1, {line("A", 1, 1)}));
    {
        RequestProcessor killed(testing::options_for(path, &clock), "host:111/1");
        ASSERT_EQ(killed.claim(10).requests.size(), 1u);
    }
    auto options = options_for(path, queue, &clock);
    options.claim_holder_gone = [](std::string_view holder) {
        return holder.starts_with("host:111/");
    };
    Metrics metrics;
    WorkerPool pool(options, metrics);
    pool.notify();
    EXPECT_TRUE(eventually([&] { return state_of(path, a) == "done"; }));
    EXPECT_EQ(query_int(path, "SELECT attempts FROM requests WHERE id = " + std::to_string(a)), 2);
}

TEST(WorkerPool, ConstructorNamesAnUnusableDatabase) {
    TempDir dir;
    auto options = testing::options_for(dir.file("no/such/dir/broker.db"), nullptr);
    Metrics metrics;
    try {
        WorkerPool pool(options, metrics);
        FAIL() << "opened an impossible path";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string{e.what()}.find(options.database.string()), std::string::npos)
            << e.what();
    }
}

// The oracle: the quantity a key must end with is the one of its highest seq, whatever order
// the messages were stored and processed in. Quantities are a function of (key, seq), so a
// re-delivered record always carries the same quantity.
std::int64_t qty_for(int sku, int source, std::int64_t seq) {
    return (seq * 7 + sku * 3 + source) % 500;
}

TEST(WorkerPool, ManyWorkersInTwoPoolsApplyEachRecordAtMostOnceAndConverge) {
    TempDir dir;
    const auto path = dir.file("broker.db");
    std::atomic<WorkerPool*> first{nullptr};
    std::atomic<WorkerPool*> second{nullptr};
    testing::Queue queue(path, [&] {
        if (auto* p = first.load()) p->notify();
        if (auto* p = second.load()) p->notify();
    });

    constexpr int skus = 60;
    constexpr int sources = 2;
    constexpr int requests = 3000;
    constexpr int max_lines = 12;
    std::mt19937_64 random(20270115);
    std::map<std::pair<int, int>, std::int64_t> max_seq;

    // Both pools start before anything is queued, so claims race with ingest and each other.
    // Pool a runs on the store's writer thread (as in `serve`), pool b on connections of its own
    // (as another broker process would).
    auto options = testing::options_for(path, nullptr, "pool-a");
    options.workers = 4;
    options.batch_size = 16;
    options.writer = &queue.writer();
    Metrics metrics_a, metrics_b;
    WorkerPool pool_a(options, metrics_a);
    options.writer = nullptr;
    options.instance_id = "pool-b";
    options.workers = 2;
    options.batch_size = 7;
    WorkerPool pool_b(options, metrics_b);
    first = &pool_a;
    second = &pool_b;

    // Producers: a few threads enqueue concurrently (group commit), with seqs shuffled across
    // messages, repeated records (Duplicates), and exact re-deliveries (not stored again).
    std::vector<std::vector<domain::InventoryLine>> messages;
    for (int r = 0; r < requests; ++r) {
        std::vector<domain::InventoryLine> lines;
        const int n = 1 + static_cast<int>(random() % max_lines);
        for (int i = 0; i < n; ++i) {
            const int sku = static_cast<int>(random() % skus);
            const int source = static_cast<int>(random() % sources);
            const auto seq = static_cast<std::int64_t>(1 + random() % 400);
            lines.push_back(line("sku-" + std::to_string(sku), qty_for(sku, source, seq), seq,
                                 source == 0 ? "default" : "north"));
            auto& m = max_seq[{sku, source}];
            m = std::max(m, seq);
        }
        messages.push_back(std::move(lines));
    }
    constexpr int producers = 3;
    std::vector<std::thread> threads;
    std::atomic<int> stored{0};
    for (int t = 0; t < producers; ++t) {
        threads.emplace_back([&, t] {
            for (int r = t; r < requests; r += producers) {
                const std::string session = "m-" + std::to_string(r);
                queue.add(message(r, messages[static_cast<std::size_t>(r)]), session);
                if (r % 10 == 0)  // the WMS retries: identical body, nothing new stored
                    queue.add(message(r, messages[static_cast<std::size_t>(r)]), session);
                ++stored;
            }
        });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(stored.load(), requests);
    EXPECT_EQ(query_int(path, "SELECT count(*) FROM requests"), requests);

    ASSERT_TRUE(eventually([&] { return count_in_state(path, "done") == requests; },
                           std::chrono::seconds(60)))
        << count_in_state(path, "pending") << " pending, " << count_in_state(path, "processing")
        << " processing";
    first = nullptr;
    second = nullptr;
    pool_a.stop();
    pool_b.stop();

    // Both pools took part, and nothing is left behind.
    EXPECT_GT(metrics_a.requests_done.load(), 0u);
    EXPECT_GT(metrics_b.requests_done.load(), 0u);
    EXPECT_EQ(metrics_a.requests_done.load() + metrics_b.requests_done.load(),
              static_cast<std::uint64_t>(requests));
    EXPECT_EQ(query_int(path, "SELECT count(*) FROM requests WHERE state <> 'done'"), 0);
    EXPECT_EQ(query_int(path, "SELECT count(*) FROM requests WHERE claimed_by IS NOT NULL"), 0);
    // Exactly one report per request.
    EXPECT_EQ(query_int(path, "SELECT count(DISTINCT request_id) FROM import_reports"), requests);
    EXPECT_EQ(query_int(path, "SELECT count(*) FROM import_reports"), requests);

    // Final stock equals the oracle.
    inventory::StockReader reader(path);
    const auto rows = reader.stock_list(0);
    ASSERT_EQ(rows.size(), max_seq.size());
    for (const auto& [key, seq] : max_seq) {
        const auto sku = "sku-" + std::to_string(key.first);
        const auto found = reader.stock(sku, key.second == 0 ? "default" : "north");
        ASSERT_EQ(found.size(), 1u) << sku;
        EXPECT_EQ(found[0].last_seq, seq) << sku;
        EXPECT_EQ(found[0].qty, qty_for(key.first, key.second, seq)) << sku;
    }
    EXPECT_EQ(query_int(path,
                        "SELECT count(*) FROM sequence_marks m JOIN stock_levels s"
                        " USING (sku, source) WHERE m.high_water_seq <> s.last_seq"),
              0);

    // Nothing applied twice: per key, Success lines in commit order (report ids increase with
    // each committed write transaction) carry strictly increasing seqs, i.e. each one raised
    // the mark; so the number of Success lines is the number of mark increases.
    EXPECT_EQ(query_int(path,
                        "SELECT count(*) FROM (SELECT sequence_id, lag(sequence_id) OVER ("
                        " PARTITION BY reference, source ORDER BY report_id) AS previous"
                        " FROM import_lines WHERE result = 'Success')"
                        " WHERE previous IS NOT NULL AND sequence_id <= previous"),
              0);
    EXPECT_EQ(query_int(path,
                        "SELECT count(*) FROM (SELECT 1 FROM import_lines"
                        " WHERE result = 'Success' GROUP BY reference, source, sequence_id"
                        " HAVING count(*) > 1)"),
              0);
    const auto successes =
        query_int(path, "SELECT count(*) FROM import_lines WHERE result = 'Success'");
    EXPECT_EQ(metrics_a.lines_applied.load() + metrics_b.lines_applied.load(),
              static_cast<std::uint64_t>(successes));
    EXPECT_EQ(query_int(path, "SELECT count(*) FROM import_lines"),
              query_int(path, "SELECT sum(line_count) FROM requests"));
}

}  // namespace
}  // namespace ofbridge::worker
