// RequestReader: reads back exactly what the store committed, never creates a database, and
// works while the writer is busy.
#include "ofbridge/queue/request_reader.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <thread>

#include "ofbridge/queue/request_store.h"
#include "ofbridge/storage/sqlite/database.h"
#include "store_fixtures.h"
#include "temp_dir.h"

namespace ofbridge::queue {
namespace {

namespace sqlite = storage::sqlite;
using storage::testing::TempDir;
using testing::enqueue_and_wait;
using testing::inventory;
using testing::request;
using testing::shipment;

std::int64_t stored_id(const StoreResult<EnqueueResult>& r) {
    return std::get<EnqueueResult>(r).request_id;
}

std::string field(const RequestDetail& d, const std::string& name) {
    for (const auto& [k, v] : d.fields)
        if (k == name) return v;
    return "<missing " + name + ">";
}

class RequestReaderTest : public ::testing::Test {
protected:
    TempDir dir;
    std::filesystem::path path = dir.file("requests.db");
    testing::TestStore store{storage::WriterOptions{path}};
};

TEST_F(RequestReaderTest, InventoryRequestWithEveryLine) {
    // The lines are expanded from the stored body, as the worker expands them.
    auto rendered = testing::inventory_body(inventory(4, 3), "***");
    const auto body = rendered.body;
    auto r = request(inventory(4, 3), body);
    r.wire = rendered.wire;
    const auto id = stored_id(enqueue_and_wait(store, std::move(r)));
    RequestReader reader(path);
    const auto d = reader.get(id);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->summary.id, id);
    EXPECT_EQ(d->summary.entity, "inventory");
    EXPECT_EQ(d->summary.store_code, "default");
    EXPECT_EQ(d->summary.wire, "m2_json");
    EXPECT_EQ(d->summary.message_key, "4");
    EXPECT_EQ(d->summary.state, "pending");
    EXPECT_EQ(d->summary.line_count, 3);
    EXPECT_EQ(d->summary.deliveries, 1);
    EXPECT_EQ(d->summary.attempts, 0);
    EXPECT_EQ(d->summary.received_at.size(), 24u);
    EXPECT_EQ(d->summary.received_at.back(), 'Z');
    EXPECT_EQ(d->last_delivered_at, d->summary.received_at);
    EXPECT_EQ(d->reply, "Success - Message 4 Received");
    EXPECT_EQ(d->remote_address, "127.0.0.1");
    EXPECT_EQ(d->raw_body, body);
    ASSERT_EQ(d->lines.size(), 3u);
    const auto expected = inventory(4, 3);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(d->lines[i].line_no, static_cast<std::int64_t>(i + 1));
        EXPECT_EQ(d->lines[i].sku, expected.lines[i].sku);
        EXPECT_EQ(d->lines[i].source, expected.lines[i].source);
        EXPECT_EQ(d->lines[i].qty, expected.lines[i].qty);
        EXPECT_EQ(d->lines[i].seq, expected.lines[i].seq);
        EXPECT_EQ(d->lines[i].last_order_exported, expected.lines[i].last_order_exported);
    }
    EXPECT_TRUE(d->fields.empty());
    EXPECT_TRUE(d->tracking_numbers.empty());
    EXPECT_EQ(d->last_error, "");
    EXPECT_EQ(d->applied_lines, 0);
}

// A big request whose sliced apply was cut short by a failed slice: its error and how far the
// run got, which the retry resumes from.
TEST_F(RequestReaderTest, AFailedSlicedApplyShowsItsErrorAndProgress) {
    const auto id = stored_id(enqueue_and_wait(store, request(inventory(5, 3))));
    {
        sqlite::Database db(path, SQLITE_OPEN_READWRITE);
        db.exec(
            "UPDATE requests SET state = 'failed', last_error = 'disk I/O error',"
            " applied_lines = 2 WHERE id = " +
            std::to_string(id));
    }
    const auto d = RequestReader(path).get(id);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->summary.state, "failed");
    EXPECT_EQ(d->last_error, "disk I/O error");
    EXPECT_EQ(d->applied_lines, 2);
}

