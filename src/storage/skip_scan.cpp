#include "ofbridge/storage/skip_scan.h"

#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::storage {

void for_each_skip_scanned(sqlite::Database& db, std::string_view next_sql,
                           const std::function<void(const std::string&)>& each) {
    sqlite::Statement next(db, next_sql);
    std::string after;
    for (;;) {
        next.bind(1, after);
        if (!next.step() || next.is_null(0)) break;
        after = next.column_text(0);
        next.reset();
        each(after);
    }
}

}  // namespace ofbridge::storage
