#include "ofbridge/console/admin_store.h"

#include <gtest/gtest.h>

#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "ofbridge/storage/sqlite/transaction.h"
#include "temp_dir.h"

namespace ofbridge::console {
namespace {

class AdminStoreTest : public ::testing::Test {
protected:
    AdminStoreTest()
        : db(storage::open_writable(dir.file("ofbridge.db"), 0, std::chrono::seconds(1))) {
        storage::sqlite::migrate(db, storage::embedded_migrations());
    }
    template <typename F>
    void write(F&& f) {
        storage::sqlite::Transaction transaction(db);
        AdminRepository repository(db);
        f(repository);
        transaction.commit();
    }
    storage::testing::TempDir dir;
    storage::sqlite::Database db;
};

TEST_F(AdminStoreTest, UsersSessionsAndTheirEnd) {
    std::int64_t alice = 0;
    write([&](AdminRepository& r) {
        alice = r.add_user("alice", "$argon2id$hash-a", "2026-11-28T07:00:00.000Z");
        r.add_user("bob", "$argon2id$hash-b", "2026-11-28T07:00:00.000Z");
        r.create_session("tokenhash1", alice, "csrf1", 100, 200, "127.0.0.1");
        r.create_session("tokenhash2", alice, "csrf2", 100, 150, "127.0.0.1");
    });
    AdminReader reader(dir.file("ofbridge.db"));
    EXPECT_EQ(reader.credentials("alice")->second, "$argon2id$hash-a");
    EXPECT_FALSE(reader.credentials("carol"));
    const auto users = reader.users(120);
    ASSERT_EQ(users.size(), 2u);
    EXPECT_EQ(users[0].name, "alice");
    EXPECT_EQ(users[0].sessions, 2);

    const auto session = reader.session("tokenhash1", 120);
    ASSERT_TRUE(session);
    EXPECT_EQ(session->username, "alice");
    EXPECT_EQ(session->csrf_token, "csrf1");
    EXPECT_FALSE(reader.session("tokenhash2", 150));  // expired
    EXPECT_FALSE(reader.session("unknown", 120));

    EXPECT_THROW(write([](AdminRepository& r) { r.add_user("alice", "x", "t"); }),
                 std::invalid_argument);
    EXPECT_THROW(write([](AdminRepository& r) { r.add_user("<img>", "x", "t"); }),
                 std::invalid_argument);

    // A new password ends every session of the user; so does removing the user.
    write([](AdminRepository& r) { EXPECT_TRUE(r.set_password("alice", "$argon2id$new", "t")); });
    EXPECT_FALSE(reader.session("tokenhash1", 120));
    EXPECT_EQ(reader.credentials("alice")->second, "$argon2id$new");
    const auto bob = reader.credentials("bob")->first;
    write([&](AdminRepository& r) { r.create_session("tokenhash3", bob, "c", 100, 200, ""); });
    write([](AdminRepository& r) {
        EXPECT_TRUE(r.remove_user("bob"));
        EXPECT_FALSE(r.remove_user("bob"));
        EXPECT_FALSE(r.set_password("bob", "x", "t"));
    });
    EXPECT_FALSE(reader.session("tokenhash3", 120));
    EXPECT_EQ(reader.users(120).size(), 1u);
}

TEST_F(AdminStoreTest, AuditIsPagedNewestFirst) {
    write([](AdminRepository& r) {
        for (int i = 1; i <= 5; ++i)
            r.audit({0, "t" + std::to_string(i), "alice", "reprocess",
                     "request " + std::to_string(i), "ok", "127.0.0.1"});
    });
    AdminReader reader(dir.file("ofbridge.db"));
    const auto first = reader.audit(0, 2);
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[0].target, "request 5");
    const auto next = reader.audit(first.back().id, 10);
    ASSERT_EQ(next.size(), 3u);
    EXPECT_EQ(next[0].target, "request 3");
    EXPECT_EQ(next[2].target, "request 1");
}

TEST(AdminUserNames, AreChecked) {
    EXPECT_EQ(user_name_problem("alice.o-k_1@example"), "");
    EXPECT_NE(user_name_problem(""), "");
    EXPECT_NE(user_name_problem("a b"), "");
    EXPECT_NE(user_name_problem(std::string(65, 'a')), "");
}

}  // namespace
}  // namespace ofbridge::console
