// RequestProcessor driven one step at a time: the DESIGN §3.1 staleness story end to end (queue
// -> worker -> import log read back through ImportReader), keys, clamping, unknown SKUs, leases,
// retries and reprocess. No threads here, so every step is deterministic.
#include "ofbridge/worker/request_processor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "ofbridge/catalog/product_import.h"
#include "ofbridge/imports/import_reader.h"
#include "ofbridge/inventory/stock_reader.h"
#include "worker_fixtures.h"

namespace ofbridge::worker {
namespace {

using testing::line;
using testing::message;
using testing::query_int;
using testing::state_of;
using testing::TempDir;
using testing::TestClock;

class RequestProcessorTest : public ::testing::Test {
protected:
    std::filesystem::path path() const { return dir.file("broker.db"); }
    WorkerOptions options() const { return testing::options_for(path(), &clock); }

    // Claims everything claimable and applies it; returns the outcomes.
    std::vector<RequestOutcome> run(RequestProcessor& p) {
        const auto batch = p.claim(100);
        return p.apply(batch.requests);
    }

    inventory::StockRow stock(const std::string& sku, const std::string& source = "default") {
        inventory::StockReader reader(path());
        const auto rows = reader.stock(sku, source);
        if (rows.size() != 1) throw std::runtime_error("no stock row for " + sku);
        return rows.front();
    }

    imports::ImportReport report(std::int64_t id) {
        imports::ImportReader reader(path());
        auto r = reader.get_import(id);
        if (!r) throw std::runtime_error("no report " + std::to_string(id));
        return *r;
    }

