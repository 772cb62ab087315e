// A big inventory request is applied in slices (request_processor.h, schemas/sqlite/015): whole
// (sku, source) keys at a time, each slice in a transaction of its own that records how far the
// run got. What must hold: the slices decide every line exactly as one whole apply would (same
// report, same stock); a run cut short by a failed slice or a lost claim resumes after its
// committed slices, adds to the same report and applies nothing twice; and, on the writer, the
// acks sent during a 10,000-line apply commit between its slices instead of after it (asserted
// on structure, as the orders import's budget test does, not on time). Standalone and hosted.
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>

#include <gtest/gtest.h>

#include "ofbridge/storage/writer.h"
#include "ofbridge/worker/request_processor.h"
#include "worker_fixtures.h"

namespace ofbridge::worker {
namespace {

using testing::line;
using testing::message;
using testing::query_int;
using testing::state_of;
using testing::TempDir;
using testing::TestClock;

// Marks already there before the big message: every third key at seq 50.
domain::InventoryUpdate earlier_marks(std::size_t keys) {
    std::vector<domain::InventoryLine> lines;
    for (std::size_t k = 0; k < keys; k += 3)
        lines.push_back(line("SL-" + std::to_string(k), 7, 50, k % 2 ? "eu" : "default"));
    return message(1, std::move(lines));
}

// `keys` (sku, source) keys, each one to three times with seqs around the earlier marks
// (Success, Duplicate and Superseded lines, and keys repeated within the message), shuffled.
domain::InventoryUpdate big_message(std::size_t keys, unsigned seed = 7) {
    std::mt19937 random(seed);
    std::vector<domain::InventoryLine> lines;
    for (std::size_t k = 0; k < keys; ++k) {
        const auto copies = 1 + random() % 3;
        for (unsigned c = 0; c < copies; ++c)
            lines.push_back(
                line("SL-" + std::to_string(k), static_cast<std::int64_t>(random() % 90),
                     40 + static_cast<std::int64_t>(random() % 20), k % 2 ? "eu" : "default"));
    }
    std::shuffle(lines.begin(), lines.end(), random);
    return message(2, std::move(lines));
}

// What a run leaves behind that must not depend on how it was sliced.
struct Applied {
    std::vector<std::string> report;  // every import line of the big message's report
    std::vector<std::string> stock;   // every key's mark and stock
    bool operator==(const Applied&) const = default;
};

std::vector<std::string> rows(const std::filesystem::path& path, const std::string& sql) {
    storage::sqlite::Database db(path, SQLITE_OPEN_READONLY);
    storage::sqlite::Statement s(db, sql);
    std::vector<std::string> out;
    while (s.step()) {
        std::string row;
        for (int c = 0; c < s.column_count(); ++c)
            row += (s.is_null(c) ? std::string{"NULL"} : s.column_text(c)) + "|";
        out.push_back(std::move(row));
    }
    return out;
}

Applied applied(const std::filesystem::path& path, std::int64_t request_id) {
    const auto id = std::to_string(request_id);
    return Applied{
        rows(path,
             "SELECT l.line_no, l.reference, l.source, l.sequence_id, l.result, l.message,"
             " l.units_received, l.final_qty FROM import_lines l JOIN import_reports r"
             " ON r.id = l.report_id WHERE r.request_id = " +
                 id + " ORDER BY l.line_no"),
        rows(path,
             "SELECT sku, source, high_water_seq, qty, is_in_stock FROM stock_marks"
             " ORDER BY sku, source")};
}

// The earlier marks and the big message applied in one piece on a database of their own: what
// every sliced run must give.
Applied applied_whole(std::size_t keys) {
    TempDir dir;
    const auto path = dir.file("whole.db");
    testing::Queue queue{path};
    queue.add(earlier_marks(keys));
    const auto id = queue.add(big_message(keys));
    auto o = testing::options_for(path, nullptr);
    o.slice_lines = 1'000'000;
    RequestProcessor p(o, "test/1");
    for (const auto& outcome : p.apply(p.claim(100).requests))
        EXPECT_EQ(outcome.state, "done") << outcome.error;
    EXPECT_EQ(query_int(path, "SELECT count(*) FROM import_reports"), 2);
    return applied(path, id);
}

class SlicedApplyTest : public ::testing::TestWithParam<bool> {
protected:
    bool hosted() const { return GetParam(); }
    std::filesystem::path path() const { return dir.file("broker.db"); }
    // Slices of slice_lines lines (and the rest of the last key), whatever the time: hosted,
    // the writer's budget; standalone, the worker's.
    static constexpr std::size_t slice_lines = 40;
    WorkerOptions options() {
        auto o = testing::options_for(path(), &clock);
        o.slice_lines = slice_lines;
        o.slice_time = std::chrono::hours(1);
        if (hosted()) o.writer = &queue.writer();
        return o;
    }
    std::vector<RequestOutcome> run(const WorkerOptions& o, const std::string& worker = "test/1") {
        RequestProcessor p(o, worker);
        return p.apply(p.claim(100).requests);
    }
    // The earlier marks applied, the big message stored: its id.
    std::int64_t store_big_message(std::size_t keys) {
        queue.add(earlier_marks(keys));
        auto o = options();
        o.slice_lines = 1'000'000;
        EXPECT_EQ(run(o).front().state, "done");
        return queue.add(big_message(keys));
    }

