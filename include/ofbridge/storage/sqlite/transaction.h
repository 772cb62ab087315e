// Scope-bound transactions. A Transaction that goes out of scope without commit() is rolled back,
// so an exception between BEGIN and COMMIT can never leave the connection inside a transaction.
// Savepoint does the same for one nested unit of work (one queued job inside a group commit).
#pragma once

#include <string>

#include "ofbridge/storage/sqlite/database.h"

namespace ofbridge::storage::sqlite {

class Transaction {
public:
    enum class Mode { deferred, immediate, exclusive };

    // BEGIN <mode>. Immediate takes the write lock now (waiting up to the connection's busy
    // timeout), so a writer never fails later with SQLITE_BUSY halfway through its work.
    // Throws SqliteError.
    explicit Transaction(Database& db, Mode mode = Mode::immediate);
    ~Transaction();  // rolls back unless committed; never throws
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    // COMMIT. Throws SqliteError; after a failure the destructor rolls back what is left.
    void commit();
    void rollback();  // explicit rollback; throws SqliteError
    bool committed() const noexcept { return committed_; }

private:
    Database& db_;
    bool committed_ = false;
    bool finished_ = false;
};

class Savepoint {
public:
    // `name` must be a plain SQL identifier (it is not quoted).
    Savepoint(Database& db, std::string name);
    ~Savepoint();  // ROLLBACK TO + RELEASE unless released; never throws
    Savepoint(const Savepoint&) = delete;
    Savepoint& operator=(const Savepoint&) = delete;

    void release();   // keeps the work (it commits with the enclosing transaction)
    void rollback();  // undoes the work since the savepoint and ends it

private:
    Database& db_;
    std::string name_;
    bool finished_ = false;
};

}  // namespace ofbridge::storage::sqlite