// Log retention removes a done request's raw body: its lines then come from its newest import
// report, and lines_from says so.
TEST_F(RequestReaderTest, APrunedBodyShowsTheLinesOfTheNewestImportReport) {
    const auto id = stored_id(enqueue_and_wait(store, request(inventory(4, 2))));
    store.close();
    {
        sqlite::Database db(path, SQLITE_OPEN_READWRITE);
        const auto req = std::to_string(id);
        db.exec("UPDATE requests SET state = 'done' WHERE id = " + req);
        db.exec("DELETE FROM request_bodies WHERE request_id = " + req);
        for (int report = 1; report <= 2; ++report) {
            db.exec("INSERT INTO import_reports (request_id, entity, created_at) VALUES (" + req +
                    ", 'inventory', '2027-01-15T00:00:00.000Z')");
            const auto rid = std::to_string(db.last_insert_rowid());
            db.exec(
                "INSERT INTO import_lines (report_id, line_no, sequence_id, reference, source,"
                " result, message, units_received) VALUES (" +
                rid +
                ", 1, 1000, 'sku-0',"
                " 'default', 'Success', '', 10), (" +
                rid +
                ", 2, NULL, 'sku-1',"
                " 'warehouse-1', 'Failure', 'refused " +
                std::to_string(report) + "', NULL)");
        }
    }
    const auto d = RequestReader(path).get(id);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->raw_body, "");
    ASSERT_EQ(d->lines.size(), 2u);
    EXPECT_EQ(d->lines[0].sku, "sku-0");
    EXPECT_EQ(d->lines[0].qty, 10);
    EXPECT_EQ(d->lines[0].seq, 1000);
    EXPECT_EQ(d->lines[1].source, "warehouse-1");
    EXPECT_EQ(d->lines[1].qty, 0);
    EXPECT_EQ(d->lines[1].seq, std::nullopt);
    EXPECT_NE(d->lines_from.find("removed by log retention"), std::string::npos) << d->lines_from;
    EXPECT_NE(d->lines_from.find("import report 2"), std::string::npos) << d->lines_from;
}

// A request stored before receipt stopped writing a row per line, body and report both gone:
// those rows are still shown.
TEST_F(RequestReaderTest, APrunedBodyWithoutAReportShowsLegacyLineRows) {
    const auto id = stored_id(enqueue_and_wait(store, request(inventory(4, 1))));
    store.close();
    {
        sqlite::Database db(path, SQLITE_OPEN_READWRITE);
        const auto req = std::to_string(id);
        db.exec("DELETE FROM request_bodies WHERE request_id = " + req);
        db.exec(
            "INSERT INTO inventory_lines (request_id, line_no, sku, source, qty, seq,"
            " last_order_exported) VALUES (" +
            req + ", 1, 'OLD', 'default', 3, 7, 'x')");
    }
    const auto d = RequestReader(path).get(id);
    ASSERT_TRUE(d);
    ASSERT_EQ(d->lines.size(), 1u);
    EXPECT_EQ(d->lines[0].sku, "OLD");
    EXPECT_EQ(d->lines[0].seq, 7);
    EXPECT_EQ(d->lines[0].last_order_exported, "x");
    EXPECT_NE(d->lines_from.find("rows stored at receipt"), std::string::npos) << d->lines_from;
}

TEST_F(RequestReaderTest, ShipmentWithHeaderItemsAndTracks) {
    const auto id = stored_id(enqueue_and_wait(store, request(shipment(12))));
    RequestReader reader(path);
    const auto d = reader.get(id);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->summary.entity, "shipment");
    EXPECT_EQ(d->summary.line_count, 2);
    EXPECT_EQ(d->reply, "Success - Message 12 Received");
    EXPECT_EQ(field(*d, "order_increment_id"), "100000042");
    EXPECT_EQ(field(*d, "comment"), "Left with neighbour");
    EXPECT_EQ(field(*d, "email"), "true");
    EXPECT_EQ(field(*d, "include_comment"), "false");
    EXPECT_EQ(field(*d, "courier_name"), "DPD");
    EXPECT_EQ(field(*d, "service_name"), "Next Day");
    EXPECT_EQ(field(*d, "date_shipped"), "2026-11-22");
    EXPECT_EQ(field(*d, "message_seq_id"), "12");
    ASSERT_EQ(d->lines.size(), 2u);
    EXPECT_EQ(d->lines[0].sku, "hdd000");
    EXPECT_EQ(d->lines[0].qty, 2);
    EXPECT_EQ(d->lines[0].source, "default");
    EXPECT_EQ(d->lines[1].sku, "ssd001");
    EXPECT_EQ(d->lines[1].source, "north");
    EXPECT_EQ(d->lines[1].seq, std::nullopt);
    EXPECT_EQ(d->tracking_numbers, (std::vector<std::string>{"TRACK-1", "TRACK-2"}));
}

