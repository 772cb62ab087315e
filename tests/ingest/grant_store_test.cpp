// GrantStore: sessions and tokens are stored durably through the writer, loaded while live,
// extended by saving again, purged once expired, and refused after the writer closed.
#include "ofbridge/ingest/grant_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <future>

#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/error.h"
#include "ofbridge/storage/time_format.h"
#include "ofbridge/storage/writer.h"

namespace ofbridge::ingest {
namespace {

class GrantStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("ofbridge-grants-" +
                std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        writer_ = std::make_unique<storage::Writer>(storage::WriterOptions{dir_ / "q.db"});
        grants_ = std::make_unique<GrantStore>(*writer_);
    }
    void TearDown() override {
        grants_.reset();
        writer_.reset();
        std::filesystem::remove_all(dir_);
    }

    std::error_code save(AuthGrant grant) {
        std::promise<std::error_code> answer;
        grants_->save(std::move(grant), [&](std::error_code ec) { answer.set_value(ec); });
        return answer.get_future().get();
    }

    std::int64_t count(const std::string& sql) {
        storage::sqlite::Database db(dir_ / "q.db", SQLITE_OPEN_READONLY);
        return db.query_int64(sql);
    }

    std::filesystem::path dir_;
    std::unique_ptr<storage::Writer> writer_;
    std::unique_ptr<GrantStore> grants_;
};

TEST_F(GrantStoreTest, GrantsAreSavedLoadedExpiredAndDeleted) {
    const auto now = storage::unix_seconds(std::chrono::system_clock::now());
    EXPECT_FALSE(save({"hash-a", "m1_session", "default", "wms", now + 100}));
    EXPECT_FALSE(save({"hash-b", "m2_token", "eu", "integration", now + 1000}));

    auto grants = grants_->load(now);
    ASSERT_EQ(grants.size(), 2u);
    EXPECT_EQ(grants[0].secret_hash, "hash-a");
    EXPECT_EQ(grants[0].kind, "m1_session");
    EXPECT_EQ(grants[0].store_code, "default");
    EXPECT_EQ(grants[0].username, "wms");
    EXPECT_EQ(grants[0].expires_at, now + 100);
    EXPECT_EQ(grants[1].secret_hash, "hash-b");

    grants = grants_->load(now + 500);  // hash-a has expired by then
    ASSERT_EQ(grants.size(), 1u);
    EXPECT_EQ(grants[0].secret_hash, "hash-b");

    // Saving again under the same hash extends it.
    EXPECT_FALSE(save({"hash-a", "m1_session", "default", "wms", now + 2000}));
    EXPECT_EQ(grants_->load(now + 1500).size(), 1u);

    std::promise<std::error_code> deleted;
    grants_->remove("hash-a", [&](std::error_code ec) { deleted.set_value(ec); });
    EXPECT_FALSE(deleted.get_future().get());
    grants = grants_->load(now);
    ASSERT_EQ(grants.size(), 1u);
    EXPECT_EQ(grants[0].secret_hash, "hash-b");

    // Already-expired grants are purged whenever a grant is saved.
    EXPECT_FALSE(save({"hash-old", "m2_token", "default", "u", now - 10}));
    EXPECT_FALSE(save({"hash-c", "m2_token", "default", "u", now + 10}));
    EXPECT_EQ(count("SELECT count(*) FROM auth_grants WHERE secret_hash = 'hash-old'"), 0);
}

TEST_F(GrantStoreTest, InvalidGrantKindIsRefusedWithAnError) {
    const auto ec = save({"h", "cookie", "default", "u",
                          storage::unix_seconds(std::chrono::system_clock::now()) + 10});
    EXPECT_EQ(ec.category(), storage::sqlite::sqlite_category());
    EXPECT_EQ(ec.value(), SQLITE_CONSTRAINT_CHECK);
}

TEST_F(GrantStoreTest, RefusedAtOnceAfterTheWriterClosed) {
    writer_->close();
    std::error_code error;
    grants_->save({"h", "m2_token", "default", "u", 1}, [&](std::error_code ec) { error = ec; });
    EXPECT_EQ(error, std::errc::operation_canceled);  // at once, not queued
}

}  // namespace
}  // namespace ofbridge::ingest
