// Migrations: applied once, in order, atomically; a newer database is refused; the embedded
// schema creates every table the queue needs.
#include "ofbridge/storage/sqlite/migrations.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "../temp_dir.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage::sqlite {
namespace {

using testing::TempDir;

constexpr Migration two[] = {
    {2, "002_more", "ALTER TABLE a ADD COLUMN y INTEGER;"},
    {1, "001_base", "CREATE TABLE a(x INTEGER);"},
};

class MigrationsTest : public ::testing::Test {
protected:
    TempDir dir;
    Database db{dir.file("m.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE};
};

TEST_F(MigrationsTest, FreshDatabaseGetsAllInOrder) {
    EXPECT_EQ(schema_version(db), 0);
    EXPECT_EQ(migrate(db, two), 2);
    EXPECT_EQ(schema_version(db), 2);
    db.exec("INSERT INTO a(x, y) VALUES (1, 2)");
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM schema_migrations"), 2);
    const auto applied_at =
        db.query_text("SELECT applied_at FROM schema_migrations WHERE version = 1");
    EXPECT_EQ(applied_at.size(), 24u) << applied_at;  // 2026-11-23T09:00:00.123Z
}

TEST_F(MigrationsTest, ReopenIsIdempotent) {
    migrate(db, two);
    Database again(dir.file("m.db"), SQLITE_OPEN_READWRITE);
    EXPECT_EQ(migrate(again, two), 2);
    EXPECT_EQ(again.query_int64("SELECT count(*) FROM schema_migrations"), 2);
}

TEST_F(MigrationsTest, AppliesOnlyNewOnes) {
    migrate(db, std::span<const Migration>(&two[1], 1));
    EXPECT_EQ(schema_version(db), 1);
    EXPECT_EQ(migrate(db, two), 2);
}

TEST_F(MigrationsTest, NewerDatabaseIsRefused) {
    migrate(db, two);
    try {
        migrate(db, std::span<const Migration>(&two[1], 1));
        FAIL() << "an older binary migrated a newer database";
    } catch (const SchemaTooNewError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("version 2"), std::string::npos) << what;
        EXPECT_NE(what.find("m.db"), std::string::npos) << what;
    }
    EXPECT_FALSE(db.in_transaction());
}

TEST_F(MigrationsTest, FailingScriptLeavesNothingBehind) {
    constexpr Migration broken[] = {
        {1, "001_base", "CREATE TABLE a(x INTEGER);"},
        {2, "002_broken", "CREATE TABLE b(x INTEGER); THIS IS NOT SQL;"},
    };
    EXPECT_THROW(migrate(db, broken), SqliteError);
    EXPECT_EQ(schema_version(db), 0);
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b')"), 0);
}

TEST_F(MigrationsTest, DuplicateVersionsAreRejected) {
    constexpr Migration dup[] = {{1, "001_a", "SELECT 1;"}, {1, "001_b", "SELECT 1;"}};
    EXPECT_THROW(migrate(db, dup), std::invalid_argument);
}

TEST_F(MigrationsTest, EmbeddedSchemaHasTheQueueTables) {
    ASSERT_FALSE(embedded_migrations().empty());
    EXPECT_EQ(embedded_migrations().front().version, 1);
    EXPECT_EQ(migrate(db, embedded_migrations()), latest_schema_version());
    for (const char* table : {"requests", "inventory_lines", "shipment_requests", "shipment_items",
                              "shipment_tracks", "export_acks", "auth_grants", "request_bodies"}) {
        Statement s(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
        s.bind(1, table);
        EXPECT_TRUE(s.step()) << table;
    }
    for (const char* index : {"requests_redelivery", "requests_state"}) {
        Statement s(db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1");
        s.bind(1, index);
        EXPECT_TRUE(s.step()) << index;
    }
    // The state CHECK rejects anything outside the state machine.
    db.exec(
        "INSERT INTO requests (entity, store_code, wire, body_sha256, reply,"
        " received_at, last_delivered_at) VALUES ('inventory', 'default', 'm2_soap', 'h',"
        " 'r', 't', 't')");
    EXPECT_EQ(db.query_text("SELECT state FROM requests"), "pending");
    EXPECT_THROW(db.exec("UPDATE requests SET state = 'lost'"), SqliteError);
}

TEST_F(MigrationsTest, BodiesMoveOutOfTheRequestRowsWithTheirContent) {
    db.exec("PRAGMA foreign_keys=ON");  // as every connection of the broker has it
    const auto all = embedded_migrations();
    ASSERT_GE(all.size(), 5u);
    ASSERT_EQ(migrate(db, all.first(4)), 4);
    db.exec(
        "INSERT INTO requests (entity, store_code, wire, body_sha256, raw_body, reply,"
        " received_at, last_delivered_at) VALUES ('inventory', 'default', 'm2_soap', 'h',"
        " '<body/>', 'r', 't', 't')");
    EXPECT_EQ(migrate(db, all), latest_schema_version());
    EXPECT_EQ(db.query_text("SELECT raw_body FROM request_bodies WHERE request_id ="
                            " (SELECT id FROM requests)"),
              "<body/>");
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM pragma_table_info('requests')"
                             " WHERE name = 'raw_body'"),
              0);
}

}  // namespace
}  // namespace ofbridge::storage::sqlite
