// RequestStore: what is acknowledged is stored (the request, its body, and the rows of a
// shipment; an inventory request's lines are in its body), re-deliveries create no new work,
// concurrent producers are group-committed, and a failed commit never acknowledges.
#include "ofbridge/queue/request_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <latch>
#include <mutex>
#include <set>
#include <thread>

#include "ofbridge/queue/request_reader.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/time_format.h"
#include "store_fixtures.h"
#include "temp_dir.h"

namespace ofbridge::queue {
namespace {

namespace sqlite = storage::sqlite;
using StoreOptions = storage::WriterOptions;
using storage::unix_seconds;
using storage::WriterTask;
using storage::testing::TempDir;
using testing::enqueue_and_wait;
using testing::inventory;
using testing::request;
using testing::shipment;
using testing::TestStore;

const EnqueueResult& ok(const StoreResult<EnqueueResult>& result) {
    if (const auto* ec = std::get_if<std::error_code>(&result))
        throw std::runtime_error("enqueue failed: " + ec->message());
    return std::get<EnqueueResult>(result);
}

std::int64_t count(const std::filesystem::path& db_path, const std::string& sql) {
    sqlite::Database db(db_path, SQLITE_OPEN_READONLY);
    return db.query_int64(sql);
}

StoreOptions options_for(const TempDir& dir) {
    StoreOptions o;
    o.path = dir.file("queue/requests.db");  // the directory is created by the store
    return o;
}

mode_t mode_of(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("no " + path.string());
    return st.st_mode & 07777;
}

// Sets the process umask for one test (a service manager's 022 is the common case).
class ScopedUmask {
public:
    explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
    ~ScopedUmask() { ::umask(previous_); }
    ScopedUmask(const ScopedUmask&) = delete;
    ScopedUmask& operator=(const ScopedUmask&) = delete;

private:
    mode_t previous_;
};

// The database holds customer data: nobody but the broker's user may read it.
TEST(RequestStore, CreatesItsDirectoryAndFilesOwnerOnly) {
    TempDir dir;
    ScopedUmask umask(022);
    auto options = options_for(dir);
    options.path = dir.file("data/queue/requests.db");
    TestStore store(options);
    ok(enqueue_and_wait(store, request(inventory(1, 1))));
    EXPECT_EQ(mode_of(dir.file("data")), 0700u);
    EXPECT_EQ(mode_of(dir.file("data/queue")), 0700u);
    for (const char* suffix : {"", "-wal", "-shm"})
        EXPECT_EQ(mode_of(options.path.string() + suffix), 0600u) << suffix;
}

TEST(RequestStore, TightensLooserExistingFilesAndLeavesAnExistingDirectory) {
    TempDir dir;
    ScopedUmask umask(022);
    auto options = options_for(dir);
    std::filesystem::create_directories(options.path.parent_path());
    ::chmod(options.path.parent_path().c_str(), 0755);
    {
        sqlite::Database db(options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        db.exec("PRAGMA journal_mode=WAL");
        db.exec("CREATE TABLE t(x)");
        ::chmod(options.path.c_str(), 0644);
    }
    TestStore store(options);
    ok(enqueue_and_wait(store, request(inventory(1, 1))));
    for (const char* suffix : {"", "-wal", "-shm"})
        EXPECT_EQ(mode_of(options.path.string() + suffix), 0600u) << suffix;
    EXPECT_EQ(mode_of(options.path.parent_path()), 0755u)
        << "an existing directory is only warned about";
}

TEST(RequestStore, OpensWithDurablePragmas) {
    TempDir dir;
    auto options = options_for(dir);
    std::string journal;
    std::int64_t synchronous = -1, foreign_keys = -1;
    options.on_connection_open = [&](sqlite::Database& db) {
        journal = db.query_text("PRAGMA journal_mode");
        synchronous = db.query_int64("PRAGMA synchronous");
        foreign_keys = db.query_int64("PRAGMA foreign_keys");
    };
    TestStore store(options);
    EXPECT_EQ(journal, "wal");
    EXPECT_EQ(synchronous, 1);  // NORMAL: the store fsyncs the WAL itself before acking
    EXPECT_EQ(foreign_keys, 1);
    EXPECT_TRUE(std::filesystem::exists(options.path));
}

// Receipt proves an inventory request by its row (with line_count), its masked body and its
// dedupe key: no row per line. The lines are expanded from the body where they are needed.
TEST(RequestStore, InventoryReceiptStoresTheBodyAndNoLineRows) {
    TempDir dir;
    TestStore store(options_for(dir));
    auto r = request(inventory(4, 3));
    const std::string body = r.masked_body;
    const auto result = ok(enqueue_and_wait(store, std::move(r)));
    const auto id = std::to_string(result.request_id);
    const auto path = options_for(dir).path;
    EXPECT_EQ(count(path, "SELECT count(*) FROM inventory_lines"), 0);
    EXPECT_EQ(count(path, "SELECT line_count FROM requests WHERE id = " + id), 3);
    sqlite::Database db(path, SQLITE_OPEN_READONLY);
    EXPECT_EQ(db.query_text("SELECT raw_body FROM request_bodies WHERE request_id = " + id), body);
    // A shipment keeps its header and items (a few rows its applier reads).
    ok(enqueue_and_wait(store, request(shipment(7))));
    EXPECT_EQ(count(path, "SELECT count(*) FROM shipment_items"), 2);
    EXPECT_EQ(count(path, "SELECT count(*) FROM shipment_requests"), 1);
}

TEST(RequestStore, EnqueuesInventoryWithAllLines) {
    TempDir dir;
    TestStore store(options_for(dir));
    const auto result = ok(enqueue_and_wait(store, request(inventory(4, 3))));
    EXPECT_GT(result.request_id, 0);
    EXPECT_FALSE(result.redelivery);
    EXPECT_EQ(result.reply, "Success - Message 4 Received");
    const auto stats = store.stats();
    EXPECT_EQ(stats.requests, 1u);
    EXPECT_GE(stats.commits, 1u);
}

TEST(RequestStore, RedeliveryReturnsTheSameReplyAndStoresNothingNew) {
    TempDir dir;
    TestStore store(options_for(dir));
    const auto first = ok(enqueue_and_wait(store, request(inventory(7, 2), "<same/>")));
    const auto second = ok(enqueue_and_wait(store, request(inventory(7, 2), "<same/>")));
    const auto third = ok(enqueue_and_wait(store, request(inventory(7, 2), "<same/>")));
    EXPECT_FALSE(first.redelivery);
    EXPECT_TRUE(second.redelivery);
    EXPECT_TRUE(third.redelivery);
    EXPECT_EQ(second.request_id, first.request_id);
    EXPECT_EQ(second.reply, first.reply);
    EXPECT_EQ(third.reply, first.reply);
    const auto path = options_for(dir).path;
    EXPECT_EQ(count(path, "SELECT count(*) FROM requests"), 1);
    EXPECT_EQ(count(path, "SELECT coalesce(sum(line_count), 0) FROM requests"), 2);
    EXPECT_EQ(count(path, "SELECT deliveries FROM requests"), 3);
    EXPECT_EQ(store.stats().redeliveries, 2u);
}

TEST(RequestStore, RedeliveryIsRecognisedAfterRestart) {
    TempDir dir;
    std::int64_t id = 0;
    {
        TestStore store(options_for(dir));
        id = ok(enqueue_and_wait(store, request(shipment(9), "<ship/>"))).request_id;
    }
    TestStore store(options_for(dir));
    const auto again = ok(enqueue_and_wait(store, request(shipment(9), "<ship/>")));
    EXPECT_TRUE(again.redelivery);
    EXPECT_EQ(again.request_id, id);
    EXPECT_EQ(again.reply, "Success - Message 9 Received");
}

TEST(RequestStore, SameKeyWithDifferentBodyIsANewRequest) {
    TempDir dir;
    TestStore store(options_for(dir));
    const auto a = ok(enqueue_and_wait(store, request(inventory(5, 1), "<a/>")));
    const auto b = ok(enqueue_and_wait(store, request(inventory(5, 1), "<b/>")));
    EXPECT_FALSE(b.redelivery);
    EXPECT_GT(b.request_id, a.request_id);
    EXPECT_EQ(count(options_for(dir).path, "SELECT count(*) FROM requests"), 2);
}

TEST(RequestStore, SameBodyForAnotherEntityIsNotARedelivery) {
    TempDir dir;
    TestStore store(options_for(dir));
    domain::ExportAck product{domain::Entity::product_export, "42"};
    domain::ExportAck order{domain::Entity::order_export, "42"};
    const auto a = ok(enqueue_and_wait(store, request(product, "<x/>")));
    const auto b = ok(enqueue_and_wait(store, request(order, "<x/>")));
    EXPECT_FALSE(b.redelivery);
    EXPECT_NE(a.request_id, b.request_id);
}

TEST(RequestStore, ConcurrentProducersAreGroupCommittedAndAllAcknowledged) {
    TempDir dir;
    TestStore store(options_for(dir));
    constexpr int threads = 8;
    constexpr int per_thread = 2000;

    std::mutex mutex;
    std::vector<std::int64_t> ids_in_callback_order;
    std::vector<std::atomic<int>> calls(threads * per_thread);
    std::atomic<int> failures{0};
    std::atomic<int> done{0};
    std::promise<void> all_done;

    std::vector<std::thread> producers;
    for (int t = 0; t < threads; ++t) {
        producers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                const int n = t * per_thread + i;
                store.enqueue(
                    request(inventory(n + 1, 1)), [&, n](StoreResult<EnqueueResult> result) {
                        calls[n]++;
                        if (auto* r = std::get_if<EnqueueResult>(&result); r && !r->redelivery) {
                            std::lock_guard lock(mutex);
                            ids_in_callback_order.push_back(r->request_id);
                        } else {
                            failures++;
                        }
                        if (++done == threads * per_thread) all_done.set_value();
                    });
            }
        });
    }
    for (auto& p : producers) p.join();
    ASSERT_EQ(all_done.get_future().wait_for(std::chrono::seconds(60)), std::future_status::ready);

