// The magento2 target's pure parts: OAuth 1.0a signing against RFC 5849's example (the base
// string) and a reference HMAC-SHA256 (Python's hmac over that base string), Magento's error
// bodies with their placeholders, Retry-After, the shipment marker match; and the outbox's
// coalescing and compare-and-set on a real SQLite file.
#include <gtest/gtest.h>

#include <chrono>

#include "ofbridge/magento/delivery.h"
#include "ofbridge/magento/oauth.h"
#include "ofbridge/magento/rest_client.h"
#include "ofbridge/outbox/outbox.h"
#include "ofbridge/outbox/outbox_reader.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "temp_dir.h"

namespace ofbridge::magento {
namespace {

// RFC 5849 §3.4.1.1's request, its form body moved into the query (the base string is the
// same), with oauth_version (which Magento's clients send) and HMAC-SHA256.
const OAuthCredentials rfc_credentials{"9djdj82h48djs9d2", "j49sk3j29djd", "kkk9d7dh3k39sjv7",
                                       "dh893hdasih9"};
const char* rfc_url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b&c2&a3=2+q";

TEST(OAuth, BaseStringFollowsRfc5849) {
    EXPECT_EQ(
        oauth_base_string("post", rfc_url, rfc_credentials, "HMAC-SHA256", "7d8f3e4a", "137131201"),
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%"
        "3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_"
        "nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%"
        "3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7%26oauth_version%3D1.0");
}

TEST(OAuth, Hmac256SignatureMatchesReference) {
    EXPECT_EQ(
        oauth_signature("POST", rfc_url, rfc_credentials, "HMAC-SHA256", "7d8f3e4a", "137131201"),
        "xie2kqHv7CoC3VI1g/IUClHXm4q+1H3XJZG1izUgBXs=");
    // Default ports and the case of scheme and host do not change the signature.
    EXPECT_EQ(oauth_signature("POST",
                              "HTTP://Example.com:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b&c2&"
                              "a3=2+q",
                              rfc_credentials, "HMAC-SHA256", "7d8f3e4a", "137131201"),
              "xie2kqHv7CoC3VI1g/IUClHXm4q+1H3XJZG1izUgBXs=");
    const auto header =
        oauth_authorization("POST", rfc_url, rfc_credentials, "7d8f3e4a", "137131201");
    EXPECT_EQ(header,
              "OAuth oauth_consumer_key=\"9djdj82h48djs9d2\", oauth_nonce=\"7d8f3e4a\", "
              "oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"137131201\", "
              "oauth_token=\"kkk9d7dh3k39sjv7\", oauth_version=\"1.0\", "
              "oauth_signature=\"xie2kqHv7CoC3VI1g%2FIUClHXm4q%2B1H3XJZG1izUgBXs%3D\"");
}

TEST(MagentoErrors, PlaceholdersAreFilled) {
    EXPECT_EQ(
        error_message(
            401,
            R"({"message":"The consumer isn't authorized to access %resources.","parameters":{"resources":"Magento_Sales::ship"}})"),
        "The consumer isn't authorized to access Magento_Sales::ship.");
    EXPECT_EQ(
        error_message(
            400,
            R"({"message":"Maximum items of type \"%type\" is %max","parameters":{"type":"\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface","max":20}})"),
        "Maximum items of type \"\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface\" "
        "is 20");
    EXPECT_EQ(
        error_message(
            400,
            R"({"message":"A shipment cannot be created when an order has a status of %1","parameters":["canceled"]})"),
        "A shipment cannot be created when an order has a status of canceled");
    EXPECT_EQ(error_message(400, R"({"message":"100% sure %2","parameters":["a"]})"),
              "100% sure %2");
    EXPECT_EQ(error_message(502, "<html>Bad gateway</html>"), "HTTP 502: <html>Bad gateway</html>");
}

TEST(MagentoErrors, RetryAfter) {
    const auto now = std::chrono::system_clock::from_time_t(784111777);  // 06 Nov 1994 08:49:37
    EXPECT_EQ(parse_retry_after("3", now), std::chrono::seconds{3});
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), std::chrono::seconds{10});
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), std::chrono::seconds{0});
    EXPECT_EQ(parse_retry_after("soon", now), std::nullopt);
}

