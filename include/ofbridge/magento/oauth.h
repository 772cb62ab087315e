// OAuth 1.0a request signing (RFC 5849) with HMAC-SHA256, as Magento 2.4.4+ expects from an
// integration (notes §1.1): two-legged, the integration's consumer key/secret and access
// token/secret. Pure apart from OpenSSL's HMAC; the nonce and timestamp are the caller's, so
// a signature can be checked against a reference.
#pragma once

#include <string>
#include <string_view>

namespace ofbridge::magento {

struct OAuthCredentials {
    std::string consumer_key;
    std::string consumer_secret;
    std::string access_token;
    std::string access_token_secret;
};

// The signature base string (RFC 5849 §3.4.1) of `method` on `url` (absolute, its query
// parameters included in the signature) with the oauth_* protocol parameters given.
std::string oauth_base_string(std::string_view method, std::string_view url,
                              const OAuthCredentials& credentials,
                              std::string_view signature_method, std::string_view nonce,
                              std::string_view timestamp);

// Base64 of HMAC(key = encode(consumer_secret) & encode(token_secret), base string);
// `signature_method` is "HMAC-SHA256" or "HMAC-SHA1".
std::string oauth_signature(std::string_view method, std::string_view url,
                            const OAuthCredentials& credentials, std::string_view signature_method,
                            std::string_view nonce, std::string_view timestamp);

// The Authorization header value: `OAuth oauth_consumer_key="...", ..., oauth_signature="..."`,
// signed with HMAC-SHA256.
std::string oauth_authorization(std::string_view method, std::string_view url,
                                const OAuthCredentials& credentials, std::string_view nonce,
                                std::string_view timestamp);

}  // namespace ofbridge::magento
