// An inventory request's lines come from its stored body: receipt writes no row per line, and
// the worker expands the body again (codec::expand_inventory) before its write task. Covers what
// that must keep true: the widest limits (a body accepted under looser [limits] still applies),
// requests stored by an earlier version (line rows present) apply from their body, a body that
// no longer decodes fails the attempt with a clear error, and a body removed by log retention
// refuses a reprocess without changing anything. Standalone and hosted (on the writer).
#include <gtest/gtest.h>

#include "ofbridge/imports/import_reader.h"
#include "ofbridge/inventory/stock_reader.h"
#include "ofbridge/worker/request_processor.h"
#include "worker_fixtures.h"

namespace ofbridge::worker {
namespace {

using testing::exec;
using testing::line;
using testing::message;
using testing::query_int;
using testing::query_text;
using testing::state_of;
using testing::TempDir;
using testing::TestClock;

class StoredBodyTest : public ::testing::TestWithParam<bool> {
protected:
    std::filesystem::path path() const { return dir.file("broker.db"); }
    WorkerOptions options() {
        auto o = testing::options_for(path(), &clock);
        if (GetParam()) o.writer = &queue.writer();  // hosted, as in `serve`
        return o;
    }
    std::vector<RequestOutcome> run() {
        RequestProcessor p(options(), "test/1");
        return p.apply(p.claim(100).requests);
    }
    std::int64_t qty(const std::string& sku) {
        const auto rows = inventory::StockReader(path()).stock(sku, "default");
        return rows.size() == 1 ? rows[0].qty : -1;
    }

    TempDir dir;
    TestClock clock;
    testing::Queue queue{path()};
};

TEST_P(StoredBodyTest, ReceiptStoresNoLineRowsAndTheWorkerAppliesTheBody) {
    const auto id = queue.add(message(1, {line("A", 5, 10), line("B", 2, 3)}));
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM inventory_lines"), 0);
    const auto outcomes = run();
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].request_id, id);
    EXPECT_EQ(outcomes[0].state, "done");
    EXPECT_EQ(outcomes[0].successes, 2);
    EXPECT_EQ(qty("A"), 5);
    EXPECT_EQ(qty("B"), 2);
}

// A SKU longer than the default max_sku_length (64): accepted at receipt under a looser
// [limits] max_sku_length, it is applied whatever [limits] says now.
TEST_P(StoredBodyTest, LimitsLoweredAfterReceiptDoNotFailTheApply) {
    const std::string long_sku(200, 'L');
    queue.add(message(1, {line(long_sku, 4, 1)}));
    const auto outcomes = run();
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].state, "done") << outcomes[0].error;
    EXPECT_EQ(outcomes[0].successes, 1);
    EXPECT_EQ(qty(long_sku), 4);
}

// Stored by the previous version: body and one row per line. Pending, it is applied from its
// body like a new one (the rows stay for `requests show`, untouched).
TEST_P(StoredBodyTest, ARequestWithLegacyLineRowsAppliesFromItsBody) {
    const auto id = queue.add(message(1, {line("A", 5, 10)}));
    exec(path(),
         "INSERT INTO inventory_lines (request_id, line_no, sku, source, qty, seq) VALUES (" +
             std::to_string(id) + ", 1, 'A', 'default', 5, 10)");
    const auto outcomes = run();
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].state, "done") << outcomes[0].error;
    EXPECT_EQ(outcomes[0].successes, 1);
    EXPECT_EQ(qty("A"), 5);
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM inventory_lines"), 1);
}

TEST_P(StoredBodyTest, ACorruptBodyFailsTheAttemptWithAClearError) {
    const auto bad = queue.add(message(1, {line("A", 5, 10)}));
    const auto good = queue.add(message(2, {line("B", 1, 1)}));
    exec(path(), "UPDATE request_bodies SET raw_body = '<SOAP-ENV:Envelope' WHERE request_id = " +
                     std::to_string(bad));
    const auto outcomes = run();
    ASSERT_EQ(outcomes.size(), 2u);
    EXPECT_EQ(outcomes[0].state, "failed");
    EXPECT_NE(outcomes[0].error.find("no longer decodes"), std::string::npos) << outcomes[0].error;
    EXPECT_EQ(state_of(path(), bad), "failed");
    EXPECT_NE(
        query_text(path(), "SELECT last_error FROM requests WHERE id = " + std::to_string(bad))
            .find("inventory request " + std::to_string(bad)),
        std::string::npos);
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM import_reports WHERE request_id = " +
                                    std::to_string(bad)),
              0);
    EXPECT_EQ(outcomes[1].state, "done");  // the others are applied
    EXPECT_EQ(state_of(path(), good), "done");
    EXPECT_EQ(qty("A"), -1);
}

TEST_P(StoredBodyTest, ReprocessOfARequestWhoseBodyWasPrunedIsRefused) {
    const auto id = queue.add(message(1, {line("A", 5, 10)}));
    ASSERT_EQ(run().at(0).state, "done");
    exec(path(), "DELETE FROM request_bodies WHERE request_id = " + std::to_string(id));
    const auto attempts = query_int(path(), "SELECT attempts FROM requests");
    try {
        reprocess_request(options(), id);
        FAIL() << "reprocess went ahead without a body";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("log retention"), std::string::npos) << e.what();
    }
    EXPECT_EQ(state_of(path(), id), "done");
    EXPECT_EQ(query_int(path(), "SELECT attempts FROM requests"), attempts);
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM import_reports"), 1);
}

INSTANTIATE_TEST_SUITE_P(Modes, StoredBodyTest, ::testing::Values(false, true),
                         [](const auto& param_info) {
                             return param_info.param ? "Hosted" : "Standalone";
                         });

}  // namespace
}  // namespace ofbridge::worker
