// Database: opening, exec, and errors that name the file and carry SQLite's code.
#include "ofbridge/storage/sqlite/database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "../temp_dir.h"

namespace ofbridge::storage::sqlite {
namespace {

using testing::TempDir;

constexpr int create_flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

TEST(Database, CreatesFileAndRunsStatements) {
    TempDir dir;
    Database db(dir.file("a.db"), create_flags);
    db.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2);");
    EXPECT_EQ(db.query_int64("SELECT sum(x) FROM t"), 3);
    EXPECT_EQ(db.changes(), 2);
    EXPECT_EQ(db.last_insert_rowid(), 2);
    EXPECT_EQ(db.query_text("SELECT 'hi'"), "hi");
    EXPECT_TRUE(std::filesystem::exists(dir.file("a.db")));
    EXPECT_FALSE(db.in_transaction());
}

TEST(Database, OpenFailureNamesPathAndCode) {
    TempDir dir;
    const auto missing = dir.file("missing.db");
    try {
        Database db(missing, SQLITE_OPEN_READONLY);
        FAIL() << "opened a missing file read-only";
    } catch (const SqliteError& e) {
        EXPECT_EQ(e.primary_code(), SQLITE_CANTOPEN);
        EXPECT_NE(std::string{e.what()}.find(missing.string()), std::string::npos) << e.what();
        EXPECT_EQ(e.code().category().name(), std::string{"sqlite"});
    }
    EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST(Database, ExecErrorCarriesExtendedCodeAndMessage) {
    TempDir dir;
    Database db(dir.file("a.db"), create_flags);
    db.exec("CREATE TABLE t(x INTEGER PRIMARY KEY)");
    db.exec("INSERT INTO t VALUES (1)");
    try {
        db.exec("INSERT INTO t VALUES (1)");
        FAIL();
    } catch (const SqliteError& e) {
        EXPECT_EQ(e.extended_code(), SQLITE_CONSTRAINT_PRIMARYKEY);
        EXPECT_EQ(e.code().value(), SQLITE_CONSTRAINT_PRIMARYKEY);
        EXPECT_NE(e.sqlite_message().find("UNIQUE"), std::string::npos) << e.sqlite_message();
        EXPECT_EQ(e.code().message(), sqlite3_errstr(SQLITE_CONSTRAINT_PRIMARYKEY));
    }
}

TEST(Database, MoveTransfersOwnership) {
    TempDir dir;
    Database a(dir.file("a.db"), create_flags);
    Database b = std::move(a);
    EXPECT_EQ(a.handle(),
              nullptr);  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(b.query_int64("SELECT 7"), 7);
}

}  // namespace
}  // namespace ofbridge::storage::sqlite