    EXPECT_EQ(failures.load(), 0);
    for (int n = 0; n < threads * per_thread; ++n) ASSERT_EQ(calls[n].load(), 1) << "request " << n;
    ASSERT_EQ(ids_in_callback_order.size(), std::size_t{threads * per_thread});
    // Callbacks run in commit order and ids are receipt order: strictly increasing.
    for (std::size_t i = 1; i < ids_in_callback_order.size(); ++i)
        ASSERT_LT(ids_in_callback_order[i - 1], ids_in_callback_order[i]) << "at " << i;

    const auto path = options_for(dir).path;
    EXPECT_EQ(count(path, "SELECT count(*) FROM requests"), threads * per_thread);
    EXPECT_EQ(count(path, "SELECT coalesce(sum(line_count), 0) FROM requests"),
              threads * per_thread);
    EXPECT_EQ(count(path, "SELECT count(DISTINCT message_key) FROM requests"),
              threads * per_thread);

    const auto stats = store.stats();
    EXPECT_EQ(stats.requests, std::uint64_t{threads * per_thread});
    EXPECT_LT(stats.commits, stats.requests) << "no group commit happened";
    EXPECT_EQ(stats.failed_jobs, 0u);
}

TEST(RequestStore, FailedCommitAcknowledgesNothingAndTheStoreRecovers) {
    TempDir dir;
    auto options = options_for(dir);
    std::atomic<bool> veto_commits{false};
    std::atomic<int> opens{0};
    options.on_connection_open = [&](sqlite::Database& db) {
        ++opens;
        // A commit hook returning non-zero turns COMMIT into a rollback that fails: the same code
        // path as a failed fsync at commit time.
        sqlite3_commit_hook(
            db.handle(),
            [](void* flag) { return static_cast<std::atomic<bool>*>(flag)->load() ? 1 : 0; },
            &veto_commits);
    };
    TestStore store(options);
    const auto before = ok(enqueue_and_wait(store, request(inventory(1, 1))));

    veto_commits = true;
    constexpr int attempts = 20;
    std::atomic<int> answered{0}, acked{0};
    std::promise<void> all;
    for (int i = 0; i < attempts; ++i) {
        store.enqueue(request(inventory(100 + i, 2)), [&](StoreResult<EnqueueResult> result) {
            if (auto* ec = std::get_if<std::error_code>(&result)) {
                EXPECT_EQ(ec->category(), sqlite::sqlite_category());
                EXPECT_EQ(ec->value(), SQLITE_CONSTRAINT_COMMITHOOK);
            } else {
                ++acked;
            }
            if (++answered == attempts) all.set_value();
        });
    }
    all.get_future().wait();
    EXPECT_EQ(acked.load(), 0);
    EXPECT_GE(store.stats().failed_commits, 1u);
    EXPECT_EQ(count(options.path, "SELECT count(*) FROM requests"), 1);

    veto_commits = false;
    const auto after = ok(enqueue_and_wait(store, request(inventory(100, 2))));
    EXPECT_FALSE(after.redelivery);  // the vetoed copy was never stored
    EXPECT_GT(after.request_id, before.request_id);
    EXPECT_GE(opens.load(), 2) << "the connection was not reopened";
    EXPECT_GE(store.stats().reopens, 1u);
    EXPECT_EQ(count(options.path, "SELECT count(*) FROM requests"), 2);
    EXPECT_EQ(count(options.path, "SELECT coalesce(sum(line_count), 0) FROM requests"), 3);
}