    TempDir dir;
    TestClock clock;
    testing::Queue queue{path(), {}, [](storage::WriterOptions& w) {
                             w.slice_rows = slice_lines;
                             w.batch_budget = std::chrono::hours(1);
                         }};
};

TEST_P(SlicedApplyTest, SlicesDecideEveryLineAsTheWholeMessageWould) {
    constexpr std::size_t keys = 400;
    const auto id = store_big_message(keys);
    auto o = options();
    std::vector<std::int64_t> slice_starts;
    o.test_hooks.before_slice = [&](storage::sqlite::Database&, std::int64_t, std::int64_t at) {
        slice_starts.push_back(at);
    };
    const auto outcomes = run(o);
    ASSERT_EQ(outcomes.size(), 1u);
    const auto& outcome = outcomes[0];
    EXPECT_EQ(outcome.state, "done") << outcome.error;
    const auto lines =
        query_int(path(), "SELECT line_count FROM requests WHERE id = " + std::to_string(id));
    // Slices of slice_lines lines and the rest of a key (a key has up to 3 lines).
    EXPECT_GE(slice_starts.size(), static_cast<std::size_t>(lines) / (slice_lines + 2));
    EXPECT_EQ(slice_starts.front(), 0);
    EXPECT_EQ(
        query_int(path(), "SELECT applied_lines FROM requests WHERE id = " + std::to_string(id)),
        0);
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM import_reports WHERE request_id = " +
                                    std::to_string(id)),
              1);
    // The counts the slices added up, and what the outcome says, are the lines'.
    EXPECT_EQ(outcome.successes + outcome.duplicates + outcome.superseded + outcome.failures,
              lines);
    EXPECT_EQ(query_int(path(), "SELECT successes FROM import_reports WHERE id = " +
                                    std::to_string(outcome.report_id)),
              outcome.successes);
    EXPECT_GT(outcome.duplicates + outcome.superseded, 0);
    EXPECT_EQ(applied(path(), id), applied_whole(keys));
}