    TempDir dir;
    TestClock clock;
    testing::Queue queue{path()};
};

TEST_F(RequestProcessorTest, DesignStoryNewerAppliesOlderIsSupersededRepeatIsDuplicate) {
    RequestProcessor p(options(), "test/1");
    const auto first = queue.add(message(1, {line("A", 5, 10)}));
    const auto older = queue.add(message(2, {line("A", 3, 8)}));
    const auto repeat = queue.add(message(3, {line("A", 5, 10)}));
    const auto pair = queue.add(message(4, {line("A", 7, 12), line("A", 6, 11)}));

    // One batch, applied in receipt order.
    const auto outcomes = run(p);
    ASSERT_EQ(outcomes.size(), 4u);
    for (const auto& o : outcomes) EXPECT_EQ(o.state, "done") << o.request_id;

    const auto a = stock("A");
    EXPECT_EQ(a.qty, 7);
    EXPECT_EQ(a.last_seq, 12);
    EXPECT_TRUE(a.is_in_stock);

    imports::ImportReader reader(path());
    const auto reports = reader.list_imports({});
    ASSERT_EQ(reports.size(), 4u);
    EXPECT_EQ(reports[0].request_id, pair);  // newest first
    EXPECT_EQ(reports[3].request_id, first);
    EXPECT_EQ(reports[3].message_key, "1");
    EXPECT_EQ(reports[3].entity, "inventory");

    const auto r1 = report(outcomes[0].report_id);
    EXPECT_EQ(r1.summary.successes, 1);
    ASSERT_EQ(r1.lines.size(), 1u);
    EXPECT_EQ(r1.lines[0].result, "Success");
    EXPECT_EQ(r1.lines[0].message, "Product quantity updated to 5.");
    EXPECT_EQ(r1.lines[0].sequence_id, 10);
    EXPECT_EQ(r1.lines[0].reference, "A");
    EXPECT_EQ(r1.lines[0].source, "default");
    EXPECT_EQ(r1.lines[0].units_received, 5);
    EXPECT_EQ(r1.lines[0].unsent_orders_adjustment, 0);
    EXPECT_EQ(r1.lines[0].final_qty, 5);

    const auto r2 = report(outcomes[1].report_id);
    EXPECT_EQ(r2.summary.request_id, older);
    EXPECT_EQ(r2.summary.superseded, 1);
    EXPECT_EQ(r2.summary.successes, 0);
    ASSERT_EQ(r2.lines.size(), 1u);
    EXPECT_EQ(r2.lines[0].result, "Superseded");
    EXPECT_EQ(r2.lines[0].message,
              "Product quantity update to 3 discarded as already superseded by inventory record "
              "10");
    EXPECT_EQ(r2.lines[0].units_received, 3);
    EXPECT_FALSE(r2.lines[0].final_qty.has_value());

    const auto r3 = report(outcomes[2].report_id);
    EXPECT_EQ(r3.summary.request_id, repeat);
    EXPECT_EQ(r3.summary.duplicates, 1);
    ASSERT_EQ(r3.lines.size(), 1u);
    EXPECT_EQ(r3.lines[0].result, "Duplicate");
    EXPECT_EQ(r3.lines[0].message, "Duplicate Inventory Request Ignored.");

    const auto r4 = report(outcomes[3].report_id);
    EXPECT_EQ(r4.summary.successes, 1);
    EXPECT_EQ(r4.summary.superseded, 1);
    ASSERT_EQ(r4.lines.size(), 2u);
    EXPECT_EQ(r4.lines[0].line_no, 1);
    EXPECT_EQ(r4.lines[0].result, "Success");
    EXPECT_EQ(r4.lines[0].sequence_id, 12);
    EXPECT_EQ(r4.lines[0].final_qty, 7);
    EXPECT_EQ(r4.lines[1].result, "Superseded");
    EXPECT_EQ(r4.lines[1].message,
              "Product quantity update to 6 discarded as already superseded by inventory record "
              "12");

    EXPECT_EQ(query_int(path(), "SELECT high_water_seq FROM sequence_marks WHERE sku = 'A'"), 12);
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM requests WHERE state = 'done'"), 4);
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM requests WHERE claimed_by IS NOT NULL"), 0);
}

TEST_F(RequestProcessorTest, TheRuleHoldsAcrossSeparateBatches) {
    RequestProcessor p(options(), "test/1");
    queue.add(message(1, {line("A", 5, 10)}));
    run(p);
    queue.add(message(2, {line("A", 3, 8)}));
    const auto o = run(p);
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ(o[0].superseded, 1);
    EXPECT_EQ(stock("A").qty, 5);
}

TEST_F(RequestProcessorTest, SourcesAreIndependentKeys) {
    RequestProcessor p(options(), "test/1");
    queue.add(message(1, {line("A", 5, 5, "default"), line("A", 9, 3, "north")}));
    queue.add(message(2, {line("A", 4, 4, "default"), line("A", 8, 4, "north")}));
    const auto o = run(p);
    ASSERT_EQ(o.size(), 2u);
    EXPECT_EQ(o[0].successes, 2);
    EXPECT_EQ(o[1].successes, 1);   // north@4 is new for north...
    EXPECT_EQ(o[1].superseded, 1);  // ...default@4 is older than default@5
    EXPECT_EQ(stock("A", "default").qty, 5);
    EXPECT_EQ(stock("A", "north").qty, 8);
    EXPECT_EQ(stock("A", "north").last_seq, 4);
}

TEST_F(RequestProcessorTest, SameSeqTwiceInOneMessageIsOneSuccessAndOneDuplicate) {
    RequestProcessor p(options(), "test/1");
    queue.add(message(1, {line("A", 5, 7), line("A", 5, 7)}));
    const auto o = run(p);
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ(o[0].successes, 1);
    EXPECT_EQ(o[0].duplicates, 1);
    const auto r = report(o[0].report_id);
    EXPECT_EQ(r.lines[0].result, "Success");
    EXPECT_EQ(r.lines[1].result, "Duplicate");
}

TEST_F(RequestProcessorTest, NegativeQuantityClampsToZeroUnlessAllowed) {
    {
        RequestProcessor p(options(), "test/1");
        queue.add(message(1, {line("A", -3, 1)}));
        const auto o = run(p);
        const auto r = report(o[0].report_id);
        EXPECT_EQ(r.lines[0].units_received, -3);
        EXPECT_EQ(r.lines[0].final_qty, 0);
        EXPECT_EQ(r.lines[0].message, "Product quantity updated to 0.");
        EXPECT_EQ(stock("A").qty, 0);
        EXPECT_FALSE(stock("A").is_in_stock);
    }
    auto allowing = options();
    allowing.inventory.allow_negative = true;
    RequestProcessor p(allowing, "test/2");
    queue.add(message(2, {line("A", -3, 2)}));
    run(p);
    EXPECT_EQ(stock("A").qty, -3);
    EXPECT_FALSE(stock("A").is_in_stock);
}

TEST_F(RequestProcessorTest, UnknownSkuIsAFailureLineWhileTheOtherLinesApply) {
    catalog::import_products(path(), {{"A", "Hard disk"}, {"C", "Cable"}});
    auto o = options();
    o.inventory.reject_unknown_skus = true;
    RequestProcessor p(o, "test/1");
    const auto id = queue.add(message(1, {line("A", 2, 1), line("B", 3, 1), line("C", 4, 1)}));
    const auto outcomes = run(p);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].state, "done");
    EXPECT_EQ(state_of(path(), id), "done");
    const auto r = report(outcomes[0].report_id);
    EXPECT_EQ(r.summary.successes, 2);
    EXPECT_EQ(r.summary.failures, 1);
    ASSERT_EQ(r.lines.size(), 3u);
    EXPECT_EQ(r.lines[1].result, "Failure");
    EXPECT_EQ(r.lines[1].message, "Unknown SKU 'B'.");
    EXPECT_EQ(r.lines[1].sequence_id, 1);
    EXPECT_FALSE(r.lines[1].final_qty.has_value());
    EXPECT_EQ(stock("A").qty, 2);
    EXPECT_EQ(stock("C").qty, 4);
    inventory::StockReader reader(path());
    EXPECT_TRUE(reader.stock("B", std::nullopt).empty());
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM sequence_marks WHERE sku = 'B'"), 0);
}

