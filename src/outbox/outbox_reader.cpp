// OutboxReader: the delivery state per store for the admin dashboard (see the header).
#include "ofbridge/outbox/outbox_reader.h"

#include <mutex>

#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/skip_scan.h"
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
    // Each a seek: the stores off the keys' unique indexes, then the waiting rows through 013's
    // partial index and the failed ones through 014's. The states are literals, not parameters:
    // SQLite uses a partial index only when the query's WHERE implies the index's.
    Statement waiting(db,
                      "SELECT count(*), min(next_attempt_at), max(attempts) FROM magento_outbox"
                      " WHERE store_code = ?1 AND state = 'waiting'");
    Statement failed(db,
                     "SELECT count(*) FROM magento_outbox WHERE store_code = ?1 AND"
                     " state = 'failed'");
    std::vector<StoreDelivery> out;
    storage::for_each_skip_scanned(
        db,
        "SELECT min(s) FROM (SELECT min(store_code) AS s FROM magento_stock"
        " WHERE store_code > ?1 UNION ALL SELECT min(store_code) FROM"
        " magento_shipment_skus WHERE store_code > ?1)",
        [&](const std::string& store) {
            StoreDelivery d;
            d.store_code = store;
            waiting.bind(1, store);
            if (waiting.step()) {
                d.waiting = waiting.column_int64(0);
                if (!waiting.is_null(1)) d.oldest_due_at = waiting.column_text(1);
                if (!waiting.is_null(2)) d.max_attempts = waiting.column_int64(2);
            }
            waiting.reset();
            failed.bind(1, store);
            if (failed.step()) d.failed = failed.column_int64(0);
            failed.reset();
            out.push_back(std::move(d));
        });
    return out;
}

}  // namespace ofbridge::outbox