TEST_F(RequestReaderTest, ShipmentWithoutMessageSeqId) {
    const auto id = stored_id(enqueue_and_wait(store, request(shipment(std::nullopt), "<s/>")));
    const auto d = RequestReader(path).get(id);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->summary.message_key, "");
    EXPECT_EQ(field(*d, "message_seq_id"), "");
    // Without a key, only the identical body is a re-delivery.
    EXPECT_TRUE(
        std::get<EnqueueResult>(enqueue_and_wait(store, request(shipment(std::nullopt), "<s/>")))
            .redelivery);
    EXPECT_FALSE(
        std::get<EnqueueResult>(enqueue_and_wait(store, request(shipment(std::nullopt), "<t/>")))
            .redelivery);
}

TEST_F(RequestReaderTest, ExportAck) {
    const auto id = stored_id(enqueue_and_wait(
        store, request(domain::ExportAck{domain::Entity::order_export, "100000042"})));
    const auto d = RequestReader(path).get(id);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->summary.entity, "order_export");
    EXPECT_EQ(d->summary.message_key, "100000042");
    EXPECT_EQ(field(*d, "entity"), "order_export");
    EXPECT_EQ(field(*d, "reference"), "100000042");
    EXPECT_TRUE(d->lines.empty());
}

TEST_F(RequestReaderTest, ListIsNewestFirstWithFiltersAndLimit) {
    for (int i = 1; i <= 5; ++i) enqueue_and_wait(store, request(inventory(i, 1)));
    enqueue_and_wait(store, request(shipment(6)));
    RequestReader reader(path);

    auto all = reader.list({});
    ASSERT_EQ(all.size(), 6u);
    for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i - 1].id, all[i].id);
    EXPECT_EQ(all.front().entity, "shipment");

    auto inv = reader.list({.entity = "inventory", .state = std::nullopt, .limit = 2});
    ASSERT_EQ(inv.size(), 2u);
    EXPECT_EQ(inv[0].message_key, "5");
    EXPECT_EQ(inv[1].message_key, "4");

    EXPECT_EQ(reader.list({.entity = std::nullopt, .state = "pending", .limit = 0}).size(), 6u);
    EXPECT_EQ(reader.list({.entity = "shipment", .state = "pending", .limit = 10}).size(), 1u);
    EXPECT_TRUE(reader.list({.entity = std::nullopt, .state = "done", .limit = 10}).empty());
    EXPECT_FALSE(reader.get(9999));
}

TEST_F(RequestReaderTest, WorksWhileTheWriterWrites) {
    std::atomic<bool> stop{false};
    std::atomic<int> acked{0};
    std::thread producer([&] {
        for (int i = 1; !stop; ++i) {
            if (std::holds_alternative<EnqueueResult>(
                    enqueue_and_wait(store, request(inventory(i, 20)))))
                ++acked;
        }
    });
    RequestReader reader(path);
    std::size_t previous = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (int round = 0; (round < 200 || acked < 50) && std::chrono::steady_clock::now() < deadline;
         ++round) {
        const auto rows = reader.list({.entity = std::nullopt, .state = std::nullopt, .limit = 0});
        EXPECT_GE(rows.size(), previous);
        previous = rows.size();
        if (!rows.empty()) {
            const auto d = reader.get(rows.front().id);
            ASSERT_TRUE(d);
            EXPECT_EQ(d->lines.size(), 20u);  // a snapshot never shows half a request
        }
    }
    stop = true;
    producer.join();
    EXPECT_GE(acked.load(), 50);
    EXPECT_EQ(reader.list({.entity = std::nullopt, .state = std::nullopt, .limit = 0}).size(),
              static_cast<std::size_t>(acked.load()));
}

TEST(RequestReader, MissingFileThrowsNamingThePathAndCreatesNothing) {
    TempDir dir;
    const auto missing = dir.file("nope.db");
    try {
        RequestReader reader(missing);
        FAIL() << "opened a missing database";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string{e.what()}.find(missing.string()), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST(RequestReader, NotAQueueDatabaseIsRefused) {
    TempDir dir;
    const auto other = dir.file("other.db");
    {
        sqlite::Database db(other, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        db.exec("CREATE TABLE x(y)");
    }
    EXPECT_THROW(RequestReader{other}, std::runtime_error);
}

}  // namespace
}  // namespace ofbridge::queue
