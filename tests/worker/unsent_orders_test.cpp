// The unsent-orders stock adjustment (DESIGN §3.2) through the worker, with orders inserted by
// SQL: which orders count (after lastOrderExported, not exported, status listed, within the
// cutoff, no parent double counting), the import line's arithmetic, and the time normaliser.
#include "ofbridge/worker/unsent_orders.h"

#include <gtest/gtest.h>

#include "ofbridge/imports/import_reader.h"
#include "ofbridge/orders/unsent_orders.h"
#include "ofbridge/worker/request_processor.h"
#include "worker_fixtures.h"

namespace ofbridge::worker {
namespace {

using orders::normalise_order_time;
using testing::insert_order;
using testing::line;
using testing::message;
using testing::TempDir;
using testing::TestClock;  // now = 2027-01-15 08:00:00 UTC

class UnsentOrdersTest : public ::testing::Test {
protected:
    std::filesystem::path path() const { return dir.file("broker.db"); }
    WorkerOptions options() const {
        auto o = testing::options_for(path(), &clock);
        o.inventory.unsent_order_units =
            unsent_orders_adjustment(std::chrono::days{30}, {"pending", "processing"});
        return o;
    }

    // Applies one stock line for `sku` and returns its import line.
    imports::ImportLine stock(const std::string& sku, std::int64_t qty,
                              std::string last_order_exported) {
        RequestProcessor p(options(), "test/1");
        auto l = line(sku, qty, ++seq);
        l.last_order_exported = std::move(last_order_exported);
        queue.add(message(seq, {l}));
        const auto outcomes = p.apply(p.claim(10).requests);
        imports::ImportReader reader(path());
        return reader.get_import(outcomes.at(0).report_id)->lines.at(0);
    }

    // Applies one message of `lines` and returns its import lines.
    std::vector<imports::ImportLine> apply(const WorkerOptions& o,
                                           std::vector<domain::InventoryLine> lines) {
        RequestProcessor p(o, "test/1");
        queue.add(message(++seq, std::move(lines)));
        const auto outcomes = p.apply(p.claim(10).requests);
        imports::ImportReader reader(path());
        return reader.get_import(outcomes.at(0).report_id)->lines;
    }

    TempDir dir;
    TestClock clock;
    testing::Queue queue{path()};
    std::int64_t seq = 0;
};

TEST_F(UnsentOrdersTest, OrdersPlacedAfterLastOrderExportedAreSubtracted) {
    // Two unexported orders after lastOrderExported, one before it.
    insert_order(path(), {"1", "2027-01-13 10:00:00"}, {{1, "A", 3}, {2, "B", 5}});
    insert_order(path(), {"2", "2027-01-14 09:00:00", "pending", "queued"},
                 {{1, "A", 4, 1, 1}});  // 2 still open
    insert_order(path(), {"3", "2027-01-11 23:59:59"}, {{1, "A", 7}});
    const auto l = stock("A", 10, "2027-01-12T00:00:00Z");
    EXPECT_EQ(l.result, "Success");
    EXPECT_EQ(l.units_received, 10);
    EXPECT_EQ(l.unsent_orders_adjustment, 5);
    EXPECT_EQ(l.final_qty, 5);
    EXPECT_EQ(l.message, "Product quantity updated to 5.");
}

TEST_F(UnsentOrdersTest, ExportedCancelledUnlistedStatusesAndOldOrdersDoNotCount) {
    insert_order(path(), {"1", "2027-01-13 10:00:00", "processing", "exported"}, {{1, "A", 1}});
    insert_order(path(), {"2", "2027-01-13 10:00:00", "processing", "cancelled"}, {{1, "A", 1}});
    insert_order(path(), {"3", "2027-01-13 10:00:00", "complete"}, {{1, "A", 1}});
    insert_order(path(), {"4", "2026-12-16 07:59:59"}, {{1, "A", 1}});  // 30 days + 1 s ago
    insert_order(path(), {"5", "2026-12-16 08:00:00"},
                 {{1, "A", 2}});  // exactly 30 days ago: counts
    insert_order(path(), {"6", "2027-01-14 00:00:00", "pending", "failed"},
                 {{1, "A", 4, 4}});  // shipped
    const auto l = stock("A", 10, "");
    EXPECT_EQ(l.unsent_orders_adjustment, 2);
    EXPECT_EQ(l.final_qty, 8);
}

TEST_F(UnsentOrdersTest, ConfigurableAndBundleParentsAreNotCountedTwice) {
    insert_order(path(), {"1", "2027-01-13 10:00:00"},
                 {{1, "A", 2, 0, 0, std::nullopt, "configurable"},
                  {2, "A", 2, 0, 0, 1},
                  {3, "KIT", 1, 0, 0, std::nullopt, "bundle"},
                  {4, "A", 3, 0, 0, 3}});
    EXPECT_EQ(stock("A", 10, "").unsent_orders_adjustment, 5);
}

TEST_F(UnsentOrdersTest, NeverNegativeAndClampedToZero) {
    insert_order(path(), {"1", "2027-01-13 10:00:00"}, {{1, "A", 12}});
    const auto l = stock("A", 10, "2027-01-01 00:00:00");
    EXPECT_EQ(l.unsent_orders_adjustment, 12);
    EXPECT_EQ(l.final_qty, 0);
}

TEST_F(UnsentOrdersTest, AnOffsetIsAppliedBeforeComparing) {
    insert_order(path(), {"1", "2027-01-13 10:00:00"}, {{1, "A", 1}});
    // 11:30+02:00 is 09:30 UTC: the order (10:00 UTC) came after it.
    EXPECT_EQ(stock("A", 10, "2027-01-13T11:30:00+02:00").unsent_orders_adjustment, 1);
    // 10:30:00.250Z is after the order.
    EXPECT_EQ(stock("A", 10, "2027-01-13T10:30:00.250Z").unsent_orders_adjustment, 0);
}

// Orders name no source: a SKU's unsent units are subtracted once per message, on the configured
// source's line only, however many sources the message updates.
TEST_F(UnsentOrdersTest, TwoSourcesOfOneSkuSubtractOnceOnTheConfiguredSource) {
    insert_order(path(), {"1", "2027-01-13 10:00:00"}, {{1, "A", 3}});
    const auto lines = apply(options(), {line("A", 10, 1, "default"), line("A", 20, 1, "wh-2")});
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].source, "default");
    EXPECT_EQ(lines[0].unsent_orders_adjustment, 3);
    EXPECT_EQ(lines[0].final_qty, 7);
    EXPECT_EQ(lines[1].source, "wh-2");
    EXPECT_EQ(lines[1].unsent_orders_adjustment, 0);
    EXPECT_EQ(lines[1].final_qty, 20);
}