// A slice that fails (here the hook; in production a constraint, a bug) undoes itself only: the
// request is failed with its progress kept, and the retry resumes after it with the same report.
TEST_P(SlicedApplyTest, AFailedSliceIsRetriedFromWhereTheRunStopped) {
    constexpr std::size_t keys = 300;
    const auto id = store_big_message(keys);
    auto o = options();
    std::vector<std::int64_t> slice_starts;
    bool fail_once = true;
    o.test_hooks.before_slice = [&](storage::sqlite::Database&, std::int64_t, std::int64_t at) {
        slice_starts.push_back(at);
        if (fail_once && at >= 200) {
            fail_once = false;
            throw std::runtime_error("slice refused by the test");
        }
    };
    auto outcomes = run(o);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].state, "failed");
    EXPECT_NE(outcomes[0].error.find("slice refused by the test"), std::string::npos);
    const auto progress = "SELECT applied_lines FROM requests WHERE id = " + std::to_string(id);
    const auto kept = query_int(path(), progress);
    EXPECT_EQ(kept, slice_starts.back());  // the failed slice added nothing
    EXPECT_GE(kept, 200);
    const auto reported =
        "SELECT successes + duplicates + superseded + failures FROM"
        " import_reports WHERE request_id = " +
        std::to_string(id);
    EXPECT_EQ(query_int(path(), reported), kept);  // the report holds the committed slices

    clock.advance(std::chrono::minutes(10));  // past the retry backoff
    slice_starts.clear();
    outcomes = run(o);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].state, "done") << outcomes[0].error;
    EXPECT_EQ(slice_starts.front(), kept);  // resumed, not started again
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM import_reports WHERE request_id = " +
                                    std::to_string(id)),
              1);
    EXPECT_EQ(applied(path(), id), applied_whole(keys));
}

// A reprocess of a done request is a new run: a new report, every line a Duplicate of itself.
TEST_P(SlicedApplyTest, AReprocessStartsANewRunWithANewReport) {
    const auto id = store_big_message(100);
    const auto o = options();
    ASSERT_EQ(run(o).front().state, "done");
    const auto result = reprocess_request(o, id, nullptr);
    EXPECT_EQ(result.state, "done");
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM import_reports WHERE request_id = " +
                                    std::to_string(id)),
              2);
    EXPECT_EQ(query_int(path(), "SELECT successes FROM import_reports WHERE id = " +
                                    std::to_string(result.report_id)),
              0);
}

INSTANTIATE_TEST_SUITE_P(Modes, SlicedApplyTest, ::testing::Values(false, true),
                         [](const auto& param_info) {
                             return param_info.param ? "Hosted" : "Standalone";
                         });

// The claim is taken away between two slices on the writer (its lease expired while this worker
// stalled, and another worker claimed it): the next slice is undone, the worker reports the lease
// lost, and the next holder resumes after the last committed slice, adding to the same report.
TEST(SlicedApplyLease, ANewHolderResumesAfterALostClaim) {
    TempDir dir;
    const auto path = dir.file("broker.db");
    testing::Queue queue{path, {}, [](storage::WriterOptions& w) {
                             w.slice_rows = 40;
                             w.batch_budget = std::chrono::hours(1);
                         }};
    queue.add(earlier_marks(300));
    const auto id = queue.add(big_message(300));
    TestClock clock;
    auto o = testing::options_for(path, &clock);
    o.writer = &queue.writer();
    RequestProcessor first(o, "test/1");
    const auto claimed = first.claim(10).requests;
    ASSERT_EQ(claimed.size(), 2u);
    ASSERT_EQ(first.apply({claimed[0]}).front().state, "done");

    // At the slice that starts past line 120, the test takes the claim away in a writer task of
    // its own, queued (the hook waits for it) before that slice's next one.
    std::promise<void> take;
    std::promise<void> taken_queued;
    std::vector<std::int64_t> slice_starts;
    o.test_hooks.before_slice = [&](storage::sqlite::Database&, std::int64_t, std::int64_t at) {
        slice_starts.push_back(at);
        if (slice_starts.size() > 1 && slice_starts[slice_starts.size() - 2] < 120 && at >= 120) {
            take.set_value();
            taken_queued.get_future().wait();
        }
    };
    RequestProcessor stalled(o, "test/1");
    auto applying = std::async(std::launch::async, [&] { return stalled.apply({claimed[1]}); });
    take.get_future().wait();
    std::promise<void> taken;
    queue.writer().run_in_transaction(
        [&](storage::sqlite::Database& db, std::uint64_t) {
            db.exec("UPDATE requests SET claimed_by = 'gone/1', lease_expires_at = 0 WHERE id = " +
                    std::to_string(id));
        },
        [&](std::error_code) { taken.set_value(); });
    taken_queued.set_value();
    const auto lost = applying.get();
    taken.get_future().wait();
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_TRUE(lost[0].lease_lost);
    EXPECT_EQ(state_of(path, id), "processing");
    // The slice the hook ran in committed; the one after the claim was taken did not.
    const auto kept =
        query_int(path, "SELECT applied_lines FROM requests WHERE id = " + std::to_string(id));
    EXPECT_EQ(kept, slice_starts.back());
    EXPECT_GT(kept, 120);

    o.test_hooks.before_slice = [&](storage::sqlite::Database&, std::int64_t, std::int64_t at) {
        slice_starts.push_back(at);
    };
    slice_starts.clear();
    RequestProcessor next_holder(o, "test/2");
    const auto resumed = next_holder.apply(next_holder.claim(10).requests);
    ASSERT_EQ(resumed.size(), 1u);
    EXPECT_EQ(resumed[0].state, "done") << resumed[0].error;
    EXPECT_EQ(slice_starts.front(), kept);
    EXPECT_EQ(query_int(path, "SELECT count(*) FROM import_reports WHERE request_id = " +
                                  std::to_string(id)),
              1);

    EXPECT_EQ(applied(path, id), applied_whole(300));
}