TEST_F(RequestProcessorTest, UnsentOrderUnitsHookAdjustsTheAppliedLevel) {
    auto o = options();
    std::string seen_last_order;
    std::chrono::system_clock::time_point seen_now{};
    int connections = 0;
    o.inventory.unsent_order_units = [&](storage::sqlite::Database&) -> UnsentOrderUnits {
        ++connections;
        return [&](std::string_view sku, std::string_view source, std::string_view last_order,
                   std::chrono::system_clock::time_point now) {
            seen_last_order = last_order;
            seen_now = now;
            return sku == "A" && source == "default" ? std::int64_t{2} : std::int64_t{0};
        };
    };
    RequestProcessor p(o, "test/1");
    auto l = line("A", 10, 1);
    l.last_order_exported = "2027-01-01T10:00:00Z";
    const auto outcomes = (queue.add(message(1, {l})), run(p));
    const auto r = report(outcomes[0].report_id);
    EXPECT_EQ(r.lines[0].units_received, 10);
    EXPECT_EQ(r.lines[0].unsent_orders_adjustment, 2);
    EXPECT_EQ(r.lines[0].final_qty, 8);
    EXPECT_EQ(seen_last_order, "2027-01-01T10:00:00Z");
    EXPECT_EQ(seen_now, clock.now());
    EXPECT_EQ(connections, 1);
    EXPECT_EQ(stock("A").qty, 8);
}

TEST_F(RequestProcessorTest, InventoryShipmentsAndExportAcksAreClaimedInReceiptOrder) {
    RequestProcessor p(options(), "test/1");
    const auto ack =
        queue.add_with_body(domain::ExportAck{domain::Entity::product_export, "A"}, "<ack/>");
    const auto shipment = queue.add_with_body(queue::testing::shipment(9), "<shipment/>");
    const auto inventory = queue.add(message(1, {line("A", 1, 1)}));
    const auto batch = p.claim(100);
    ASSERT_EQ(batch.requests.size(), 3u);
    EXPECT_EQ(batch.requests[0].id, ack);
    EXPECT_EQ(batch.requests[0].entity, "product_export");
    EXPECT_EQ(batch.requests[1].id, shipment);
    EXPECT_EQ(batch.requests[1].entity, "shipment");
    EXPECT_EQ(batch.requests[2].id, inventory);
    EXPECT_EQ(batch.requests[2].entity, "inventory");
}

