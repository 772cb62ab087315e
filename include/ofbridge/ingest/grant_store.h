// Login sessions (Magento-1) and issued bearer tokens (Magento-2), stored in auth_grants so a
// restart keeps them. Only a SHA-256 of the secret is stored. Saves and deletes are jobs on the
// one writer (storage::Writer), answered once durable, like a request: a session id is handed out
// only after it is on disk. Expired grants are purged whenever a new one is saved.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "ofbridge/storage/writer.h"

namespace ofbridge::ingest {

struct AuthGrant {
    std::string secret_hash;  // hex SHA-256 of the session id / token
    std::string kind;         // "m1_session" or "m2_token"
    std::string store_code;
    std::string username;
    std::int64_t expires_at = 0;  // unix seconds
};

class GrantStore {
public:
    // Writes through `writer`, which must outlive this store.
    explicit GrantStore(storage::Writer& writer);

    // `done` runs once the write is durable, with the error when it is not (operation_canceled
    // after the writer closed).
    void save(AuthGrant grant, std::function<void(std::error_code)> done);
    void remove(std::string secret_hash, std::function<void(std::error_code)> done);

    // Grants still valid at `now` (unix seconds), read at start-up to fill the in-memory cache.
    // A connection of its own: the write connection belongs to the writer thread.
    std::vector<AuthGrant> load(std::int64_t now) const;

private:
    storage::Writer& writer_;
};

}  // namespace ofbridge::ingest