// A sequential sender keeps sending while one worker applies a 10,000-line message on the
// writer: each ack commits between two of the apply's slices, never after the whole apply.
TEST(SlicedApplyBudget, AcksDuringATenThousandLineApplyCommitBetweenItsSlices) {
    TempDir dir;
    const auto path = dir.file("broker.db");
    std::mutex mutex;
    std::vector<std::uint64_t> slices_at_ack_commit;  // one per batch that stored a request
    storage::Writer* observed = nullptr;
    testing::Queue queue{path, [&] {
                             std::lock_guard lock(mutex);
                             if (observed) slices_at_ack_commit.push_back(observed->stats().slices);
                         }};
    std::vector<domain::InventoryLine> lines;
    for (int i = 0; i < 10'000; ++i) lines.push_back(line("BIG-" + std::to_string(i), i, 1));
    queue.add(message(1, std::move(lines)));
    {
        std::lock_guard lock(mutex);
        observed = &queue.writer();
        slices_at_ack_commit.clear();
    }
    auto o = testing::options_for(path, nullptr);
    o.writer = &queue.writer();
    RequestProcessor processor(o, "test/1");
    const auto claimed = processor.claim(1).requests;
    ASSERT_EQ(claimed.size(), 1u);
    auto applying = std::async(std::launch::async, [&] { return processor.apply(claimed); });

    std::int64_t seq = 2;
    std::size_t acks = 0;
    while (applying.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        queue.add(message(seq++, {line("ACK", 1, seq)}));
        ++acks;
    }
    const auto outcomes = applying.get();
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].state, "done") << outcomes[0].error;
    EXPECT_EQ(outcomes[0].successes, 10'000);

    const auto stats = queue.writer().stats();
    EXPECT_GE(stats.slices, 10'000u / 500u);  // slice_rows lines at most per slice
    EXPECT_LE(stats.max_slices_waited, 1u);   // an ack waited at most for the slice in progress
    std::lock_guard lock(mutex);
    ASSERT_EQ(slices_at_ack_commit.size(), acks);
    // The acks committed between the apply's slices, not after them: while it ran, batches of
    // acks committed after different slices. (A few more may follow its last slice: the sender
    // goes on until the worker's thread has returned from the apply.)
    std::set<std::uint64_t> between;
    for (const auto slices : slices_at_ack_commit)
        if (slices < stats.slices) between.insert(slices);
    EXPECT_GE(between.size(), 2u);
}

}  // namespace
}  // namespace ofbridge::worker
