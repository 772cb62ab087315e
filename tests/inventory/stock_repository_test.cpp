// StockRepository on a real, migrated SQLite file: a key's first record inserts its stock row
// and mark, later ones update both, and neither ever goes back to a lower seq (the guard behind
// the apply transaction).
#include "ofbridge/inventory/stock_repository.h"

#include <gtest/gtest.h>

#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/migrations.h"
#include "temp_dir.h"

namespace ofbridge::inventory {
namespace {

using storage::testing::TempDir;

class StockRepositoryTest : public ::testing::Test {
protected:
    StockRepositoryTest()
        : db(storage::open_writable(dir.file("broker.db"), 0, std::chrono::seconds(1))) {
        storage::sqlite::migrate(db, storage::embedded_migrations());
    }

    static domain::InventoryLine line(std::int64_t seq) {
        domain::InventoryLine l;
        l.sku = "A";
        l.source = "north";
        l.qty = 7;
        l.seq = seq;
        return l;
    }

    static domain::StockLevel level(std::int64_t qty) {
        return domain::StockLevel{qty, 0, qty, qty > 0};
    }

    std::int64_t stock_qty() {
        return db.query_int64("SELECT qty FROM stock_levels WHERE sku = 'A' AND source = 'north'");
    }
    std::int64_t mark() {
        return db.query_int64(
            "SELECT high_water_seq FROM sequence_marks WHERE sku = 'A' AND source = 'north'");
    }

    TempDir dir;
    storage::sqlite::Database db;
};

TEST_F(StockRepositoryTest, AFirstRecordInsertsStockAndMarkAndALaterOneUpdatesThem) {
    StockRepository stock(db);
    stock.record(line(10), level(7), false, "2027-01-01T00:00:00.000Z");
    EXPECT_EQ(stock_qty(), 7);
    EXPECT_EQ(mark(), 10);
    stock.record(line(12), level(3), true, "2027-01-01T00:00:01.000Z");
    EXPECT_EQ(stock_qty(), 3);
    EXPECT_EQ(mark(), 12);
    EXPECT_EQ(db.query_int64("SELECT is_in_stock FROM stock_levels"), 1);
}

TEST_F(StockRepositoryTest, NeitherStockNorMarkGoesBackToALowerSeq) {
    StockRepository stock(db);
    stock.record(line(10), level(7), false, "2027-01-01T00:00:00.000Z");
    stock.record(line(9), level(1), true, "2027-01-01T00:00:01.000Z");
    stock.record(line(8), level(2), false, "2027-01-01T00:00:02.000Z");
    EXPECT_EQ(stock_qty(), 7);
    EXPECT_EQ(mark(), 10);
}

TEST_F(StockRepositoryTest, AMarkWithoutAStockRowStillGetsOne) {
    StockRepository stock(db);
    db.exec(
        "INSERT INTO stock_marks (sku, source, high_water_seq, updated_at)"
        " VALUES ('A', 'north', 5, 'x')");
    stock.record(line(6), level(4), true, "2027-01-01T00:00:00.000Z");
    EXPECT_EQ(stock_qty(), 4);
    EXPECT_EQ(mark(), 6);
}

// Schema 012 folds 002's stock_levels and sequence_marks into one row per key, carrying every
// key over: a mark without stock stays a mark (no local stock), and the old names still read.
TEST(StockMarksMigration, CarriesStockAndMarksOverIntoOneRowPerKey) {
    TempDir dir;
    auto db = storage::open_writable(dir.file("old.db"), 0, std::chrono::seconds(1));
    const auto all = storage::embedded_migrations();
    std::size_t before = 0;
    while (before < all.size() && all[before].version < 12) ++before;
    ASSERT_EQ(storage::sqlite::migrate(db, all.first(before)), 11);
    db.exec(
        "INSERT INTO stock_levels VALUES ('A', 'default', 7, 1, 10, 't1'), ('B', 'north', 0, 0, 4,"
        " 't2');"
        "INSERT INTO sequence_marks VALUES ('A', 'default', 10, 't1'), ('B', 'north', 4, 't2'),"
        " ('C', 'default', 3, 't3')");
    storage::sqlite::migrate(db, all);

    EXPECT_EQ(db.query_int64("SELECT count(*) FROM stock_marks"), 3);
    EXPECT_EQ(db.query_int64("SELECT qty FROM stock_marks WHERE sku = 'A'"), 7);
    EXPECT_EQ(db.query_int64("SELECT high_water_seq FROM stock_marks WHERE sku = 'B'"), 4);
    EXPECT_EQ(db.query_int64("SELECT is_in_stock FROM stock_marks WHERE sku = 'B'"), 0);
    EXPECT_EQ(db.query_int64("SELECT high_water_seq FROM stock_marks WHERE sku = 'C'"), 3);
    EXPECT_EQ(db.query_int64("SELECT qty IS NULL FROM stock_marks WHERE sku = 'C'"), 1);
    // Read-only views under 002's names: a mark-only key has a mark and no stock level.
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM sequence_marks"), 3);
    EXPECT_EQ(db.query_int64("SELECT count(*) FROM stock_levels"), 2);
    EXPECT_EQ(db.query_int64("SELECT last_seq FROM stock_levels WHERE sku = 'A'"), 10);

    // The carried-over rows are the ones an apply continues from.
    StockRepository stock(db);
    domain::InventoryLine line;
    line.sku = "C";
    line.source = "default";
    line.qty = 2;
    line.seq = 2;
    stock.record(line, domain::StockLevel{2, 0, 2, true}, true, "t4");
    EXPECT_EQ(db.query_int64("SELECT qty IS NULL FROM stock_marks WHERE sku = 'C'"), 1);
    line.seq = 5;
    stock.record(line, domain::StockLevel{2, 0, 2, true}, true, "t5");
    EXPECT_EQ(db.query_int64("SELECT qty FROM stock_marks WHERE sku = 'C'"), 2);
    EXPECT_EQ(db.query_int64("SELECT high_water_seq FROM stock_marks WHERE sku = 'C'"), 5);
}

}  // namespace
}  // namespace ofbridge::inventory
