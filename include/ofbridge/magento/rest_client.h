// The Magento 2 REST client of the magento2 target (DESIGN §6; notes §1): calls
// <base_url>rest/<store_code>/V1/<path> through the outbound HTTP client, authenticated by a
// bearer token or OAuth 1.0a (HMAC-SHA256), and classifies every reply into what the delivery
// loop has to do with it. Secrets never appear in what it returns or logs.
//
// Bearer token with username and password configured: the first call (when no token is set)
// and a 401 fetch a new admin token (POST V1/integration/admin/token); after a 401 the call is
// retried once with the new token, and a second 401 is `unauthorized` (a configuration error:
// Magento answers an expired token and a missing ACL grant the same way, notes §1.0).
//
// Thread-safe: `concurrency` calls at once, each on a kept-alive connection of its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ofbridge/magento/oauth.h"

namespace ofbridge::magento {

struct ClientSettings {
    std::string base_url;  // with trailing '/'
    std::string store_code = "all";
    std::string token;
    std::string username;
    std::string password;
    std::optional<OAuthCredentials> oauth;
    std::chrono::milliseconds timeout{15'000};
    std::filesystem::path tls_ca_file;
    unsigned concurrency = 2;
};

// What a reply means for the item(s) it carried.
enum class Outcome {
    ok,            // 2xx
    rejected,      // 400, 404 and other 4xx: permanent for these items (Magento's message)
    unauthorized,  // 401 after the one refresh (or none possible): configuration error, retried
    throttled,     // 429 / 503: retry after Retry-After (or the backoff)
    unknown,       // other 5xx, timeout, reset: Magento may have applied it; retry
};

struct Reply {
    Outcome outcome = Outcome::unknown;
    int status = 0;       // 0 = no reply
    std::string body;     // as received
    std::string message;  // the error in words (Magento's message, filled in)
    std::optional<std::chrono::seconds> retry_after;
    bool sent_nothing = false;  // cancelled before anything went out
};

// Magento's error body `{"message": "...%1...%name...", "parameters": [...] | {...}}` as one
// text, placeholders filled; the `errors` list's messages are appended when it has more than
// the one the message already names. Not JSON, or no message: the body itself, cut short.
std::string error_message(int status, std::string_view body);

// A Retry-After value: delay-seconds or an HTTP-date relative to `now`.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

class RestClient {
public:
    explicit RestClient(ClientSettings settings);  // throws on a bad CA file
    ~RestClient();
    RestClient(const RestClient&) = delete;
    RestClient& operator=(const RestClient&) = delete;

    // `path` is relative to .../V1/ and may carry a query ("inventory/source-items",
    // "shipments?searchCriteria..."); `body` JSON or empty. `once`: a call that must never be
    // sent twice (a ship call) goes out on a new connection, so the HTTP client never re-sends
    // it after a dropped kept-alive one (a 401 is still retried once with a new token: Magento
    // refused it before doing anything).
    Reply call(std::string_view method, std::string_view path, std::string_view body = {},
               bool once = false);

    // The URL `path` would be sent to.
    std::string url(std::string_view path) const;

    // Aborts calls in flight and every later one (shutdown).
    void cancel();

    std::size_t token_refreshes() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::magento