// The WMS's Export call: a queued entity becomes exported; said again it is a Duplicate; one
// changed since it was notified stays pending; an unknown reference is a Failure line and the
// request is still done. An order may be named by increment_id or by Magento's entity_id.
TEST_F(RequestProcessorTest, ExportAcksMakeQueuedEntitiesExportedAndReportTheRest) {
    testing::exec(path(),
                  "INSERT INTO export_items (entity, reference, store_code, status, pending_since,"
                  " updated_at) VALUES"
                  " ('product', 'Q', 'default', 'queued', '2026-01-01', '2026-01-01'),"
                  " ('product', 'P', 'default', 'pending', '2026-01-01', '2026-01-01');"
                  "INSERT INTO orders (increment_id, entity_id, store_code, state, status,"
                  " created_at, updated_at, export_status, raw_json, imported_at) VALUES"
                  " ('100000042', 42, 'default', 'processing', 'processing', '2026-01-01',"
                  " '2026-01-01', 'queued', '{}', '2026-01-01');");
    RequestProcessor p(options(), "test/1");
    using domain::Entity;
    const std::vector<domain::ExportAck> acks{
        {Entity::product_export, "Q"}, {Entity::product_export, "Q"},
        {Entity::product_export, "P"}, {Entity::product_export, "NOPE"},
        {Entity::order_export, "42"},  {Entity::order_export, "100000042"},
        {Entity::order_export, "999"}};
    for (std::size_t i = 0; i < acks.size(); ++i)
        queue.add_with_body(acks[i], "<ack n=\"" + std::to_string(i) + "\"/>");
    const auto outcomes = run(p);
    ASSERT_EQ(outcomes.size(), acks.size());
    std::vector<std::string> results, references;
    for (const auto& o : outcomes) {
        EXPECT_EQ(o.state, "done");
        const auto r = report(o.report_id);
        ASSERT_EQ(r.lines.size(), 1u);
        results.push_back(r.lines[0].result);
        references.push_back(r.lines[0].reference);
    }
    EXPECT_EQ(results, (std::vector<std::string>{"Success", "Duplicate", "Superseded", "Failure",
                                                 "Success", "Duplicate", "Failure"}));
    EXPECT_EQ(references[4], "100000042");  // entity_id 42 resolved to its increment_id
    EXPECT_EQ(report(outcomes[3].report_id).lines[0].message, "unknown product 'NOPE'");
    const auto status = [&](const std::string& entity, const std::string& ref) {
        return testing::query_text(path(), "SELECT status FROM export_items WHERE entity = '" +
                                               entity + "' AND reference = '" + ref + "'");
    };
    EXPECT_EQ(status("product", "Q"), "exported");
    EXPECT_EQ(status("product", "P"), "pending");
    EXPECT_EQ(status("order", "100000042"), "exported");
    EXPECT_EQ(testing::query_text(path(), "SELECT export_status FROM orders"), "exported");
}

TEST_F(RequestProcessorTest, ClaimTakesOldestFirstAndRespectsTheBatchSize) {
    RequestProcessor p(options(), "test/1");
    std::vector<std::int64_t> ids;
    for (int i = 1; i <= 12; ++i) ids.push_back(queue.add(message(i, {line("A", i, i)})));
    const auto batch = p.claim(10);
    ASSERT_EQ(batch.requests.size(), 10u);
    for (std::size_t i = 0; i < 10; ++i) {
        EXPECT_EQ(batch.requests[i].id, ids[i]);  // numeric order (10 after 9, not after 1)
        EXPECT_EQ(batch.requests[i].attempts, 1);
        EXPECT_EQ(batch.requests[i].previous_state, "pending");
    }
    EXPECT_EQ(testing::query_text(
                  path(), "SELECT claimed_by FROM requests WHERE id = " + std::to_string(ids[0])),
              "test/1");
    EXPECT_EQ(query_int(path(), "SELECT lease_expires_at FROM requests WHERE id = " +
                                    std::to_string(ids[0])),
              clock.unix_now() + 30);
}