TEST(MagentoShipments, MarkerIsAWholeToken) {
    EXPECT_TRUE(has_marker("Despatched\nofbridge:12", "ofbridge:12"));
    EXPECT_TRUE(has_marker("ofbridge:12 (WMS)", "ofbridge:12"));
    EXPECT_FALSE(has_marker("ofbridge:123", "ofbridge:12"));
    EXPECT_FALSE(has_marker("ofbridge:12/eu-1", "ofbridge:12"));
    EXPECT_TRUE(has_marker("ofbridge:12/eu-1", "ofbridge:12/eu-1"));
    StoreTarget store;
    store.source_map = {{"wh1", "eu-1"}};
    EXPECT_EQ(magento_source(store, "wh1"), "eu-1");
    EXPECT_EQ(magento_source(store, "default"), "default");
}

// Request 1's shipment of order 100 for store "s", holding back the stock of `skus`.
outbox::ShipmentIntent shipment_intent(std::vector<std::string> skus) {
    outbox::ShipmentIntent intent;
    intent.store_code = "s";
    intent.request_id = 1;
    intent.order_increment_id = "100";
    intent.order_entity_id = 7;
    intent.source = "default";
    intent.marker = "ofbridge:1";
    intent.body = "{}";
    intent.skus = std::move(skus);
    return intent;
}

class OutboxTest : public ::testing::Test {
protected:
    storage::testing::TempDir dir;
    storage::sqlite::Database db{
        storage::open_writable(dir.file("ofbridge.db"), 0, std::chrono::seconds(1))};
    void SetUp() override { storage::sqlite::migrate(db, storage::embedded_migrations()); }
    std::string state(std::int64_t id) {
        storage::sqlite::Statement s(db, "SELECT state FROM magento_outbox WHERE id = ?1");
        s.bind(1, id);
        return s.step() ? s.column_text(0) : "";
    }
};

TEST_F(OutboxTest, ReaderCountsWaitingAndFailedPerStoreWithoutReadingTheHistory) {
    outbox::OutboxRepository r(db);
    for (int i = 0; i < 5; ++i)
        r.stage_stock("eu", "A" + std::to_string(i), "default", 1, 1, "2026-01-01T00:00:00.000Z");
    r.stage_stock("us", "B", "default", 1, 1, "2026-01-01T00:00:00.000Z");
    const auto due = outbox::select_due_stock(db, "eu", "2026-01-01T00:00:01.000Z", 10);
    ASSERT_EQ(due.size(), 5u);
    EXPECT_TRUE(r.stock_delivered(due[0].id, 1, "2026-01-01T00:00:02.000Z"));
    EXPECT_TRUE(
        r.stock_refused(due[1].id, 1, "Could not save Source Item", "2026-01-01T00:00:02.000Z"));
    r.retry_later(due[2].id, "HTTP 503", "2026-01-01T00:00:09.000Z", "2026-01-01T00:00:02.000Z");
    const outbox::OutboxReader reader(dir.file("ofbridge.db"));
    const auto stores = reader.delivery_state();
    ASSERT_EQ(stores.size(), 2u);
    EXPECT_EQ(stores[0].store_code, "eu");
    EXPECT_EQ(stores[0].waiting, 3);
    EXPECT_EQ(stores[0].failed, 1);
    EXPECT_EQ(stores[0].max_attempts, 1);
    EXPECT_EQ(stores[0].oldest_due_at, "2026-01-01T00:00:00.000Z");
    EXPECT_EQ(stores[1].store_code, "us");
    EXPECT_EQ(stores[1].waiting, 1);
    EXPECT_EQ(stores[1].failed, 0);
    // Seeks only (the reader's statements): the delivered history, which only grows, is never
    // scanned.
    for (const char* sql :
         {"SELECT min(s) FROM (SELECT min(store_code) AS s FROM magento_stock WHERE store_code >"
          " 'eu' UNION ALL SELECT min(store_code) FROM magento_shipment_skus WHERE store_code >"
          " 'eu')",
          "SELECT count(*), min(next_attempt_at), max(attempts) FROM magento_outbox WHERE"
          " store_code = 'eu' AND state = 'waiting'",
          "SELECT count(*) FROM magento_outbox WHERE store_code = 'eu' AND state = 'failed'"}) {
        storage::sqlite::Statement plan(db, std::string("EXPLAIN QUERY PLAN ") + sql);
        while (plan.step()) {
            const auto detail = plan.column_text(3);
            EXPECT_EQ(detail.find("SCAN"), std::string::npos) << sql << ": " << detail;
        }
    }
}

