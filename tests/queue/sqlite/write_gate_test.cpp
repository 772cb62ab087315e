// WriteGate: one holder at a time, turns granted in arrival order, a timed-out waiter leaves
// the queue, and connections to the same file (only) share a gate.
#include "ofbridge/queue/sqlite/write_gate.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "../temp_dir.h"
#include "ofbridge/queue/sqlite/database.h"
#include "ofbridge/queue/sqlite/transaction.h"

namespace ofbridge::queue::sqlite {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

constexpr auto long_wait = 10s;

// Gives a thread just started the time to queue its ticket, so the next one queues after it.
void let_queue() {
    std::this_thread::sleep_for(50ms);
}

TEST(WriteGateTest, TurnsAreGrantedInArrivalOrder) {
    WriteGate gate;
    auto first = gate.wait_turn(long_wait);
    ASSERT_TRUE(first.held());
    std::mutex order_mutex;
    std::vector<int> order;
    std::vector<std::thread> waiters;
    for (int i = 0; i < 4; ++i) {
        waiters.emplace_back([&, i] {
            auto turn = gate.wait_turn(long_wait);
            EXPECT_TRUE(turn.held());
            std::lock_guard lock(order_mutex);
            order.push_back(i);
        });
        let_queue();
    }
    first.release();
    for (auto& t : waiters) t.join();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(WriteGateTest, OneHolderAtATime) {
    WriteGate gate;
    std::atomic<int> holders{0};
    std::atomic<int> most{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) {
                auto turn = gate.wait_turn(long_wait);
                ASSERT_TRUE(turn.held());
                const int now = ++holders;
                int seen = most.load();
                while (now > seen && !most.compare_exchange_weak(seen, now)) {
                }
                --holders;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(most.load(), 1);
}

TEST(WriteGateTest, TimedOutWaiterLeavesTheQueue) {
    WriteGate gate;
    auto holder = gate.wait_turn(long_wait);
    auto timed_out = gate.wait_turn(20ms);
    EXPECT_FALSE(timed_out.held());
    // Someone queued behind the one that gave up is served as soon as the holder releases.
    auto later = std::async(std::launch::async, [&] { return gate.wait_turn(long_wait).held(); });
    let_queue();
    holder.release();
    EXPECT_EQ(later.wait_for(long_wait), std::future_status::ready);
    EXPECT_TRUE(later.get());
}

TEST(WriteGateTest, ConnectionsToOneFileShareAGate) {
    TempDir dir;
    Database a(dir.file("a.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    Database same(dir.path() / "." / "a.db", SQLITE_OPEN_READWRITE);
    Database other(dir.file("b.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    a.set_busy_timeout(30ms);
    same.set_busy_timeout(30ms);
    other.set_busy_timeout(30ms);
    auto turn = a.wait_write_turn();
    ASSERT_TRUE(turn.held());
    EXPECT_FALSE(same.wait_write_turn().held()) << "same file: waits behind a's turn";
    EXPECT_TRUE(other.wait_write_turn().held()) << "another file: its own gate";
}

TEST(WriteGateTest, ImmediateTransactionsOfTwoConnectionsQueueInsteadOfFailing) {
    TempDir dir;
    Database a(dir.file("t.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    a.exec("PRAGMA journal_mode=WAL");
    a.exec("CREATE TABLE t(x INTEGER)");
    auto tx = std::make_unique<Transaction>(a);
    a.exec("INSERT INTO t VALUES (1)");
    auto writer = std::async(std::launch::async, [&] {
        Database b(dir.file("t.db"), SQLITE_OPEN_READWRITE);
        Transaction btx(b);
        b.exec("INSERT INTO t VALUES (2)");
        btx.commit();
        return b.query_int64("SELECT count(*) FROM t");
    });
    EXPECT_EQ(writer.wait_for(100ms), std::future_status::timeout);
    tx->commit();
    tx.reset();
    EXPECT_EQ(writer.get(), 2);
}

}  // namespace
}  // namespace ofbridge::queue::sqlite
