// BEGIN/COMMIT/ROLLBACK and SAVEPOINT handling for Transaction and Savepoint.
#include "ofbridge/storage/sqlite/transaction.h"

#include <spdlog/spdlog.h>

namespace ofbridge::storage::sqlite {
namespace {

const char* begin_sql(Transaction::Mode mode) {
    switch (mode) {
        case Transaction::Mode::deferred:
            return "BEGIN DEFERRED";
        case Transaction::Mode::immediate:
            return "BEGIN IMMEDIATE";
        case Transaction::Mode::exclusive:
            return "BEGIN EXCLUSIVE";
    }
    return "BEGIN";
}

}  // namespace

Transaction::Transaction(Database& db, Mode mode) : db_(db) {
    db_.exec(begin_sql(mode));
}

Transaction::~Transaction() {
    if (finished_ || !db_.in_transaction()) return;
    try {
        db_.exec("ROLLBACK");
    } catch (const std::exception& e) {
        spdlog::error("sqlite rollback failed: {}", e.what());
    }
}

void Transaction::commit() {
    db_.exec("COMMIT");
    committed_ = true;
    finished_ = true;
}

void Transaction::rollback() {
    finished_ = true;
    // SQLite may already have rolled back on its own (SQLITE_FULL, I/O errors).
    if (db_.in_transaction()) db_.exec("ROLLBACK");
}

Savepoint::Savepoint(Database& db, std::string name) : db_(db), name_(std::move(name)) {
    db_.exec("SAVEPOINT " + name_);
}

Savepoint::~Savepoint() {
    if (finished_ || !db_.in_transaction()) return;
    try {
        rollback();
    } catch (const std::exception& e) {
        spdlog::error("sqlite savepoint rollback failed: {}", e.what());
    }
}

void Savepoint::release() {
    finished_ = true;
    db_.exec("RELEASE " + name_);
}

void Savepoint::rollback() {
    finished_ = true;
    // ROLLBACK TO keeps the savepoint open; RELEASE ends it without undoing anything more.
    db_.exec("ROLLBACK TO " + name_ + "; RELEASE " + name_);
}

}  // namespace ofbridge::storage::sqlite