TEST_F(OutboxTest, StockCoalescesAndIsRecordedOnTheSeqSent) {
    outbox::OutboxRepository r(db);
    r.stage_stock("s", "A", "default", 5, 10, "2026-01-01T00:00:00.000Z");
    r.stage_stock("s", "A", "default", 7, 3, "2026-01-01T00:00:00.000Z");
    r.stage_stock("s", "A", "default", 6, 99, "2026-01-01T00:00:00.000Z");  // older: ignored
    auto due = outbox::select_due_stock(db, "s", "2026-01-01T00:00:01.000Z", 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].seq, 7);
    EXPECT_EQ(due[0].qty, 3);
    // A newer value while 7 was in flight: 7's success does not make the key delivered.
    r.stage_stock("s", "A", "default", 9, 1, "2026-01-01T00:00:01.000Z");
    EXPECT_FALSE(r.stock_delivered(due[0].id, 7, "2026-01-01T00:00:02.000Z"));
    EXPECT_EQ(state(due[0].id), "waiting");
    due = outbox::select_due_stock(db, "s", "2026-01-01T00:00:02.000Z", 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].seq, 9);
    EXPECT_TRUE(r.stock_delivered(due[0].id, 9, "2026-01-01T00:00:03.000Z"));
    EXPECT_EQ(state(due[0].id), "delivered");
    EXPECT_TRUE(outbox::select_due_stock(db, "s", "2026-01-01T00:00:04.000Z", 10).empty());
}

TEST_F(OutboxTest, StockDeliveredInOneBatchKeepsTheCompareAndSet) {
    outbox::OutboxRepository r(db);
    r.stage_stock("s", "A", "default", 5, 10, "2026-01-01T00:00:00.000Z");
    r.stage_stock("s", "B", "default", 3, 1, "2026-01-01T00:00:00.000Z");
    r.stage_stock("s", "C", "wh-2", 8, 4, "2026-01-01T00:00:00.000Z");
    const auto due = outbox::select_due_stock(db, "s", "2026-01-01T00:00:01.000Z", 10);
    ASSERT_EQ(due.size(), 3u);
    // B moved on while in flight: A and C are delivered, B is due now with its newer value.
    r.stage_stock("s", "B", "default", 4, 2, "2026-01-01T00:00:01.000Z");
    std::vector<std::pair<std::int64_t, std::int64_t>> sent;
    for (const auto& d : due) sent.emplace_back(d.id, d.seq);
    EXPECT_EQ(r.stock_delivered(sent, "2026-01-01T00:00:02.000Z"), 2u);
    for (const auto& d : due) EXPECT_EQ(state(d.id), d.sku == "B" ? "waiting" : "delivered");
    const auto again = outbox::select_due_stock(db, "s", "2026-01-01T00:00:02.000Z", 10);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].sku, "B");
    EXPECT_EQ(again[0].seq, 4);
    EXPECT_EQ(r.stock_delivered({{again[0].id, 4}}, "2026-01-01T00:00:03.000Z"), 1u);
    EXPECT_TRUE(outbox::select_due_stock(db, "s", "2026-01-01T00:00:04.000Z", 10).empty());
    // The import lines see the delivered seq (delivered_seq moved with the batch).
    storage::sqlite::Statement seqs(db,
                                    "SELECT sku, delivered_seq FROM magento_stock ORDER BY sku");
    std::vector<std::pair<std::string, std::int64_t>> got;
    while (seqs.step()) got.emplace_back(seqs.column_text(0), seqs.column_int64(1));
    EXPECT_EQ(got,
              (std::vector<std::pair<std::string, std::int64_t>>{{"A", 5}, {"B", 4}, {"C", 8}}));
}