TEST(RequestStore, AcknowledgesOnlyOnceTheWalIsSynced) {
    TempDir dir;
    auto options = options_for(dir);
    std::atomic<bool> hold{false};
    std::promise<void> sync_held, release_sync;
    auto released = release_sync.get_future().share();
    options.sync_wal = [&](int fd) {
        if (hold.exchange(false)) {
            sync_held.set_value();
            released.wait();
        }
        return ::fdatasync(fd);
    };
    TestStore store(options);
    ok(enqueue_and_wait(store, request(inventory(1, 1))));  // creates the schema's pages

    hold = true;
    std::promise<StoreResult<EnqueueResult>> answer;
    auto answered = answer.get_future();
    store.enqueue(request(inventory(2, 3)),
                  [&](StoreResult<EnqueueResult> result) { answer.set_value(std::move(result)); });
    sync_held.get_future().wait();
    // Committed (a reader sees it) but not yet on disk: no answer yet.
    EXPECT_EQ(count(options.path, "SELECT count(*) FROM requests"), 2);
    EXPECT_EQ(answered.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
    release_sync.set_value();
    EXPECT_FALSE(ok(answered.get()).redelivery);
    EXPECT_GE(store.stats().syncs, 2u);
}

TEST(RequestStore, FailedWalSyncAcknowledgesNothingFromThenOn) {
    TempDir dir;
    auto options = options_for(dir);
    std::atomic<bool> fail_sync{false};
    std::atomic<int> lost{0};
    options.sync_wal = [&](int fd) {
        if (!fail_sync) return ::fdatasync(fd);
        errno = EIO;
        return -1;
    };
    options.on_durability_lost = [&] { ++lost; };
    TestStore store(options);
    ok(enqueue_and_wait(store, request(inventory(1, 1))));

    fail_sync = true;
    const auto fsync_error = sqlite::make_sqlite_error(SQLITE_IOERR_FSYNC);
    for (int i = 0; i < 3; ++i) {
        const auto result = enqueue_and_wait(store, request(inventory(10 + i, 1)));
        ASSERT_TRUE(std::holds_alternative<std::error_code>(result));
        EXPECT_EQ(std::get<std::error_code>(result), fsync_error);
    }
    // The disk answers again, but what was committed before may be gone: still no ack, not even
    // for a re-delivery of the message whose sync failed.
    fail_sync = false;
    for (const auto& r : {request(inventory(20, 1)), request(inventory(10, 1))}) {
        const auto result = enqueue_and_wait(store, r);
        ASSERT_TRUE(std::holds_alternative<std::error_code>(result));
        EXPECT_EQ(std::get<std::error_code>(result), fsync_error);
    }
    EXPECT_EQ(lost.load(), 1);
    EXPECT_EQ(store.stats().requests, 2u) << "committed, never acknowledged";
}

// Holds the writer thread inside a task from construction until release(), so the jobs queued
// meanwhile are committed together, in the batch after the holding task's own.
class WriterHold {
public:
    explicit WriterHold(TestStore& store) {
        store.run_in_transaction(
            [this](sqlite::Database&, std::uint64_t) {
                holding_.count_down();
                released_.wait();
            },
            [](std::error_code) {});
        holding_.wait();
    }
    ~WriterHold() { release(); }  // also when an assertion left the test early
    WriterHold(const WriterHold&) = delete;
    WriterHold& operator=(const WriterHold&) = delete;

    void release() {
        if (!release_called_) released_.count_down();
        release_called_ = true;
    }

private:
    std::latch holding_{1}, released_{1};
    bool release_called_ = false;
};

// Runs `task` through run_in_transaction and waits for its answer.
std::error_code run_task(TestStore& store, WriterTask task) {
    std::promise<std::error_code> done;
    store.run_in_transaction(std::move(task), [&](std::error_code ec) { done.set_value(ec); });
    return done.get_future().get();
}

TEST(RequestStore, TaskCommitsOnTheWriterWithoutWaitingForTheSync) {
    TempDir dir;
    auto options = options_for(dir);
    std::promise<void> release_sync;
    auto released = release_sync.get_future().share();
    options.sync_wal = [&](int fd) {
        released.wait();
        return ::fdatasync(fd);
    };
    TestStore store(options);
    std::promise<StoreResult<EnqueueResult>> stored;
    std::promise<std::error_code> task_done;
    std::thread::id ran_on;
    // The enqueue and the task queue up behind the hold, so they share one transaction.
    WriterHold hold(store);
    store.enqueue(request(inventory(1, 1)),
                  [&](StoreResult<EnqueueResult> r) { stored.set_value(std::move(r)); });
    store.run_in_transaction(
        [&](sqlite::Database& db, std::uint64_t) {
            ran_on = std::this_thread::get_id();
            db.exec("INSERT INTO products (sku, updated_at) VALUES ('T-1', 'now')");
        },
        [&](std::error_code ec) { task_done.set_value(ec); });
    hold.release();
    // The task hears of the commit while the request it shares it with waits for the fsync.
    EXPECT_FALSE(task_done.get_future().get());
    auto answer = stored.get_future();
    EXPECT_EQ(answer.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
    EXPECT_NE(ran_on, std::this_thread::get_id());
    EXPECT_EQ(count(options.path, "SELECT count(*) FROM products"), 1);
    release_sync.set_value();
    ok(answer.get());
}

TEST(RequestStore, ThrowingTaskIsRolledBackAloneWhileTheBatchIsStored) {
    TempDir dir;
    auto options = options_for(dir);
    TestStore store(options);
    std::promise<StoreResult<EnqueueResult>> stored;
    std::promise<std::error_code> task_done;
    // The enqueue and the task queue up behind the hold, so they share one transaction.
    WriterHold hold(store);
    store.enqueue(request(inventory(1, 2)),
                  [&](StoreResult<EnqueueResult> r) { stored.set_value(std::move(r)); });
    store.run_in_transaction(
        [](sqlite::Database& db, std::uint64_t) {
            db.exec("INSERT INTO products (sku, updated_at) VALUES ('T-1', 'now')");
            throw std::runtime_error("task failed halfway");
        },
        [&](std::error_code ec) { task_done.set_value(ec); });
    hold.release();
    EXPECT_TRUE(task_done.get_future().get());
    ok(stored.get_future().get());
    EXPECT_EQ(count(options.path, "SELECT count(*) FROM products"), 0);
    EXPECT_EQ(count(options.path, "SELECT coalesce(sum(line_count), 0) FROM requests"), 2);

    store.close();
    EXPECT_EQ(
        run_task(store, [](sqlite::Database&, std::uint64_t) { FAIL() << "ran after close"; }),
        std::make_error_code(std::errc::operation_canceled));
}

TEST(RequestStore, TasksSeeANewConnectionIdAfterAReopen) {
    TempDir dir;
    auto options = options_for(dir);
    std::atomic<bool> veto_commits{false};
    options.on_connection_open = [&](sqlite::Database& db) {
        sqlite3_commit_hook(
            db.handle(),
            [](void* flag) { return static_cast<std::atomic<bool>*>(flag)->load() ? 1 : 0; },
            &veto_commits);
    };
    TestStore store(options);
    std::uint64_t before = 0, after = 0;
    EXPECT_FALSE(run_task(store, [&](sqlite::Database&, std::uint64_t id) { before = id; }));
    veto_commits = true;
    EXPECT_TRUE(run_task(store, [](sqlite::Database&, std::uint64_t) {}));  // commit fails
    veto_commits = false;
    EXPECT_FALSE(run_task(store, [&](sqlite::Database&, std::uint64_t id) { after = id; }));
    EXPECT_NE(before, after);
}

TEST(RequestStore, FailingReopenFailsFastUntilItWorksAgain) {
    TempDir dir;
    auto options = options_for(dir);
    std::atomic<bool> veto_commits{false}, refuse_open{false};
    options.on_connection_open = [&](sqlite::Database& db) {
        if (refuse_open) throw std::runtime_error("test: storage unavailable");
        sqlite3_commit_hook(
            db.handle(),
            [](void* flag) { return static_cast<std::atomic<bool>*>(flag)->load() ? 1 : 0; },
            &veto_commits);
    };
    TestStore store(options);
    veto_commits = true;
    refuse_open = true;
    EXPECT_TRUE(
        std::holds_alternative<std::error_code>(enqueue_and_wait(store, request(inventory(1, 1)))));
    // The handle is gone and cannot be reopened: every answer is an error, never an ack (and
    // never a hang: enqueue_and_wait returns only once the store has answered).
    for (int i = 0; i < 5; ++i)
        EXPECT_TRUE(std::holds_alternative<std::error_code>(
            enqueue_and_wait(store, request(inventory(2 + i, 1)))));
    veto_commits = false;
    refuse_open = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    bool stored = false;
    while (!stored && std::chrono::steady_clock::now() < deadline) {
        stored = std::holds_alternative<EnqueueResult>(
            enqueue_and_wait(store, request(inventory(99, 1))));
        if (!stored) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(stored);
    EXPECT_EQ(count(options.path, "SELECT count(*) FROM requests"), 1);
}

TEST(RequestStore, DiskFullAcknowledgesNothingAndKeepsTheDatabaseIntact) {
    TempDir dir;
    auto options = options_for(dir);
    std::atomic<bool> disk_full{false};
    options.on_connection_open = [&](sqlite::Database& db) {
        if (disk_full) {
            const auto pages = db.query_int64("PRAGMA page_count");
            db.exec("PRAGMA max_page_count=" + std::to_string(pages + 2));
        }
    };
    TestStore store(options);
    ok(enqueue_and_wait(store, request(inventory(1, 1))));

    // Force a reopen with the cap in place (a vetoed commit would do; a second store is simpler).
    store.close();
    disk_full = true;
    TestStore full_store(options);
    const std::string big_body(64 * 1024, 'x');
    int errors = 0;
    for (int i = 0; i < 5; ++i) {
        auto result = enqueue_and_wait(
            full_store, request(inventory(10 + i, 50), big_body + std::to_string(i)));
        if (auto* ec = std::get_if<std::error_code>(&result)) {
            ++errors;
            EXPECT_EQ(ec->value() & 0xff, SQLITE_FULL) << ec->message();
        }
    }
    EXPECT_EQ(errors, 5);
    EXPECT_EQ(count(options.path, "SELECT count(*) FROM requests"), 1);

    disk_full = false;  // space is back: the next reopen has no cap
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    bool stored = false;
    while (!stored && std::chrono::steady_clock::now() < deadline)
        stored = std::holds_alternative<EnqueueResult>(
            enqueue_and_wait(full_store, request(inventory(10, 50), big_body + "0")));
    EXPECT_TRUE(stored);
    full_store.close();
    sqlite::Database check(options.path, SQLITE_OPEN_READONLY);
    EXPECT_EQ(check.query_text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(check.query_int64("SELECT count(*) FROM requests"), 2);
    EXPECT_EQ(check.query_int64("SELECT coalesce(sum(line_count), 0) FROM requests"), 51);
}

TEST(RequestStore, AFailingRequestFailsAloneInItsBatch) {
    TempDir dir;
    auto options = options_for(dir);
    // Values longer than 1,000 bytes are refused by SQLite (SQLITE_TOOBIG): a per-request error.
    options.on_connection_open = [](sqlite::Database& db) {
        sqlite3_limit(db.handle(), SQLITE_LIMIT_LENGTH, 1000);
    };
    options.batch_budget = std::chrono::hours(1);  // one batch, however slow the machine
    TestStore store(options);

    ok(enqueue_and_wait(store, request(inventory(1, 1))));
    WriterHold hold(store);  // the next three requests queue up and are committed together

    auto bad = inventory(3, 3);
    bad.lines[2].sku = std::string(5000, 's');  // the request row and two lines go in first
    std::vector<std::future<StoreResult<EnqueueResult>>> answers;
    std::vector<domain::Message> messages{inventory(2, 2), bad, inventory(4, 2)};
    for (auto& message : messages) {
        auto answer = std::make_shared<std::promise<StoreResult<EnqueueResult>>>();
        answers.push_back(answer->get_future());
        store.enqueue(request(std::move(message)),
                      [answer](StoreResult<EnqueueResult> r) { answer->set_value(std::move(r)); });
    }
    const auto commits_before = store.stats().commits;
    hold.release();

    const auto a = answers[0].get();
    const auto b = answers[1].get();
    const auto c = answers[2].get();
    EXPECT_TRUE(std::holds_alternative<EnqueueResult>(a));
    ASSERT_TRUE(std::holds_alternative<std::error_code>(b));
    EXPECT_EQ(std::get<std::error_code>(b).value(), SQLITE_TOOBIG);
    EXPECT_TRUE(std::holds_alternative<EnqueueResult>(c));
    // The holding task's commit, then one for the three.
    EXPECT_EQ(store.stats().commits, commits_before + 2) << "the three were not one batch";

    const auto path = options.path;
    EXPECT_EQ(count(path, "SELECT count(*) FROM requests"), 3);
    EXPECT_EQ(count(path, "SELECT count(*) FROM requests WHERE message_key = '3'"), 0);
    EXPECT_EQ(count(path, "SELECT coalesce(sum(line_count), 0) FROM requests"), 1 + 2 + 2);
    EXPECT_EQ(store.stats().failed_jobs, 1u);
}

TEST(RequestStore, LargeRequestsAreSplitAcrossCommits) {
    TempDir dir;
    auto options = options_for(dir);
    options.batch_budget = std::chrono::hours(1);  // the byte limit alone decides here
    TestStore store(options);
    WriterHold hold(store);  // the three requests queue up behind it
    std::vector<std::future<StoreResult<EnqueueResult>>> answers;
    for (int i = 0; i < 3; ++i) {
        auto answer = std::make_shared<std::promise<StoreResult<EnqueueResult>>>();
        answers.push_back(answer->get_future());
        store.enqueue(
            request(inventory(10 + i, 1), std::string(3 << 20, static_cast<char>('a' + i))),
            [answer](StoreResult<EnqueueResult> r) { answer->set_value(std::move(r)); });
    }
    const auto commits_before = store.stats().commits;
    hold.release();
    for (auto& a : answers) EXPECT_TRUE(std::holds_alternative<EnqueueResult>(a.get()));
    // The holding task's commit; then about 4 MiB per transaction: two 3 MiB bodies, then the
    // third.
    EXPECT_EQ(store.stats().commits, commits_before + 3);
}

TEST(RequestStore, WalIsCheckpointedAndStaysBounded) {
    TempDir dir;
    const auto path = options_for(dir).path;
    {
        TestStore store(options_for(dir));
        const std::string body(8000, 'b');
        std::atomic<int> answered{0};
        std::promise<void> all;
        constexpr int n = 12000;  // about 96 MiB of bodies, past the inline checkpoint's 64 MiB
        for (int i = 0; i < n; ++i) {
            store.enqueue(request(inventory(i + 1, 1), body + std::to_string(i)),
                          [&](StoreResult<EnqueueResult> r) {
                              EXPECT_TRUE(std::holds_alternative<EnqueueResult>(r));
                              if (++answered == n) all.set_value();
                          });
        }
        all.get_future().wait();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (store.stats().checkpoints == 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        EXPECT_GE(store.stats().checkpoints, 1u);
        const auto wal = std::filesystem::path(path.string() + "-wal");
        ASSERT_TRUE(std::filesystem::exists(wal));
        // Inline checkpoint at 64 MiB (WalCheckpointer::inline_frames of 4 KiB), after any
        // background one in progress, plus one batch in flight (~4 MiB).
        EXPECT_LT(std::filesystem::file_size(wal), std::uintmax_t{72} << 20);
    }
    sqlite::Database check(path, SQLITE_OPEN_READONLY);
    EXPECT_EQ(check.query_text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(check.query_int64("SELECT count(*) FROM requests"), 12000);
}

TEST(RequestStore, CloseDrainsWhatIsQueuedAndRefusesLaterWork) {
    TempDir dir;
    TestStore store(options_for(dir));
    constexpr int n = 1000;
    std::atomic<int> acked{0};
    for (int i = 0; i < n; ++i) {
        store.enqueue(request(inventory(i + 1, 2)), [&](StoreResult<EnqueueResult> r) {
            if (std::holds_alternative<EnqueueResult>(r)) ++acked;
        });
    }
    store.close();
    EXPECT_EQ(acked.load(), n);
    EXPECT_EQ(count(options_for(dir).path, "SELECT count(*) FROM requests"), n);

    std::error_code refused;
    bool called = false;
    store.enqueue(request(inventory(5000, 1)), [&](StoreResult<EnqueueResult> r) {
        called = true;
        refused = std::get<std::error_code>(r);
    });
    EXPECT_TRUE(called);  // at once, not queued
    EXPECT_EQ(refused, std::errc::operation_canceled);
    store.close();  // idempotent
}

TEST(RequestStore, CloseFromACallbackDoesNotDeadlock) {
    TempDir dir;
    TestStore store(options_for(dir));
    std::promise<void> called;
    store.enqueue(request(inventory(1, 1)), [&](StoreResult<EnqueueResult>) {
        store.close();
        called.set_value();
    });
    EXPECT_EQ(called.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST(RequestStore, RefusesADatabaseFromANewerBinary) {
    TempDir dir;
    const auto path = options_for(dir).path;
    { TestStore store(options_for(dir)); }
    {
        sqlite::Database db(path, SQLITE_OPEN_READWRITE);
        db.exec("INSERT INTO schema_migrations(version, applied_at) VALUES (999, 'future')");
    }
    try {
        TestStore store(options_for(dir));
        FAIL() << "opened a newer database";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string{e.what()}.find("newer"), std::string::npos) << e.what();
        EXPECT_NE(std::string{e.what()}.find(path.string()), std::string::npos) << e.what();
    }
    EXPECT_THROW(RequestReader{path}, std::runtime_error);
}

TEST(RequestStore, OnCommitRunsAfterCommitsThatStoredNewRequestsOnly) {
    TempDir dir;
    auto options = options_for(dir);
    std::atomic<int> calls{0};
    std::atomic<std::int64_t> visible_when_called{-1};
    const auto path = options.path;
    options.on_commit = [&] {
        // The hook runs after COMMIT: another connection already sees the request.
        visible_when_called = count(path, "SELECT count(*) FROM requests");
        ++calls;
    };
    TestStore store(options);
    ok(enqueue_and_wait(store, request(inventory(40, 1), "<first/>")));
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(visible_when_called.load(), 1);

    // A re-delivery stores nothing new, and neither does another job: no wake-up.
    EXPECT_TRUE(ok(enqueue_and_wait(store, request(inventory(40, 1), "<first/>"))).redelivery);
    EXPECT_FALSE(run_task(store, [](sqlite::Database& db, std::uint64_t) {
        db.exec("INSERT INTO products (sku, updated_at) VALUES ('T-1', 'now')");
    }));
    EXPECT_EQ(calls.load(), 1);

    ok(enqueue_and_wait(store, request(inventory(41, 1), "<second/>")));
    EXPECT_EQ(calls.load(), 2);
}

TEST(RequestStore, AThrowingOnCommitHookDoesNotFailTheRequest) {
    TempDir dir;
    auto options = options_for(dir);
    options.on_commit = [] { throw std::runtime_error("hook failed"); };
    TestStore store(options);
    const auto result = enqueue_and_wait(store, request(inventory(42, 1)));
    ASSERT_TRUE(std::holds_alternative<EnqueueResult>(result));
    EXPECT_EQ(count(options.path, "SELECT count(*) FROM requests"), 1);
}

TEST(RequestStore, NormalSynchronousWhenAsked) {
    TempDir dir;
    auto options = options_for(dir);
    options.synchronous_full = false;
    std::int64_t synchronous = -1;
    options.on_connection_open = [&](sqlite::Database& db) {
        synchronous = db.query_int64("PRAGMA synchronous");
    };
    TestStore store(options);
    EXPECT_EQ(synchronous, 1);  // NORMAL
}

}  // namespace
}  // namespace ofbridge::queue
