// The admin's read models over what the worker wrote (imports::ImportReader,
// inventory::StockReader, orders::ShipmentReader) and the queue's depth (queue::RequestReader),
// and catalog::import_products, the catalog loader behind reject_unknown_skus.
#include <gtest/gtest.h>

#include "ofbridge/catalog/product_import.h"
#include "ofbridge/imports/import_reader.h"
#include "ofbridge/inventory/stock_reader.h"
#include "ofbridge/orders/shipment_reader.h"
#include "ofbridge/queue/request_reader.h"
#include "ofbridge/worker/request_processor.h"
#include "worker_fixtures.h"

namespace ofbridge::worker {
namespace {

using testing::line;
using testing::message;
using testing::TempDir;

TEST(ReadModels, AMissingDatabaseIsNamedAndNotCreated) {
    TempDir dir;
    const auto path = dir.file("absent.db");
    const auto expect_named = [&](auto open) {
        try {
            open();
            FAIL();
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string{e.what()}.find(path.string()), std::string::npos) << e.what();
        }
        EXPECT_FALSE(std::filesystem::exists(path));
    };
    expect_named([&] { imports::ImportReader reader(path); });
    expect_named([&] { inventory::StockReader reader(path); });
    expect_named([&] { orders::ShipmentReader reader(path); });
}

class ReadModelsTest : public ::testing::Test {
protected:
    void SetUp() override {
        catalog::import_products(path(), {{"A", "Disk"}, {"B", "Cable"}});
        auto o = testing::options_for(path(), nullptr);
        o.inventory.reject_unknown_skus = true;
        RequestProcessor p(o, "test/1");
        queue.add(message(1, {line("A", 5, 10), line("B", 2, 4, "north")}));  // 2 successes
        queue.add(message(2, {line("A", 3, 8)}));                             // superseded
        queue.add(message(3, {line("Z", 1, 1), line("A", 6, 11)}));           // failure+success
        p.apply(p.claim(10).requests);
    }
    std::filesystem::path path() const { return dir.file("broker.db"); }

    TempDir dir;
    testing::Queue queue{path()};
};

TEST_F(ReadModelsTest, ListsReportsNewestFirstWithFilters) {
    imports::ImportReader reader(path());
    auto all = reader.list_imports({});
    ASSERT_EQ(all.size(), 3u);
    EXPECT_GT(all[0].id, all[1].id);
    EXPECT_EQ(all[0].message_key, "3");
    EXPECT_EQ(all[0].successes, 1);
    EXPECT_EQ(all[0].failures, 1);
    EXPECT_FALSE(all[0].created_at.empty());

    imports::ImportFilter failures;
    failures.result = "Failure";
    auto failed = reader.list_imports(failures);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].message_key, "3");

    imports::ImportFilter superseded;
    superseded.result = "Superseded";
    superseded.entity = "inventory";
    ASSERT_EQ(reader.list_imports(superseded).size(), 1u);

    imports::ImportFilter shipments;
    shipments.entity = "shipment";
    EXPECT_TRUE(reader.list_imports(shipments).empty());

    imports::ImportFilter limited;
    limited.limit = 2;
    EXPECT_EQ(reader.list_imports(limited).size(), 2u);

    imports::ImportFilter bogus;
    bogus.result = "Maybe";
    EXPECT_THROW(reader.list_imports(bogus), std::invalid_argument);
}

TEST_F(ReadModelsTest, GetsOneReportWithItsLines) {
    imports::ImportReader reader(path());
    const auto newest = reader.list_imports({}).front();
    const auto report = reader.get_import(newest.id);
    ASSERT_TRUE(report);
    ASSERT_EQ(report->lines.size(), 2u);
    EXPECT_EQ(report->lines[0].result, "Failure");
    EXPECT_EQ(report->lines[0].message, "Unknown SKU 'Z'.");
    EXPECT_EQ(report->lines[1].result, "Success");
    EXPECT_EQ(report->lines[1].final_qty, 6);
    EXPECT_FALSE(reader.get_import(newest.id + 100).has_value());
}

