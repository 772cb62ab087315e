// Who may send what. Holds the configured credentials per store and the live grants (Magento-1
// sessions from `login`, Magento-2 tokens from CreateAdminAccessToken) in memory, keyed by the
// SHA-256 of the secret. Grants are written to the database (GrantStore) before they are handed out
// (so a restart keeps them) and loaded from it at start-up; the in-memory copy makes the check
// on every request a hash lookup instead of a database read.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ofbridge/config/config.h"
#include "ofbridge/ingest/grant_store.h"

namespace ofbridge::ingest {

class AuthRegistry {
public:
    AuthRegistry(const std::map<std::string, config::StoreConfig>& stores,
                 const std::vector<AuthGrant>& live_grants);

    // The store whose WMS username and api_key these are, or nullopt.
    std::optional<std::string> store_for_credentials(std::string_view username,
                                                     std::string_view api_key) const;

    // The store of a live Magento-1 session, or nullopt (unknown or expired at `now`).
    std::optional<std::string> store_for_session(std::string_view session_id,
                                                 std::int64_t now) const;

    // May a Magento-2 call with this bearer token (possibly "") act on `store_code`?
    bool bearer_allowed(std::string_view store_code, std::string_view token,
                        std::int64_t now) const;

    bool has_store(std::string_view store_code) const;
    const config::StoreConfig* store(std::string_view store_code) const;

    void add(const AuthGrant& grant);
    bool remove(const std::string& secret_hash);

private:
    std::optional<AuthGrant> live_grant(std::string_view secret, std::string_view kind,
                                        std::int64_t now) const;

    std::map<std::string, config::StoreConfig, std::less<>> stores_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, AuthGrant> grants_;  // by secret_hash
};

}  // namespace ofbridge::ingest