TEST_F(UnsentOrdersTest, TheAdjustedSourceIsConfigurable) {
    insert_order(path(), {"1", "2027-01-13 10:00:00"}, {{1, "A", 3}});
    auto o = options();
    o.inventory.unsent_orders_source = "wh-2";
    const auto lines = apply(o, {line("A", 10, 1, "default"), line("A", 20, 1, "wh-2")});
    EXPECT_EQ(lines.at(0).unsent_orders_adjustment, 0);
    EXPECT_EQ(lines.at(0).final_qty, 10);
    EXPECT_EQ(lines.at(1).unsent_orders_adjustment, 3);
    EXPECT_EQ(lines.at(1).final_qty, 17);
}

TEST_F(UnsentOrdersTest, AMessageWithoutTheConfiguredSourceSubtractsNothing) {
    insert_order(path(), {"1", "2027-01-13 10:00:00"}, {{1, "A", 3}});
    const auto lines = apply(options(), {line("A", 20, 1, "wh-2"), line("A", 5, 1, "wh-3")});
    for (const auto& l : lines) {
        EXPECT_EQ(l.result, "Success");
        EXPECT_EQ(l.unsent_orders_adjustment, 0) << l.source;
        EXPECT_EQ(l.final_qty, l.units_received) << l.source;
    }
}

// Magento's zero date and other text that is not a date-time fall back to the window of a line
// without lastOrderExported (the cutoff), and the import line says so.
TEST_F(UnsentOrdersTest, AnUnparsableLastOrderExportedFallsBackToTheCutoffAndSaysSo) {
    insert_order(path(), {"1", "2027-01-13 10:00:00"}, {{1, "A", 3}});
    insert_order(path(), {"2", "2026-12-20 10:00:00"}, {{1, "A", 4}});
    insert_order(path(), {"3", "2026-11-20 10:00:00"}, {{1, "A", 100}});  // beyond the cutoff
    const auto parsed = stock("A", 10, "2027-01-01 00:00:00");
    EXPECT_EQ(parsed.unsent_orders_adjustment, 3);
    EXPECT_EQ(parsed.message, "Product quantity updated to 7.");
    for (const char* text : {"0000-00-00 00:00:00", "yesterday"}) {
        const auto l = stock("A", 10, text);
        EXPECT_EQ(l.result, "Success");
        EXPECT_EQ(l.unsent_orders_adjustment, 7) << text;
        EXPECT_EQ(l.message, "Product quantity updated to 3. lastOrderExported '" +
                                 std::string(text) +
                                 "' is not a date-time: unsent orders were counted over the whole"
                                 " unsent_order_cutoff_days window.");
    }
}

TEST(NormaliseOrderTime, AcceptedShapes) {
    EXPECT_EQ(normalise_order_time("2026-11-20T10:00:00"), "2026-11-20 10:00:00");
    EXPECT_EQ(normalise_order_time("2026-11-20 10:00:00"), "2026-11-20 10:00:00");
    EXPECT_EQ(normalise_order_time("2026-11-20T10:00:00Z"), "2026-11-20 10:00:00");
    EXPECT_EQ(normalise_order_time("2026-11-20T10:00:00.123456Z"), "2026-11-20 10:00:00");
    EXPECT_EQ(normalise_order_time("2026-11-20T10:00:00+01:00"), "2026-11-20 09:00:00");
    EXPECT_EQ(normalise_order_time("2026-11-20T01:00:00+0230"), "2026-11-19 22:30:00");
    EXPECT_EQ(normalise_order_time("2026-12-31T23:30:00-01:00"), "2027-01-01 00:30:00");
    EXPECT_EQ(normalise_order_time("2026-11-20"), "2026-11-20 00:00:00");
}

TEST(NormaliseOrderTime, RefusedShapes) {
    for (const auto* text : {"", "yesterday", "2026-11-20T10:00", "2026-13-01T00:00:00",
                             "2026-02-30 00:00:00", "2026-11-20T25:00:00", "2026-11-20T10:00:00.",
                             "2026-11-20T10:00:00+1", "2026-11-20T10:00:00 junk"})
        EXPECT_FALSE(normalise_order_time(text).has_value()) << text;
}

}  // namespace
}  // namespace ofbridge::worker