TEST_F(RequestProcessorTest, AnExpiredLeaseIsTakenOverAndTheLateWorkerWritesNothing) {
    auto o = options();
    o.lease = std::chrono::seconds(30);
    RequestProcessor old_worker(o, "old/1");
    RequestProcessor new_worker(o, "new/1");
    const auto id = queue.add(message(1, {line("A", 5, 10)}));

    const auto held = old_worker.claim(10);
    ASSERT_EQ(held.requests.size(), 1u);
    EXPECT_TRUE(new_worker.claim(10).requests.empty());  // live lease
    clock.advance(std::chrono::seconds(29));
    EXPECT_TRUE(new_worker.claim(10).requests.empty());
    clock.advance(std::chrono::seconds(1));  // lease_expires_at <= now: claimable

    const auto taken = new_worker.claim(10);
    ASSERT_EQ(taken.requests.size(), 1u);
    EXPECT_EQ(taken.requests[0].previous_state, "processing");
    EXPECT_EQ(taken.requests[0].attempts, 2);
    const auto applied = new_worker.apply(taken.requests);
    EXPECT_EQ(applied[0].state, "done");
    EXPECT_EQ(applied[0].successes, 1);

    // The old worker wakes up and commits late: its claim is gone, nothing is written.
    const auto late = old_worker.apply(held.requests);
    ASSERT_EQ(late.size(), 1u);
    EXPECT_TRUE(late[0].lease_lost);
    EXPECT_EQ(late[0].report_id, 0);
    EXPECT_EQ(state_of(path(), id), "done");
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM import_reports"), 1);
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM import_lines WHERE result = 'Success'"), 1);
    EXPECT_EQ(stock("A").qty, 5);
}

// A broker whose clock ran a day ahead claimed and died: on the true clock its lease is further
// ahead than any lease can be, so it counts as expired now, not in a day.
TEST_F(RequestProcessorTest, ALeaseFromAClockRunningAheadCountsAsExpired) {
    TestClock ahead;
    ahead.advance(std::chrono::hours(24));
    auto fast_options = options();
    fast_options.clock = ahead.function();
    RequestProcessor fast(fast_options, "fast/1");
    const auto id = queue.add(message(1, {line("A", 5, 10)}));
    ASSERT_EQ(fast.claim(10).requests.size(), 1u);  // and the broker is killed

    RequestProcessor p(options(), "true/1");
    const auto taken = p.claim(10);
    ASSERT_EQ(taken.requests.size(), 1u);
    EXPECT_EQ(taken.requests[0].id, id);
    EXPECT_EQ(taken.requests[0].previous_state, "processing");
    EXPECT_EQ(
        query_int(path(), "SELECT lease_expires_at FROM requests WHERE id = " + std::to_string(id)),
        clock.unix_now() + 30);
    EXPECT_EQ(p.apply(taken.requests)[0].state, "done");
}

TEST_F(RequestProcessorTest, ALeaseIsLiveUpToItsLengthAhead) {
    RequestProcessor holder(options(), "holder/1");  // lease_seconds = 30
    const auto id = queue.add(message(1, {line("A", 5, 10)}));
    ASSERT_EQ(holder.claim(10).requests.size(), 1u);
    RequestProcessor p(options(), "other/1");
    const auto set_lease = [&](std::int64_t at) {
        testing::exec(path(), "UPDATE requests SET lease_expires_at = " + std::to_string(at) +
                                  " WHERE id = " + std::to_string(id));
    };
    set_lease(clock.unix_now() + 30);
    EXPECT_TRUE(p.claim(10).requests.empty());
    set_lease(clock.unix_now() + 31);
    EXPECT_EQ(p.claim(10).requests.size(), 1u);
}

