// Ingest against a real writer on a temporary SQLite file.
#include "ofbridge/ingest/ingest.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <future>

#include "ofbridge/storage/sqlite/database.h"

using namespace ofbridge;

namespace {

class IngestTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("ofbridge-ingest-" +
                std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        config_ = config::default_config();
        config_.stores.at("default").wms.api_key = "key";
        config_.stores.at("default").wms.session_ttl = std::chrono::seconds{100};
        store_ = std::make_unique<storage::Writer>(storage::WriterOptions{dir_ / "q.db"});
        ingest_ =
            std::make_unique<ingest::Ingest>(config_, *store_, [this] { return now_.load(); });
    }
    // Replaces the store (and the Ingest on it) with one opened with `options`.
    void restart(storage::WriterOptions options) {
        ingest_.reset();
        store_.reset();
        store_ = std::make_unique<storage::Writer>(std::move(options));
        ingest_ =
            std::make_unique<ingest::Ingest>(config_, *store_, [this] { return now_.load(); });
    }

    // What the database file holds, read on a connection of its own.
    std::int64_t stored(const std::string& sql) {
        storage::sqlite::Database db(dir_ / "q.db", SQLITE_OPEN_READONLY);
        return db.query_int64(sql);
    }

    void TearDown() override {
        ingest_.reset();
        store_.reset();
        std::filesystem::remove_all(dir_);
    }

    template <typename Call>
    ingest::Outcome wait(Call&& call) {
        std::promise<ingest::Outcome> promise;
        call([&](ingest::Outcome o) { promise.set_value(std::move(o)); });
        return promise.get_future().get();
    }

    std::string login() {
        auto outcome = wait([&](auto done) { ingest_->login({"wms", "key"}, done); });
        EXPECT_EQ(outcome.kind, ingest::Outcome::Kind::accepted);
        return outcome.text;
    }

    domain::WireInventoryUpdate inventory(std::string session, std::string message_seq_id) {
        domain::WireInventoryUpdate m;
        m.session_id = std::move(session);
        m.qtys = {{"A", "1", std::nullopt, std::nullopt}};
        m.seqs = {{"A", "10", std::nullopt}};
        m.message_seq_id = std::move(message_seq_id);
        return m;
    }

    ingest::Outcome submit(const ingest::IngestMessage& m, std::string wire = "m1_soap",
                           std::string bearer = "") {
        ingest::Channel channel{std::move(wire), "default", std::move(bearer), "127.0.0.1"};
        return wait([&](auto done) { ingest_->submit(channel, m, "<body/>", done); });
    }

    std::filesystem::path dir_;
    config::Config config_;
    std::atomic<std::int64_t> now_{1000};
    std::unique_ptr<storage::Writer> store_;
    std::unique_ptr<ingest::Ingest> ingest_;
};

}  // namespace

TEST_F(IngestTest, LoginThenSubmitIsStored) {
    auto session = login();
    auto outcome = submit(inventory(session, "4"));
    EXPECT_EQ(outcome.kind, ingest::Outcome::Kind::accepted);
    EXPECT_EQ(outcome.text, "Success - Message 4 Received");
    EXPECT_GT(outcome.request_id, 0);
    EXPECT_FALSE(outcome.redelivery);
    auto again = submit(inventory(session, "4"));
    EXPECT_TRUE(again.redelivery);
    EXPECT_EQ(again.request_id, outcome.request_id);
    EXPECT_EQ(again.text, outcome.text);
}

TEST_F(IngestTest, BadLoginIsAccessDenied) {
    auto outcome = wait([&](auto done) { ingest_->login({"wms", "nope"}, done); });
    EXPECT_EQ(outcome.kind, ingest::Outcome::Kind::access_denied);
    EXPECT_EQ(outcome.text, "Access denied.");
}

TEST_F(IngestTest, SessionsExpireAfterTheirTtl) {
    auto session = login();
    now_ = 1000 + 99;
    EXPECT_EQ(submit(inventory(session, "1")).kind, ingest::Outcome::Kind::accepted);
    now_ = 1000 + 100;
    auto outcome = submit(inventory(session, "2"));
    EXPECT_EQ(outcome.kind, ingest::Outcome::Kind::session_expired);
    EXPECT_EQ(outcome.text, "Session expired. Try to relogin.");
}

TEST_F(IngestTest, SessionsSurviveARestart) {
    auto session = login();
    ingest_.reset();
    store_.reset();
    store_ = std::make_unique<storage::Writer>(storage::WriterOptions{dir_ / "q.db"});
    ingest_ = std::make_unique<ingest::Ingest>(config_, *store_, [this] { return now_.load(); });
    EXPECT_EQ(submit(inventory(session, "1")).kind, ingest::Outcome::Kind::accepted);
}

TEST_F(IngestTest, InvalidMessagesAreRejectedBeforeStorage) {
    auto session = login();
    auto m = inventory(session, "1");
    m.qtys[0].qty = "ninety";
    auto outcome = submit(m);
    EXPECT_EQ(outcome.kind, ingest::Outcome::Kind::invalid);
    EXPECT_EQ(outcome.text, "skusQty/item[1]/value (SKU 'A'): expected an integer, got 'ninety'");
    // The writer takes jobs in order: once a valid message after it is stored, anything the
    // invalid one had queued would be stored too.
    ASSERT_EQ(submit(inventory(session, "2")).kind, ingest::Outcome::Kind::accepted);
    EXPECT_EQ(store_->stats().failed_jobs, 0u);
    EXPECT_EQ(stored("SELECT count(*) FROM requests"), 1);
    EXPECT_EQ(stored("SELECT count(*) FROM requests WHERE message_key = '2'"), 1);
    EXPECT_EQ(stored("SELECT sum(line_count) FROM requests"), 1);
}

