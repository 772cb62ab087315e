// Transaction and Savepoint: commit keeps, scope exit without commit rolls back.
#include "ofbridge/storage/sqlite/transaction.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>

#include "../temp_dir.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage::sqlite {
namespace {

using testing::TempDir;

class TransactionTest : public ::testing::Test {
protected:
    TempDir dir;
    Database db{dir.file("t.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE};
    void SetUp() override { db.exec("CREATE TABLE t(x INTEGER)"); }
    std::int64_t rows() { return db.query_int64("SELECT count(*) FROM t"); }
};

TEST_F(TransactionTest, CommitKeepsWork) {
    {
        Transaction tx(db);
        EXPECT_TRUE(db.in_transaction());
        db.exec("INSERT INTO t VALUES (1)");
        tx.commit();
        EXPECT_TRUE(tx.committed());
    }
    EXPECT_FALSE(db.in_transaction());
    EXPECT_EQ(rows(), 1);
}

TEST_F(TransactionTest, DestructorRollsBackUncommittedWork) {
    {
        Transaction tx(db);
        db.exec("INSERT INTO t VALUES (1)");
    }
    EXPECT_FALSE(db.in_transaction());
    EXPECT_EQ(rows(), 0);
}

TEST_F(TransactionTest, ExceptionInsideRollsBack) {
    try {
        Transaction tx(db);
        db.exec("INSERT INTO t VALUES (1)");
        throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(rows(), 0);
    Transaction again(db);  // the connection is usable: not stuck inside a transaction
    again.commit();
}

TEST_F(TransactionTest, ImmediateTakesTheWriteLock) {
    Database other(dir.file("t.db"), SQLITE_OPEN_READWRITE, std::chrono::milliseconds(0));
    Transaction tx(db, Transaction::Mode::immediate);
    try {
        Transaction second(other, Transaction::Mode::immediate);
        FAIL() << "two immediate transactions at once";
    } catch (const SqliteError& e) {
        EXPECT_EQ(e.primary_code(), SQLITE_BUSY);
    }
}

TEST_F(TransactionTest, NestedBeginFailsAtOnceInsteadOfQueueingBehindItself) {
    Transaction outer(db);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_THROW(Transaction inner(db), SqliteError);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
    EXPECT_TRUE(db.in_transaction());
}

TEST_F(TransactionTest, SavepointRollbackUndoesOnlyItsPart) {
    Transaction tx(db);
    db.exec("INSERT INTO t VALUES (1)");
    {
        Savepoint sp(db, "inner");
        db.exec("INSERT INTO t VALUES (2)");
        sp.rollback();
    }
    {
        Savepoint sp(db, "inner");
        db.exec("INSERT INTO t VALUES (3)");
    }  // destructor: rolled back
    {
        Savepoint sp(db, "inner");
        db.exec("INSERT INTO t VALUES (4)");
        sp.release();
    }
    tx.commit();
    EXPECT_EQ(db.query_int64("SELECT group_concat(x) = '1,4' FROM (SELECT x FROM t ORDER BY x)"),
              1);
}

}  // namespace
}  // namespace ofbridge::storage::sqlite