TEST_F(ReadModelsTest, ReadsStockBySkuAndSource) {
    inventory::StockReader reader(path());
    const auto a = reader.stock("A", std::nullopt);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].qty, 6);
    EXPECT_EQ(a[0].last_seq, 11);
    EXPECT_TRUE(a[0].is_in_stock);
    EXPECT_EQ(reader.stock("B", std::string{"north"}).size(), 1u);
    EXPECT_TRUE(reader.stock("B", std::string{"default"}).empty());
    const auto list = reader.stock_list(0);
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].sku, "A");
    EXPECT_EQ(reader.stock_list(1).size(), 1u);
}

TEST_F(ReadModelsTest, CountsTheQueueByStateAndAgesTheOldestPending) {
    queue::RequestReader reader(path());
    auto stats = reader.queue_stats();
    EXPECT_EQ(stats.pending, 0);
    EXPECT_FALSE(stats.oldest_pending_age_seconds.has_value());

    queue.add(message(4, {line("A", 1, 20)}));
    queue.add(message(5, {line("A", 1, 21)}));
    testing::exec(path(), "UPDATE requests SET state = 'dead' WHERE id = 1");
    stats = reader.queue_stats();
    EXPECT_EQ(stats.pending, 2);
    EXPECT_EQ(stats.processing, 0);
    EXPECT_EQ(stats.failed, 0);
    EXPECT_EQ(stats.dead, 1);
    ASSERT_TRUE(stats.oldest_pending_age_seconds.has_value());
    EXPECT_GE(*stats.oldest_pending_age_seconds, 0.0);
    EXPECT_LT(*stats.oldest_pending_age_seconds, 60.0);
}

TEST_F(ReadModelsTest, ImportProductsUpdatesExistingProducts) {
    catalog::import_products(path(), {{"A", "Disk 2TB"}, {"D", "New"}});
    EXPECT_EQ(testing::query_text(path(), "SELECT name FROM products WHERE sku = 'A'"), "Disk 2TB");
    EXPECT_EQ(testing::query_int(path(), "SELECT count(*) FROM products"), 3);
    EXPECT_THROW(catalog::import_products(path(), {{"", "nameless"}}), std::runtime_error);
    EXPECT_EQ(testing::query_int(path(), "SELECT count(*) FROM products"), 3);  // one transaction
}

// Import lines keep only what is theirs: a message that is the standard text of its result is
// stored as '' and read back in full, in a report and in a SKU's stock history alike.
TEST_F(ReadModelsTest, StandardLineMessagesAreStoredEmptyAndReadInFull) {
    const auto stored_empty = [&](const std::string& result) {
        return testing::query_int(path(), "SELECT count(*) FROM import_lines WHERE result = '" +
                                              result + "' AND message = ''");
    };
    EXPECT_EQ(stored_empty("Success"), 3);
    EXPECT_EQ(stored_empty("Superseded"), 0);  // names the mark, which the line does not keep
    EXPECT_EQ(stored_empty("Failure"), 0);

    imports::ImportReader reader(path());
    const auto reports = reader.list_imports({});
    const auto oldest = reader.get_import(reports.back().id);
    ASSERT_TRUE(oldest);
    ASSERT_EQ(oldest->lines.size(), 2u);
    EXPECT_EQ(oldest->lines[0].message, "Product quantity updated to 5.");
    EXPECT_EQ(oldest->lines[1].message, "Product quantity updated to 2.");
    const auto superseded = reader.get_import(reports[1].id);
    ASSERT_TRUE(superseded);
    EXPECT_EQ(
        superseded->lines[0].message,
        "Product quantity update to 3 discarded as already superseded by inventory record 10");

    const auto history = reader.stock_history("A", "default", 0, 10);
    ASSERT_EQ(history.size(), 3u);
    EXPECT_EQ(history[0].line.message, "Product quantity updated to 6.");
    EXPECT_EQ(history[2].line.message, "Product quantity updated to 5.");
}

// A key with a mark and no local stock (qty NULL: a target that keeps none) is no stock level.
TEST_F(ReadModelsTest, AMarkWithoutLocalStockIsNotAStockLevel) {
    {
        storage::sqlite::Database db(path(), SQLITE_OPEN_READWRITE);
        db.exec(
            "INSERT INTO stock_marks (sku, source, high_water_seq, updated_at)"
            " VALUES ('M', 'default', 9, 'x')");
    }
    inventory::StockReader reader(path());
    EXPECT_TRUE(reader.stock("M", std::nullopt).empty());
    EXPECT_EQ(reader.stock_list(0).size(), 2u);
}

}  // namespace
}  // namespace ofbridge::worker