TEST_F(OutboxTest, WaitingShipmentHoldsItsSkusStockBack) {
    outbox::OutboxRepository r(db);
    r.stage_stock("s", "A", "default", 1, 10, "2026-01-01T00:00:00.000Z");
    r.stage_stock("s", "B", "default", 1, 10, "2026-01-01T00:00:00.000Z");
    const auto a = outbox::select_due_stock(db, "s", "2026-01-01T00:00:00.000Z", 10);
    ASSERT_EQ(a.size(), 2u);
    r.stock_delivered(a[0].id, 1, "2026-01-01T00:00:00.000Z");
    r.stage_stock("s", "A", "default", 2, 8, "2026-01-01T00:00:01.000Z");
    const auto ship = r.stage_shipment(shipment_intent({"A"}), "2026-01-01T00:00:01.000Z");
    auto due = outbox::select_due_stock(db, "s", "2026-01-01T00:00:02.000Z", 10);
    ASSERT_EQ(due.size(), 1u);  // B only: A waits for the shipment
    EXPECT_EQ(due[0].sku, "B");
    r.stock_delivered(due[0].id, 1, "2026-01-01T00:00:02.000Z");
    r.shipment_delivered(ship, 55, "2026-01-01T00:00:03.000Z");
    due = outbox::select_due_stock(db, "s", "2026-01-01T00:00:03.000Z", 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].sku, "A");
    EXPECT_EQ(due[0].qty, 8);
    EXPECT_EQ(state(ship), "delivered");
}

TEST_F(OutboxTest, RefusalIsFinalUntilRetried) {
    outbox::OutboxRepository r(db);
    r.stage_stock("s", "A", "bad source", 1, 10, "2026-01-01T00:00:00.000Z");
    auto due = outbox::select_due_stock(db, "s", "2026-01-01T00:00:00.000Z", 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_TRUE(
        r.stock_refused(due[0].id, 1, "Could not save Source Item", "2026-01-01T00:00:01.000Z"));
    EXPECT_EQ(state(due[0].id), "failed");
    EXPECT_TRUE(outbox::select_due_stock(db, "s", "2026-01-01T00:00:02.000Z", 10).empty());
    EXPECT_TRUE(r.retry(due[0].id, "2026-01-01T00:00:03.000Z"));
    EXPECT_EQ(state(due[0].id), "waiting");
    r.retry_later(due[0].id, "HTTP 503", "2026-01-01T00:01:00.000Z", "2026-01-01T00:00:03.000Z");
    EXPECT_TRUE(outbox::select_due_stock(db, "s", "2026-01-01T00:00:59.000Z", 10).empty());
    EXPECT_EQ(outbox::select_due_stock(db, "s", "2026-01-01T00:01:00.000Z", 10).size(), 1u);
    const auto rows = outbox::list_outbox(db, "", 0);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].attempts, 1u);
    EXPECT_EQ(rows[0].message, "HTTP 503");
}

TEST_F(OutboxTest, ShipmentNotFoundOnceWaitsAndSurvivesReopening) {
    const auto ship = [&] {
        outbox::OutboxRepository r(db);
        const auto id = r.stage_shipment(shipment_intent({}), "2026-01-01T00:00:00.000Z");
        r.shipment_call_started(id, "2026-01-01T00:00:00.000Z");
        r.retry_later(id, "timed out", "2026-01-01T00:00:01.000Z", "2026-01-01T00:00:00.000Z");
        // The first search misses: searched again no earlier than the timeout later.
        r.shipment_not_found_yet(id, "2026-01-01T00:00:16.000Z", "2026-01-01T00:00:01.000Z");
        return id;
    }();
    // What a restarted broker reads from the file.
    storage::sqlite::Database reopened{
        storage::open_writable(dir.file("ofbridge.db"), 0, std::chrono::seconds(1))};
    EXPECT_TRUE(
        outbox::select_due_shipments(reopened, "s", "2026-01-01T00:00:15.999Z", 10).empty());
    auto due = outbox::select_due_shipments(reopened, "s", "2026-01-01T00:00:16.000Z", 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].id, ship);
    EXPECT_TRUE(due[0].unknown_outcome);
    EXPECT_EQ(due[0].resend_after, "2026-01-01T00:00:16.000Z");
    EXPECT_EQ(state(ship), "waiting");
    const auto listed = outbox::list_outbox(reopened, "waiting", 0);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].resend_after, "2026-01-01T00:00:16.000Z");
    // A new call starts a new unknown outcome: its first miss waits again.
    outbox::OutboxRepository r(reopened);
    r.shipment_call_started(ship, "2026-01-01T00:00:16.000Z");
    due = outbox::select_due_shipments(reopened, "s", "2026-01-01T00:00:16.000Z", 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].resend_after, "");
}

}  // namespace
}  // namespace ofbridge::magento
