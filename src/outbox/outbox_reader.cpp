// OutboxReader: the delivery state per store for the admin dashboard (see the header).
#include "ofbridge/outbox/outbox_reader.h"

#include <mutex>

#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/statement.h"

namespace ofbridge::outbox {

using storage::sqlite::Statement;

struct OutboxReader::Impl {
    explicit Impl(const std::filesystem::path& path)
        // 8: the outbox tables.
        : db(storage::open_read_only(path, 8, "Magento outbox",
                                     "start the broker once to upgrade it")) {}
    storage::sqlite::Database db;
    std::mutex mutex;  // one connection: calls from several threads take turns
};

OutboxReader::OutboxReader(const std::filesystem::path& db_path)
    : impl_(std::make_unique<Impl>(db_path)) {}

OutboxReader::~OutboxReader() = default;

std::vector<StoreDelivery> OutboxReader::delivery_state() const {
    std::lock_guard lock(impl_->mutex);
    auto& db = impl_->db;
    Statement next(db, "SELECT min(store_code) FROM magento_outbox WHERE store_code > ?1");
    // Both kinds at once: (store, kind, state) is the index's prefix, so each kind's range of
    // a state is one seek; waiting and failed rows are the work still to do, few in a healthy
    // store.
    Statement count(db,
                    "SELECT count(*), min(next_attempt_at), max(attempts) FROM magento_outbox"
                    " WHERE store_code = ?1 AND kind IN ('stock', 'shipment') AND state = ?2");
    std::vector<StoreDelivery> out;
    std::string after;
    for (;;) {
        next.bind(1, after);
        if (!next.step() || next.is_null(0)) break;
        after = next.column_text(0);
        next.reset();
        StoreDelivery d;
        d.store_code = after;
        count.bind(1, after).bind(2, std::string_view{"waiting"});
        if (count.step()) {
            d.waiting = count.column_int64(0);
            if (!count.is_null(1)) d.oldest_due_at = count.column_text(1);
            if (!count.is_null(2)) d.max_attempts = count.column_int64(2);
        }
        count.reset();
        count.bind(1, after).bind(2, std::string_view{"failed"});
        if (count.step()) d.failed = count.column_int64(0);
        count.reset();
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace ofbridge::outbox
