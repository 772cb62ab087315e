#include "ofbridge/ingest/auth_registry.h"

#include <mutex>

#include "ofbridge/ingest/secrets.h"

namespace ofbridge::ingest {

AuthRegistry::AuthRegistry(const std::map<std::string, config::StoreConfig>& stores,
                           const std::vector<AuthGrant>& live_grants)
    : stores_(stores.begin(), stores.end()) {
    for (const auto& grant : live_grants) grants_.emplace(grant.secret_hash, grant);
}

std::optional<std::string> AuthRegistry::store_for_credentials(std::string_view username,
                                                               std::string_view api_key) const {
    if (api_key.empty()) return std::nullopt;
    std::optional<std::string> match;
    // Check every store (no early exit) so timing does not reveal which one matched.
    for (const auto& [code, store] : stores_) {
        const bool ok = !store.wms.api_key.empty() &&
                        constant_time_equals(store.wms.username, username) &&
                        constant_time_equals(store.wms.api_key, api_key);
        if (ok && !match) match = code;
    }
    return match;
}

std::optional<AuthGrant> AuthRegistry::live_grant(std::string_view secret, std::string_view kind,
                                                  std::int64_t now) const {
    if (secret.empty()) return std::nullopt;
    const auto hash = sha256_hex(secret);
    std::shared_lock lock(mutex_);
    auto found = grants_.find(hash);
    if (found == grants_.end() || found->second.kind != kind || found->second.expires_at <= now)
        return std::nullopt;
    return found->second;
}

std::optional<std::string> AuthRegistry::store_for_session(std::string_view session_id,
                                                           std::int64_t now) const {
    auto grant = live_grant(session_id, "m1_session", now);
    if (!grant || !stores_.contains(grant->store_code)) return std::nullopt;
    return grant->store_code;
}

bool AuthRegistry::bearer_allowed(std::string_view store_code, std::string_view token,
                                  std::int64_t now) const {
    const auto* config = store(store_code);
    if (!config) return false;
    if (config->wms.anonymous) return true;
    if (token.empty()) return false;
    if (!config->wms.token.empty() && constant_time_equals(config->wms.token, token)) return true;
    auto grant = live_grant(token, "m2_token", now);
    return grant && grant->store_code == store_code;
}

bool AuthRegistry::has_store(std::string_view store_code) const {
    return stores_.find(store_code) != stores_.end();
}

const config::StoreConfig* AuthRegistry::store(std::string_view store_code) const {
    auto found = stores_.find(store_code);
    return found == stores_.end() ? nullptr : &found->second;
}

void AuthRegistry::add(const AuthGrant& grant) {
    std::unique_lock lock(mutex_);
    grants_.insert_or_assign(grant.secret_hash, grant);
}

bool AuthRegistry::remove(const std::string& secret_hash) {
    std::unique_lock lock(mutex_);
    return grants_.erase(secret_hash) > 0;
}

}  // namespace ofbridge::ingest
