// The writer's budgets (storage/writer.h): a batch commits once batch_budget is spent, and a
// sliced job runs one slice per batch, behind whatever was submitted while its slice ran, so the
// jobs submitted meanwhile commit between its slices. Structure is asserted, never wall-clock
// time: which slices ran before a job, in which commit.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/writer.h"
#include "temp_dir.h"

namespace ofbridge::storage {
namespace {

using testing::TempDir;

WriterOptions options_for(const TempDir& dir) {
    WriterOptions o;
    o.path = dir.file("budget.db");
    o.on_connection_open = [](sqlite::Database& db) {
        db.exec("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, what TEXT NOT NULL)");
    };
    return o;
}

void insert(sqlite::Database& db, const std::string& what) {
    db.exec("INSERT INTO rows (what) VALUES ('" + what + "')");
}

std::int64_t count_rows(const TempDir& dir, const std::string& where) {
    sqlite::Database db(dir.file("budget.db"), SQLITE_OPEN_READONLY);
    return db.query_int64("SELECT count(*) FROM rows WHERE " + where);
}

// Holds the writer inside a job until released, so jobs queue up behind it.
struct WriterHold {
    explicit WriterHold(Writer& writer) {
        auto running = std::make_shared<std::promise<void>>();
        auto started = running->get_future();
        WriteJob job;
        job.run = [running, go = go.get_future().share()](sqlite::Database&, std::uint64_t) {
            running->set_value();
            go.wait();
            return false;
        };
        job.completion = Completion::committed;
        writer.submit(std::move(job));
        started.wait();
    }
    void release() { go.set_value(); }
    std::promise<void> go;
};

std::future<std::error_code> submit_row(Writer& writer, std::string what) {
    auto answer = std::make_shared<std::promise<std::error_code>>();
    auto future = answer->get_future();
    WriteJob job;
    job.run = [what = std::move(what)](sqlite::Database& db, std::uint64_t) {
        insert(db, what);
        return false;
    };
    job.done = [answer](std::error_code ec) { answer->set_value(ec); };
    writer.submit(std::move(job));
    return future;
}

TEST(WriterBudget, ABatchCommitsOnceItsBudgetIsSpentAndTheRestFollow) {
    TempDir dir;
    auto options = options_for(dir);
    options.batch_budget = std::chrono::microseconds(1);  // every job spends it
    Writer writer(options);
    std::vector<std::future<std::error_code>> answers;
    {
        WriterHold hold(writer);
        for (int i = 0; i < 5; ++i) answers.push_back(submit_row(writer, "job"));
        hold.release();
    }
    for (auto& a : answers) EXPECT_FALSE(a.get());
    // The hold's batch, then one batch per job: each was cut after its first job.
    EXPECT_EQ(writer.stats().commits, 6u);
    EXPECT_EQ(writer.stats().budget_cuts, 4u);
    EXPECT_EQ(count_rows(dir, "what = 'job'"), 5);
}

TEST(WriterBudget, AGenerousBudgetKeepsOneGroupCommit) {
    TempDir dir;
    auto options = options_for(dir);
    options.batch_budget = std::chrono::hours(1);
    Writer writer(options);
    std::vector<std::future<std::error_code>> answers;
    {
        WriterHold hold(writer);
        for (int i = 0; i < 5; ++i) answers.push_back(submit_row(writer, "job"));
        hold.release();
    }
    for (auto& a : answers) EXPECT_FALSE(a.get());
    EXPECT_EQ(writer.stats().commits, 2u);
    EXPECT_EQ(writer.stats().budget_cuts, 0u);
}

// A job nobody waits on beyond its commit (as the workers' claims and applies), recording when
// it ran.
std::future<std::error_code> submit_unwaited(Writer& writer, std::string what,
                                             std::vector<std::string>& events) {
    auto answer = std::make_shared<std::promise<std::error_code>>();
    auto future = answer->get_future();
    WriteJob job;
    job.run = [what = std::move(what), &events](sqlite::Database& db, std::uint64_t) {
        insert(db, what);
        events.push_back(what);  // the writer thread only
        return false;
    };
    job.done = [answer](std::error_code ec) { answer->set_value(ec); };
    job.completion = Completion::committed;
    writer.submit(std::move(job));
    return future;
}

TEST(WriterBudget, WorkNobodyWaitsOnSharesOneCommitPastTheBudget) {
    TempDir dir;
    auto options = options_for(dir);
    options.batch_budget = std::chrono::microseconds(1);  // every job spends it
    options.unwaited_budget = std::chrono::hours(1);
    Writer writer(options);
    std::vector<std::string> events;
    std::vector<std::future<std::error_code>> answers;
    {
        WriterHold hold(writer);
        for (int i = 0; i < 5; ++i)
            answers.push_back(submit_unwaited(writer, "apply " + std::to_string(i), events));
        hold.release();
    }
    for (auto& a : answers) EXPECT_FALSE(a.get());
    // No ack waited, so the hold's batch took them as they came: one commit for all.
    EXPECT_EQ(writer.stats().commits, 1u);
    EXPECT_EQ(writer.stats().budget_cuts, 0u);
    EXPECT_EQ(count_rows(dir, "what LIKE 'apply %'"), 5);
}

TEST(WriterBudget, AnAckQueuedAmongWorkCommitsAheadOfThatWork) {
    TempDir dir;
    auto options = options_for(dir);
    options.batch_budget = std::chrono::microseconds(1);
    options.unwaited_budget = std::chrono::hours(1);
    Writer writer(options);
    std::vector<std::string> events;
    std::vector<std::future<std::error_code>> answers;
    std::future<std::error_code> ack;
    {
        WriterHold hold(writer);
        answers.push_back(submit_unwaited(writer, "apply 0", events));
        answers.push_back(submit_unwaited(writer, "apply 1", events));
        WriteJob job;  // durable: an ack
        auto answer = std::make_shared<std::promise<std::error_code>>();
        ack = answer->get_future();
        job.run = [&events](sqlite::Database& db, std::uint64_t) {
            insert(db, "ack");
            events.push_back("ack");
            return false;
        };
        job.done = [answer](std::error_code ec) { answer->set_value(ec); };
        writer.submit(std::move(job));
        answers.push_back(submit_unwaited(writer, "apply 2", events));
        hold.release();
    }
    EXPECT_FALSE(ack.get());
    for (auto& a : answers) EXPECT_FALSE(a.get());
    // The hold's batch did not take the work (an ack was queued); the ack's batch took no work;
    // the work then shared one commit.
    EXPECT_EQ(events, (std::vector<std::string>{"ack", "apply 0", "apply 1", "apply 2"}));
    EXPECT_EQ(writer.stats().commits, 3u);
    EXPECT_EQ(writer.stats().budget_cuts, 0u);
}

// A sliced job of `slices` slices; slice k pauses until the test let it go, so the test can
// submit a job exactly while slice k runs.
struct SteppedSlices {
    explicit SteppedSlices(int count) : slices(count), started(count), go(count) {}
    WriteJob job(std::promise<std::error_code>& done) {
        WriteJob j;
        j.run_slice = [this](sqlite::Database& db, std::uint64_t, const SliceBudget& budget) {
            EXPECT_GE(budget.max_rows, 1u);
            const int k = next++;
            insert(db, "slice " + std::to_string(k));
            started[k].set_value(k);
            go[k].get_future().wait();
            return SliceResult{next == slices, false};
        };
        j.done = [&done](std::error_code ec) { done.set_value(ec); };
        return j;
    }
    int slices;
    int next = 0;  // writer thread only
    std::vector<std::promise<int>> started;
    std::vector<std::promise<void>> go;
};

TEST(WriterBudget, JobsSubmittedDuringASliceCommitBeforeTheNextSlice) {
    TempDir dir;
    auto options = options_for(dir);
    options.batch_budget = std::chrono::hours(1);  // only the slicing separates them
    Writer writer(options);
    constexpr int slices = 5;
    SteppedSlices sliced(slices);
    std::promise<std::error_code> import_done;
    auto import_result = import_done.get_future();

    std::mutex mutex;
    std::vector<std::string> events;  // in the order the writer ran them
    struct Ack {
        std::uint64_t slices_when_submitted = 0, slices_when_run = 0;
        std::uint64_t commits_when_run = 0;
        std::future<std::error_code> done;
    };
    std::vector<Ack> acks(slices);

    writer.submit(sliced.job(import_done));
    for (int k = 0; k < slices; ++k) {
        sliced.started[k].get_future().wait();  // slice k is running now
        {
            std::lock_guard lock(mutex);
            events.push_back("slice " + std::to_string(k));
        }
        auto answer = std::make_shared<std::promise<std::error_code>>();
        acks[k].done = answer->get_future();
        acks[k].slices_when_submitted = writer.stats().slices;
        WriteJob ack;
        ack.run = [&, k](sqlite::Database& db, std::uint64_t) {
            insert(db, "ack " + std::to_string(k));
            acks[k].slices_when_run = writer.stats().slices;
            acks[k].commits_when_run = writer.stats().commits;
            std::lock_guard lock(mutex);
            events.push_back("ack " + std::to_string(k));
            return false;
        };
        ack.done = [answer](std::error_code ec) { answer->set_value(ec); };
        writer.submit(std::move(ack));
        sliced.go[k].set_value();
        if (k + 1 < slices) {
            // The ack is durable before slice k + 1 is let go: it did not wait for the import.
            EXPECT_FALSE(acks[k].done.get());
        }
    }
    EXPECT_FALSE(import_result.get());
    EXPECT_FALSE(acks[slices - 1].done.get());

    std::vector<std::string> expected;
    for (int k = 0; k < slices; ++k) {
        expected.push_back("slice " + std::to_string(k));
        expected.push_back("ack " + std::to_string(k));
    }
    std::lock_guard lock(mutex);
    EXPECT_EQ(events, expected);
    for (int k = 0; k < slices; ++k) {
        SCOPED_TRACE("ack " + std::to_string(k));
        // Only the slice in progress when it was submitted ran before it...
        EXPECT_EQ(acks[k].slices_when_run, acks[k].slices_when_submitted);
        // ...and in a batch after that slice's commit.
        EXPECT_GE(acks[k].commits_when_run, static_cast<std::uint64_t>(k + 1));
    }
    EXPECT_EQ(writer.stats().slices, static_cast<std::uint64_t>(slices));
    EXPECT_EQ(writer.stats().max_slices_waited, 0u);
    EXPECT_EQ(count_rows(dir, "what LIKE 'slice %'"), slices);
    EXPECT_EQ(count_rows(dir, "what LIKE 'ack %'"), slices);
}

TEST(WriterBudget, AFailingSliceEndsTheJobAndKeepsTheSlicesBeforeIt) {
    TempDir dir;
    Writer writer(options_for(dir));
    std::promise<std::error_code> done;
    auto result = done.get_future();
    auto next = std::make_shared<int>(0);
    WriteJob job;
    job.run_slice = [next](sqlite::Database& db, std::uint64_t, const SliceBudget&) {
        const int k = (*next)++;
        insert(db, "slice " + std::to_string(k));
        if (k == 2) throw std::runtime_error("refused in slice 2");
        return SliceResult{false, false};
    };
    job.done = [&done](std::error_code ec) { done.set_value(ec); };
    writer.submit(std::move(job));
    EXPECT_TRUE(result.get());
    EXPECT_EQ(*next, 3);  // no slice after the failing one
    EXPECT_EQ(count_rows(dir, "what LIKE 'slice %'"), 2);
    EXPECT_EQ(count_rows(dir, "what = 'slice 2'"), 0);
    EXPECT_FALSE(submit_row(writer, "after").get());  // the writer goes on
}

TEST(WriterBudget, ASliceStopsAtItsRowsOrOnceItsTimeIsSpent) {
    const auto later = std::chrono::steady_clock::now() + std::chrono::hours(1);
    SliceBudget rows{3, later};
    EXPECT_FALSE(rows.spent(0));
    EXPECT_FALSE(rows.spent(2));
    EXPECT_TRUE(rows.spent(3));
    SliceBudget time{100, std::chrono::steady_clock::time_point{}};  // already past
    EXPECT_FALSE(time.spent(0));                                     // one row at least
    EXPECT_TRUE(time.spent(1));
}

}  // namespace
}  // namespace ofbridge::storage
