// The skip scan lists each distinct value once, in order, off one or several indexes.
#include "ofbridge/storage/skip_scan.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "temp_dir.h"

namespace ofbridge::storage {
namespace {

using testing::TempDir;

class SkipScanTest : public ::testing::Test {
protected:
    TempDir dir;
    sqlite::Database db{dir.file("s.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE};
    void SetUp() override {
        db.exec(
            "CREATE TABLE a(store_code TEXT, n INTEGER);"
            "CREATE INDEX a_store ON a(store_code);"
            "CREATE TABLE b(store_code TEXT);"
            "CREATE INDEX b_store ON b(store_code);"
            "INSERT INTO a VALUES ('uk', 1), ('de', 2), ('uk', 3), ('de', 4), ('fr', 5);"
            "INSERT INTO b VALUES ('nl'), ('de');");
    }
    std::vector<std::string> scan(std::string_view sql) {
        std::vector<std::string> values;
        for_each_skip_scanned(db, sql, [&](const std::string& v) { values.push_back(v); });
        return values;
    }
};

TEST_F(SkipScanTest, EachValueOnceInOrder) {
    EXPECT_EQ(scan("SELECT min(store_code) FROM a WHERE store_code > ?1"),
              (std::vector<std::string>{"de", "fr", "uk"}));
}

TEST_F(SkipScanTest, SeveralIndexesMerged) {
    EXPECT_EQ(scan("SELECT min(s) FROM (SELECT min(store_code) AS s FROM a WHERE store_code > ?1"
                   " UNION ALL SELECT min(store_code) FROM b WHERE store_code > ?1)"),
              (std::vector<std::string>{"de", "fr", "nl", "uk"}));
}

TEST_F(SkipScanTest, EmptyTableCallsNothing) {
    db.exec("DELETE FROM a");
    EXPECT_TRUE(scan("SELECT min(store_code) FROM a WHERE store_code > ?1").empty());
}

}  // namespace
}  // namespace ofbridge::storage