TEST_F(RequestProcessorTest, ARetryTimeFromAClockRunningAheadIsDueNow) {
    TestClock ahead;
    ahead.advance(std::chrono::hours(24));
    bool broken = true;
    auto fast_options = options();
    fast_options.clock = ahead.function();
    fast_options.test_hooks.before_apply = [&](std::int64_t) {
        if (broken) throw std::runtime_error("target unavailable");
    };
    RequestProcessor fast(fast_options, "fast/1");
    const auto id = queue.add(message(1, {line("A", 5, 10)}));
    ASSERT_EQ(run(fast)[0].state, "failed");  // next_attempt_at = a day ahead + 1 s

    broken = false;
    RequestProcessor p(options(), "true/1");
    const auto taken = p.claim(10);
    ASSERT_EQ(taken.requests.size(), 1u);
    EXPECT_EQ(taken.requests[0].id, id);
    EXPECT_EQ(taken.requests[0].previous_state, "failed");
    EXPECT_EQ(p.apply(taken.requests)[0].state, "done");
}

TEST_F(RequestProcessorTest, ReprocessTakesALeaseFromAClockRunningAhead) {
    TestClock ahead;
    ahead.advance(std::chrono::hours(24));
    auto fast_options = options();
    fast_options.clock = ahead.function();
    RequestProcessor fast(fast_options, "fast/1");
    const auto id = queue.add(message(1, {line("A", 5, 10)}));
    ASSERT_EQ(fast.claim(10).requests.size(), 1u);
    EXPECT_EQ(reprocess_request(options(), id).state, "done");
}

// A restarted broker finds the claims its killed run left; only those of gone holders are
// released, a live holder keeps its claims.
TEST_F(RequestProcessorTest, ClaimsOfGoneHoldersAreReleasedAtOnce) {
    RequestProcessor killed(options(), "host:111/1");
    RequestProcessor live(options(), "host:222/1");
    const auto a = queue.add(message(1, {line("A", 1, 1)}));
    const auto b = queue.add(message(2, {line("B", 1, 1)}));
    ASSERT_EQ(killed.claim(2).requests.size(), 2u);
    const auto c = queue.add(message(3, {line("C", 1, 1)}));
    ASSERT_EQ(live.claim(10).requests.size(), 1u);

    auto o = options();
    std::vector<std::string> asked;
    o.claim_holder_gone = [&](std::string_view holder) {
        asked.emplace_back(holder);
        return holder == "host:111/1";
    };
    RequestProcessor restarted(o, "host:333/1");
    EXPECT_TRUE(restarted.claim(10).requests.empty()) << "leases still live";
    EXPECT_EQ(restarted.release_claims_of_gone_holders(), 2u);
    std::sort(asked.begin(), asked.end());
    EXPECT_EQ(asked, (std::vector<std::string>{"host:111/1", "host:222/1"}));
    const auto taken = restarted.claim(10);  // same clock: no lease expired
    ASSERT_EQ(taken.requests.size(), 2u);
    EXPECT_EQ(taken.requests[0].id, a);
    EXPECT_EQ(taken.requests[1].id, b);
    EXPECT_EQ(taken.requests[0].attempts, 2);  // the killed run's attempt counts
    EXPECT_EQ(testing::query_text(
                  path(), "SELECT claimed_by FROM requests WHERE id = " + std::to_string(c)),
              "host:222/1");
}