// DESIGN §2.3: a qty without a seq is a line the rules refuse, not a malformed message: stored
// and acknowledged, for the worker to report as a Failure line.
TEST_F(IngestTest, ALineTheRulesRefuseIsStoredAndAcknowledged) {
    auto m = inventory(login(), "2");
    m.seqs.clear();
    auto outcome = submit(m);
    EXPECT_EQ(outcome.kind, ingest::Outcome::Kind::accepted);
    EXPECT_EQ(outcome.text, "Success - Message 2 Received");
}

// The REST JSON route goes through the same validation as SOAP: text the SOAP gate refuses
// (NUL, ESC, BEL) is refused here too, with the same fault.
TEST_F(IngestTest, JsonRouteRefusesTheSkusTheSoapRouteRefuses) {
    auto token = wait([&](auto done) {
        ingest_->create_token({"m2_json", "default", "", ""}, {"wms", "key"}, done);
    });
    ASSERT_EQ(token.kind, ingest::Outcome::Kind::accepted);
    for (const std::string& sku :
         {std::string("A\0B", 3), std::string("A\x1b[2J"), std::string("A\x07")}) {
        domain::WireInventoryUpdate m;
        m.pairing = domain::Pairing::by_sku;
        m.qtys = {{sku, "1", std::nullopt, std::nullopt}};
        m.seqs = {{sku, "10", std::nullopt}};
        m.message_seq_id = "3";
        auto json = submit(m, "m2_json", token.text);
        EXPECT_EQ(json.kind, ingest::Outcome::Kind::invalid) << json.text;
        EXPECT_EQ(json.text.rfind("productQtys/item[1]/sku: control character U+00", 0), 0u)
            << json.text;
        auto soap = submit(m, "m2_soap", token.text);
        EXPECT_EQ(soap.kind, json.kind);
        EXPECT_EQ(soap.text, json.text);
    }
}

TEST_F(IngestTest, Magento2NeedsAToken) {
    domain::WireExportAck ack{domain::Entity::product_export, "SKU-1"};
    EXPECT_EQ(submit(ack, "m2_soap", "").kind, ingest::Outcome::Kind::unauthorized);
    auto token = wait([&](auto done) {
        ingest_->create_token({"m2_soap", "default", "", ""}, {"wms", "key"}, done);
    });
    ASSERT_EQ(token.kind, ingest::Outcome::Kind::accepted);
    EXPECT_EQ(submit(ack, "m2_soap", token.text).kind, ingest::Outcome::Kind::accepted);
    ingest::Channel elsewhere{"m2_json", "nowhere", token.text, ""};
    auto outcome = wait([&](auto done) { ingest_->submit(elsewhere, ack, "{}", done); });
    EXPECT_EQ(outcome.kind, ingest::Outcome::Kind::unknown_store);
}

// A commit that fails in SQLite: the commit hook turns COMMIT into a rollback, as a failed write
// would. No ack, nothing stored, and the client's retry is stored once storage works again.
TEST_F(IngestTest, StorageFailureIsNeverAnAck) {
    static std::atomic<bool> veto{false};
    veto = false;
    storage::WriterOptions options{dir_ / "q.db"};
    options.on_connection_open = [](storage::sqlite::Database& db) {
        sqlite3_commit_hook(
            db.handle(), [](void*) { return veto.load() ? 1 : 0; }, nullptr);
    };
    restart(std::move(options));
    auto session = login();
    veto = true;
    auto outcome = submit(inventory(session, "1"));
    EXPECT_EQ(outcome.kind, ingest::Outcome::Kind::storage_failed);
    EXPECT_EQ(outcome.text, "The request could not be stored. Please retry.");
    EXPECT_EQ(outcome.request_id, 0);
    EXPECT_EQ(store_->stats().failed_commits, 1u);
    EXPECT_EQ(stored("SELECT count(*) FROM requests"), 0);

    veto = false;
    auto retried = submit(inventory(session, "1"));
    EXPECT_EQ(retried.kind, ingest::Outcome::Kind::accepted);
    EXPECT_FALSE(retried.redelivery);
    EXPECT_EQ(stored("SELECT count(*) FROM requests"), 1);
}

// Committed, but the WAL's fdatasync failed: it may never reach the disk, so it is not acked.
TEST_F(IngestTest, FailedWalSyncIsNeverAnAck) {
    static std::atomic<bool> fail_sync{false};
    fail_sync = false;
    storage::WriterOptions options{dir_ / "q.db"};
    options.sync_wal = [](int fd) {
        if (!fail_sync) return ::fdatasync(fd);
        errno = EIO;
        return -1;
    };
    restart(std::move(options));
    auto session = login();
    fail_sync = true;
    auto outcome = submit(inventory(session, "1"));
    EXPECT_EQ(outcome.kind, ingest::Outcome::Kind::storage_failed);
    fail_sync = false;
    EXPECT_EQ(submit(inventory(session, "2")).kind, ingest::Outcome::Kind::storage_failed)
        << "after a failed fsync nothing is acknowledged until a restart";
}
