// Read-only view of the Magento outbox's delivery state for the admin console's dashboard: per
// store, the rows waiting and failed and the oldest waiting row. Its own read-only connection,
// so the console never asks the delivery loop (which may be stuck in a call to Magento).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ofbridge::outbox {

struct StoreDelivery {
    std::string store_code;
    std::int64_t waiting = 0;  // to send, or to retry later
    std::int64_t failed = 0;   // refused by Magento; waits for `outbox retry`
    // The earliest next_attempt_at of the waiting rows ("" when none). A row becomes waiting
    // due at once (staged, woken by a newer value, retried by hand), so for a row never tried
    // this is how long it has been waiting; a row in back-off is due at its next attempt.
    std::string oldest_due_at;
    std::int64_t max_attempts = 0;  // the most failed attempts of a waiting row
};

class OutboxReader {
public:
    // Throws std::runtime_error naming the path when the store cannot be opened.
    explicit OutboxReader(const std::filesystem::path& db_path);
    ~OutboxReader();
    OutboxReader(const OutboxReader&) = delete;
    OutboxReader& operator=(const OutboxReader&) = delete;

    // One entry per store with outbox rows (none when no magento2 store ever staged anything).
    // Index seeks only (schema 014): the delivered history (Magento's receipts, never deleted)
    // is not read, so the cost does not grow with it.
    std::vector<StoreDelivery> delivery_state() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::outbox