TEST(LocalHolderGone, JudgesOnlyThisHostsProcesses) {
    const auto alive = [](long pid) { return pid == 222; };
    EXPECT_TRUE(holder_gone_on("wms-1", "wms-1:111/1", alive));
    EXPECT_TRUE(holder_gone_on("wms-1", "wms-1:111/reprocess", alive));
    EXPECT_FALSE(holder_gone_on("wms-1", "wms-1:222/1", alive));
    EXPECT_FALSE(holder_gone_on("wms-1", "wms-2:111/1", alive)) << "another host";
    EXPECT_FALSE(holder_gone_on("wms-1", "wms-10:111/1", alive));
    EXPECT_FALSE(holder_gone_on("wms", "wms-1:111/1", alive));
    for (const auto* odd : {"wms-1", "wms-1:", "wms-1:111", "wms-1:/1", "wms-1:x/1", "wms-1:-5/1",
                            "wms-1:11x/1", "test/1", ""})
        EXPECT_FALSE(holder_gone_on("wms-1", odd, alive)) << odd;
    // This very process: an earlier run that had the same pid (a container's pid 1).
    EXPECT_TRUE(holder_gone_on("wms-1", "wms-1:" + std::to_string(::getpid()) + "/1",
                               [](long) { return true; }));
}

TEST(LocalHolderGone, AsksTheSystem) {
    const auto host = local_instance_id().substr(0, local_instance_id().rfind(':'));
    EXPECT_FALSE(local_holder_gone(host + ":" + std::to_string(::getppid()) + "/1"));
    EXPECT_TRUE(local_holder_gone(local_instance_id() + "/1"));
    // pid_max itself is never handed out.
    std::ifstream pid_max_file("/proc/sys/kernel/pid_max");
    long pid_max = 0;
    ASSERT_TRUE(pid_max_file >> pid_max);
    EXPECT_TRUE(local_holder_gone(host + ":" + std::to_string(pid_max) + "/1"));
}

TEST_F(RequestProcessorTest, AFailingRequestBacksOffThenDiesWithoutBlockingTheOthers) {
    std::int64_t poison = 0;
    auto o = options();
    o.max_attempts = 3;
    o.retry_base = std::chrono::milliseconds(1500);  // 2 s, 3 s (rounded up to seconds)
    o.test_hooks.before_apply = [&](std::int64_t id) {
        if (id == poison) throw std::runtime_error("corrupt line data");
    };
    RequestProcessor p(o, "test/1");
    const auto before = queue.add(message(1, {line("A", 1, 1)}));
    poison = queue.add(message(2, {line("B", 1, 1)}));
    const auto after = queue.add(message(3, {line("C", 1, 1)}));

    const auto start = clock.unix_now();
    auto outcomes = run(p);
    ASSERT_EQ(outcomes.size(), 3u);
    EXPECT_EQ(outcomes[0].state, "done");
    EXPECT_EQ(outcomes[1].state, "failed");
    EXPECT_EQ(outcomes[1].error, "corrupt line data");
    EXPECT_EQ(outcomes[2].state, "done");
    EXPECT_EQ(state_of(path(), before), "done");
    EXPECT_EQ(state_of(path(), after), "done");
    const auto where = " FROM requests WHERE id = " + std::to_string(poison);
    EXPECT_EQ(query_int(path(), "SELECT next_attempt_at" + where), start + 2);
    EXPECT_EQ(testing::query_text(path(), "SELECT last_error" + where), "corrupt line data");
    EXPECT_EQ(query_int(path(), "SELECT claimed_by IS NULL" + where), 1);
    // Its savepoint was rolled back: no report, no stock for B.
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM import_reports WHERE request_id = " +
                                    std::to_string(poison)),
              0);
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM stock_levels WHERE sku = 'B'"), 0);

    clock.advance(std::chrono::seconds(1));
    EXPECT_TRUE(p.claim(10).requests.empty());  // not due yet
    EXPECT_EQ(p.next_scheduled_event(),
              std::chrono::system_clock::time_point{std::chrono::seconds{start + 2}});
    clock.advance(std::chrono::seconds(1));
    outcomes = run(p);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].state, "failed");
    EXPECT_EQ(query_int(path(), "SELECT attempts" + where), 2);
    EXPECT_EQ(query_int(path(), "SELECT next_attempt_at" + where), start + 2 + 3);

    clock.advance(std::chrono::seconds(3));
    outcomes = run(p);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].state, "dead");
    EXPECT_EQ(state_of(path(), poison), "dead");
    clock.advance(std::chrono::hours(1));
    EXPECT_TRUE(p.claim(10).requests.empty());  // dead is final
}

