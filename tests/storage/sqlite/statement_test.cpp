// Statement: binding every supported type, reuse through reset, and step errors.
#include "ofbridge/storage/sqlite/statement.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <limits>

#include "../temp_dir.h"

namespace ofbridge::storage::sqlite {
namespace {

using testing::TempDir;

class StatementTest : public ::testing::Test {
protected:
    TempDir dir;
    Database db{dir.file("s.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE};
    void SetUp() override { db.exec("CREATE TABLE t(i INTEGER, s TEXT, b BLOB, d REAL)"); }
};

TEST_F(StatementTest, BindsAndReadsEveryType) {
    Statement insert(db, "INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
    const char bytes[] = {'\0', 'x', '\xff'};
    insert.bind(1, std::int64_t{1} << 40)
        .bind(2, "text")
        .bind_blob(3, bytes, sizeof bytes)
        .bind(4, 2.5);
    insert.run();
    insert.bind(1, std::optional<std::int64_t>{}).bind(2, std::optional<std::string>{"opt"});
    insert.bind_null(3).bind(4, std::nullopt);
    insert.run();

    Statement select(db, "SELECT i, s, b, d FROM t ORDER BY rowid");
    ASSERT_TRUE(select.step());
    EXPECT_EQ(select.column_int64(0), std::int64_t{1} << 40);
    EXPECT_EQ(select.column_text(1), "text");
    EXPECT_EQ(select.column_blob(2), std::string(bytes, sizeof bytes));
    EXPECT_DOUBLE_EQ(select.column_double(3), 2.5);
    ASSERT_TRUE(select.step());
    EXPECT_TRUE(select.is_null(0));
    EXPECT_EQ(select.column_optional_int64(0), std::nullopt);
    EXPECT_EQ(select.column_text(1), "opt");
    EXPECT_TRUE(select.is_null(2));
    EXPECT_EQ(select.column_text(2), "");
    EXPECT_FALSE(select.step());
}

TEST_F(StatementTest, IntegerWidthsAndBool) {
    Statement insert(db, "INSERT INTO t(i) VALUES (?1)");
    insert.bind(1, true).run();
    insert.bind(1, std::uint32_t{4'000'000'000}).run();
    insert.bind(1, short{-3}).run();
    EXPECT_THROW(insert.bind(1, std::numeric_limits<std::uint64_t>::max()), std::out_of_range);
    EXPECT_EQ(db.query_int64("SELECT sum(i) FROM t"), 1 + 4'000'000'000LL - 3);
}

TEST_F(StatementTest, ReusedWithResetAndRebind) {
    Statement insert(db, "INSERT INTO t(i, s) VALUES (?1, ?2)");
    for (int i = 0; i < 100; ++i) {
        std::string text = "row" + std::to_string(i);
        insert.bind(1, i).bind_no_copy(2, text);
        insert.run();
        insert.reset();  // drops the no-copy binding before `text` goes away
    }
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM t"), 100);
    EXPECT_EQ(db.query_text("SELECT s FROM t WHERE i = 42"), "row42");

    Statement select(db, "SELECT s FROM t WHERE i = ?1");
    for (int i : {3, 7}) {
        select.bind(1, i);
        ASSERT_TRUE(select.step());
        EXPECT_EQ(select.column_text_view(0), "row" + std::to_string(i));
        select.reset();
    }
}

TEST_F(StatementTest, ResetClearsBindings) {
    Statement insert(db, "INSERT INTO t(i) VALUES (?1)");
    insert.bind(1, 5);
    insert.reset();
    insert.run();
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM t WHERE i IS NULL"), 1);
}

TEST_F(StatementTest, PrepareErrorNamesTheSql) {
    try {
        Statement bad(db, "SELECT nope FROM t");
        FAIL();
    } catch (const SqliteError& e) {
        EXPECT_EQ(e.primary_code(), SQLITE_ERROR);
        EXPECT_NE(std::string{e.what()}.find("SELECT nope"), std::string::npos) << e.what();
    }
}

TEST_F(StatementTest, StepErrorThrowsAndStatementStaysUsable) {
    db.exec("CREATE TABLE u(k INTEGER PRIMARY KEY)");
    Statement insert(db, "INSERT INTO u VALUES (?1)");
    insert.bind(1, 1).run();
    insert.bind(1, 1);
    try {
        insert.step();
        FAIL();
    } catch (const SqliteError& e) {
        EXPECT_EQ(e.extended_code(), SQLITE_CONSTRAINT_PRIMARYKEY);
    }
    insert.bind(1, 2).run();
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM u"), 2);
}

TEST_F(StatementTest, BindIndexOutOfRangeThrows) {
    Statement insert(db, "INSERT INTO t(i) VALUES (?1)");
    try {
        insert.bind(2, 1);
        FAIL();
    } catch (const SqliteError& e) {
        EXPECT_EQ(e.primary_code(), SQLITE_RANGE);
    }
}

}  // namespace
}  // namespace ofbridge::storage::sqlite
