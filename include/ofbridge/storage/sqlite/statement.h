// RAII prepared statement. Hot paths prepare once and reuse (reset + rebind) instead of parsing
// SQL per row; this wrapper keeps that cheap and makes forgetting to finalize impossible.
// Bind indexes are 1-based and column indexes 0-based, as in the SQLite C API.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "ofbridge/storage/sqlite/database.h"

struct sqlite3_stmt;

namespace ofbridge::storage::sqlite {

class Statement {
public:
    // Prepares the first statement in `sql`. Throws SqliteError (with the SQL text as context).
    Statement(Database& db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Integers of any width (bool included) are stored as INTEGER. Throws std::out_of_range for
    // an unsigned value above INT64_MAX rather than wrapping.
    template <std::integral T>
    Statement& bind(int index, T value) {
        if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
            if (value > static_cast<T>(std::numeric_limits<std::int64_t>::max()))
                throw_out_of_range(index);
        }
        return bind_int64(index, static_cast<std::int64_t>(value));
    }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);  // copied by SQLite
    Statement& bind(int index, const char* text) { return bind(index, std::string_view{text}); }
    Statement& bind(int index, const std::string& text) {
        return bind(index, std::string_view{text});
    }
    Statement& bind(int index, std::nullopt_t) { return bind_null(index); }
    template <typename T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind_null(index);
    }
    // Not copied: `text` must stay alive and unchanged until the statement is reset or rebound.
    // For large values (request bodies) on the writer's hot path.
    Statement& bind_no_copy(int index, std::string_view text);
    Statement& bind_blob(int index, const void* data, std::size_t size);  // copied by SQLite
    Statement& bind_null(int index);
    Statement& bind_int64(int index, std::int64_t value);

    // Runs one step: true when a row is available, false when the statement is done.
    // Throws SqliteError on failure.
    bool step();
    // Steps a statement that returns no rows, then resets it (bindings kept until rebound).
    void run();
    // Makes the statement runnable again and clears its bindings.
    void reset() noexcept;

    int column_count() const noexcept;
    bool is_null(int column) const noexcept;
    std::int64_t column_int64(int column) const noexcept;
    double column_double(int column) const noexcept;
    std::string column_text(int column) const;  // "" for NULL
    // Valid until the next step/reset; "" for NULL.
    std::string_view column_text_view(int column) const noexcept;
    std::optional<std::int64_t> column_optional_int64(int column) const noexcept;
    std::string column_blob(int column) const;  // bytes as a string

    sqlite3_stmt* handle() const noexcept { return stmt_; }

private:
    void check_bind(int rc, int index);
    [[noreturn]] void throw_out_of_range(int index) const;

    Database* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement (and drops its bindings) when a scope ends, whatever happened inside, so a
// cached statement never keeps a read transaction open or points at a dead buffer.
class ResetOnExit {
public:
    explicit ResetOnExit(Statement& statement) : statement_(statement) {}
    ~ResetOnExit() { statement_.reset(); }
    ResetOnExit(const ResetOnExit&) = delete;
    ResetOnExit& operator=(const ResetOnExit&) = delete;

private:
    Statement& statement_;
};

}  // namespace ofbridge::storage::sqlite