TEST_F(RequestProcessorTest, ALeaseThatKeepsExpiringEndsDead) {
    auto o = options();
    o.max_attempts = 2;
    RequestProcessor p(o, "test/1");
    const auto id = queue.add(message(1, {line("A", 1, 1)}));
    for (int attempt = 1; attempt <= 2; ++attempt) {
        ASSERT_EQ(p.claim(10).requests.size(), 1u);  // and the worker "dies" holding it
        clock.advance(o.lease);
    }
    const auto batch = p.claim(10);
    EXPECT_TRUE(batch.requests.empty());
    ASSERT_EQ(batch.given_up.size(), 1u);
    EXPECT_EQ(state_of(path(), id), "dead");
}

TEST_F(RequestProcessorTest, ReprocessOfADoneRequestYieldsDuplicatesAndChangesNothing) {
    RequestProcessor p(options(), "test/1");
    const auto id = queue.add(message(1, {line("A", 5, 10), line("B", 6, 3)}));
    const auto first = run(p);
    ASSERT_EQ(first[0].successes, 2);

    const auto result = reprocess_request(options(), id);
    EXPECT_EQ(result.request_id, id);
    EXPECT_EQ(result.state, "done");
    EXPECT_NE(result.report_id, first[0].report_id);
    const auto r = report(result.report_id);
    EXPECT_EQ(r.summary.duplicates, 2);
    EXPECT_EQ(r.summary.successes, 0);
    for (const auto& l : r.lines) EXPECT_EQ(l.result, "Duplicate");
    EXPECT_EQ(stock("A").qty, 5);
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM import_lines WHERE result = 'Success'"), 2);
}

TEST_F(RequestProcessorTest, ReprocessOfADeadRequestAppliesIt) {
    bool broken = true;
    auto o = options();
    o.max_attempts = 1;
    o.test_hooks.before_apply = [&](std::int64_t) {
        if (broken) throw std::runtime_error("target unavailable");
    };
    RequestProcessor p(o, "test/1");
    const auto id = queue.add(message(1, {line("A", 5, 10)}));
    EXPECT_EQ(run(p)[0].state, "dead");

    broken = false;
    const auto result = reprocess_request(o, id);
    EXPECT_EQ(result.state, "done");
    EXPECT_GT(result.report_id, 0);
    EXPECT_EQ(report(result.report_id).summary.successes, 1);
    EXPECT_EQ(stock("A").qty, 5);
    EXPECT_EQ(query_int(path(), "SELECT attempts FROM requests WHERE id = " + std::to_string(id)),
              1);  // a reprocess of a dead request starts counting again
}

TEST_F(RequestProcessorTest, ReprocessRefusesMissingAndLiveClaimedRequests) {
    RequestProcessor p(options(), "other/1");
    const auto id = queue.add(message(1, {line("A", 5, 10)}));
    try {
        reprocess_request(options(), id + 100);
        FAIL() << "reprocessed a missing request";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string{e.what()}, "request " + std::to_string(id + 100) + " does not exist");
    }
    ASSERT_EQ(p.claim(10).requests.size(), 1u);
    try {
        reprocess_request(options(), id);
        FAIL() << "reprocessed a request under a live lease";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string{e.what()}.find("is being processed by other/1 until "),
                  std::string::npos)
            << e.what();
    }
    clock.advance(std::chrono::seconds(30));  // expired: now the reprocess may take it
    EXPECT_EQ(reprocess_request(options(), id).state, "done");
}

TEST_F(RequestProcessorTest, ReprocessOfAMissingDatabaseNamesIt) {
    auto o = options();
    o.database = dir.file("missing.db");
    try {
        reprocess_request(o, 1);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string{e.what()}.find(o.database.string()), std::string::npos);
    }
    EXPECT_FALSE(std::filesystem::exists(o.database));
}

}  // namespace
}  // namespace ofbridge::worker
