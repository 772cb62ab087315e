// WriteGate: one holder at a time, turns granted in arrival order, a timed-out waiter leaves
// the queue, connections to the same file (only) share a gate, and a turn keeps its gate alive.
#include "ofbridge/storage/sqlite/write_gate.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "../temp_dir.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/transaction.h"

namespace ofbridge::storage::sqlite {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

constexpr auto long_wait = 10s;

// Waits until `count` turns are queued on `gate`: a thread just started has taken its ticket,
// so the next one queues after it.
void wait_until_queued(const WriteGate& gate, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + long_wait;
    while (gate.waiting() < count && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
    ASSERT_EQ(gate.waiting(), count);
}

TEST(WriteGateTest, TurnsAreGrantedInArrivalOrder) {
    auto gate = WriteGate::create();
    auto first = gate->wait_turn(long_wait);
    ASSERT_TRUE(first.held());
    std::mutex order_mutex;
    std::vector<int> order;
    std::vector<std::thread> waiters;
    for (int i = 0; i < 4; ++i) {
        waiters.emplace_back([&, i] {
            auto turn = gate->wait_turn(long_wait);
            EXPECT_TRUE(turn.held());
            std::lock_guard lock(order_mutex);
            order.push_back(i);
        });
        wait_until_queued(*gate, static_cast<std::size_t>(i) + 1);
    }
    first.release();
    for (auto& t : waiters) t.join();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(WriteGateTest, OneHolderAtATime) {
    auto gate = WriteGate::create();
    std::atomic<int> holders{0};
    std::atomic<int> most{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) {
                auto turn = gate->wait_turn(long_wait);
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
    auto gate = WriteGate::create();
    auto holder = gate->wait_turn(long_wait);
    auto timed_out = gate->wait_turn(20ms);
    EXPECT_FALSE(timed_out.held());
    EXPECT_EQ(gate->waiting(), 0u);
    // Someone queued behind the one that gave up is served as soon as the holder releases.
    auto later = std::async(std::launch::async, [&] { return gate->wait_turn(long_wait).held(); });
    wait_until_queued(*gate, 1);
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

TEST(WriteGateTest, ATurnOwnsItsGate) {
    auto gate = WriteGate::create();
    const std::weak_ptr<WriteGate> watch = gate;
    auto turn = gate->wait_turn(long_wait);
    ASSERT_TRUE(turn.held());
    gate.reset();
    EXPECT_FALSE(watch.expired()) << "the turn is the gate's last owner";
    turn.release();
    EXPECT_TRUE(watch.expired());
}

// The store's failed-batch path: the connection is dropped while its turn is still held, and the
// turn is released afterwards.
TEST(WriteGateTest, ATurnOutlivesTheConnectionThatTookIt) {
    TempDir dir;
    auto db =
        std::make_unique<Database>(dir.file("a.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    auto turn = db->wait_write_turn();
    ASSERT_TRUE(turn.held());
    db.reset();
    Database next(dir.file("a.db"), SQLITE_OPEN_READWRITE);
    next.set_busy_timeout(30ms);
    EXPECT_FALSE(next.wait_write_turn().held()) << "the turn still holds the file's gate";
    turn.release();  // through the gate it owns, not a destroyed one
    EXPECT_TRUE(next.wait_write_turn().held());
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
    // b queues on the file's gate behind a's open transaction instead of failing.
    wait_until_queued(*WriteGate::for_file(dir.file("t.db")), 1);
    EXPECT_EQ(writer.wait_for(0ms), std::future_status::timeout);
    tx->commit();
    tx.reset();
    EXPECT_EQ(writer.get(), 2);
}

}  // namespace
}  // namespace ofbridge::storage::sqlite
