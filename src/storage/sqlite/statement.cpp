// Prepared-statement plumbing for Statement (see the header for why it exists).
#include "ofbridge/storage/sqlite/statement.h"

#include <sqlite3.h>

#include <limits>
#include <stdexcept>
#include <utility>

namespace ofbridge::storage::sqlite {
namespace {

int checked_size(std::size_t size) {
    // SQLite takes int lengths; anything larger would be truncated silently otherwise.
    if (size > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::length_error("sqlite: value too large to bind");
    return static_cast<int>(size);
}

}  // namespace

Statement::Statement(Database& db, std::string_view sql) : db_(&db) {
    const int rc =
        sqlite3_prepare_v2(db.handle(), sql.data(), checked_size(sql.size()), &stmt_, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
        db.throw_error(rc, "prepare: " + std::string{sql.substr(0, 120)});
    }
    if (!stmt_) throw std::invalid_argument("sqlite: empty statement");
}

Statement::~Statement() {
    if (stmt_) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        if (stmt_) sqlite3_finalize(stmt_);
        db_ = other.db_;
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}

void Statement::check_bind(int rc, int index) {
    if (rc != SQLITE_OK) db_->throw_error(rc, "bind parameter " + std::to_string(index));
}

void Statement::throw_out_of_range(int index) const {
    throw std::out_of_range("sqlite: value for parameter " + std::to_string(index) +
                            " does not fit a 64-bit signed integer");
}

Statement& Statement::bind_int64(int index, std::int64_t value) {
    check_bind(sqlite3_bind_int64(stmt_, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    check_bind(sqlite3_bind_double(stmt_, index, value), index);
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    check_bind(
        sqlite3_bind_text(stmt_, index, text.data(), checked_size(text.size()), SQLITE_TRANSIENT),
        index);
    return *this;
}

Statement& Statement::bind_no_copy(int index, std::string_view text) {
    check_bind(
        sqlite3_bind_text(stmt_, index, text.data(), checked_size(text.size()), SQLITE_STATIC),
        index);
    return *this;
}

Statement& Statement::bind_blob(int index, const void* data, std::size_t size) {
    check_bind(sqlite3_bind_blob(stmt_, index, data, checked_size(size), SQLITE_TRANSIENT), index);
    return *this;
}

Statement& Statement::bind_null(int index) {
    check_bind(sqlite3_bind_null(stmt_, index), index);
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // Reset so the statement is reusable; the error stays on the connection for throw_error.
    const char* sql = sqlite3_sql(stmt_);
    std::string context = "step: " + std::string{sql ? std::string_view{sql}.substr(0, 120) : ""};
    const int code = sqlite3_extended_errcode(db_->handle());
    std::string message = sqlite3_errmsg(db_->handle());
    sqlite3_reset(stmt_);
    throw SqliteError(code, message, db_->path(), context);
}

void Statement::run() {
    step();
    sqlite3_reset(stmt_);
}

void Statement::reset() noexcept {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const noexcept {
    return sqlite3_column_count(stmt_);
}

bool Statement::is_null(int column) const noexcept {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int column) const noexcept {
    return sqlite3_column_int64(stmt_, column);
}

double Statement::column_double(int column) const noexcept {
    return sqlite3_column_double(stmt_, column);
}

std::string_view Statement::column_text_view(int column) const noexcept {
    const auto* text = sqlite3_column_text(stmt_, column);
    if (!text) return {};
    const int size = sqlite3_column_bytes(stmt_, column);
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

std::string Statement::column_text(int column) const {
    return std::string{column_text_view(column)};
}

std::optional<std::int64_t> Statement::column_optional_int64(int column) const noexcept {
    if (is_null(column)) return std::nullopt;
    return column_int64(column);
}

std::string Statement::column_blob(int column) const {
    const void* data = sqlite3_column_blob(stmt_, column);
    if (!data) return {};
    const int size = sqlite3_column_bytes(stmt_, column);
    return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

}  // namespace ofbridge::storage::sqlite
