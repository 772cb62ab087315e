// OAuth 1.0a signing (see oauth.h). Query parameters are decoded, then every parameter is
// encoded again, sorted by name and value and joined (RFC 5849 §3.4.1.3.2), so the same URL
// signs the same whichever way its query was escaped.
#include "ofbridge/magento/oauth.h"
#include "ofbridge/domain/percent_encoding.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ofbridge::magento {
namespace {

std::string base64(const unsigned char* data, std::size_t size) {
    std::string out(4 * ((size + 2) / 3), '\0');
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

// scheme://host[:port]/path, lower-cased scheme and host, default ports dropped (§3.4.1.2).
std::string base_uri(std::string_view url, std::string_view& query) {
    query = {};
    const auto query_at = url.find('?');
    if (query_at != std::string_view::npos) {
        query = url.substr(query_at + 1);
        url = url.substr(0, query_at);
    }
    if (const auto fragment = query.find('#'); fragment != std::string_view::npos)
        query = query.substr(0, fragment);
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) throw std::invalid_argument("not an absolute URL");
    std::string scheme(url.substr(0, scheme_end));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
    const auto path_at = url.find('/', scheme_end + 3);
    std::string authority(url.substr(scheme_end + 3, path_at == std::string_view::npos
                                                         ? std::string_view::npos
                                                         : path_at - scheme_end - 3));
    std::transform(authority.begin(), authority.end(), authority.begin(), ::tolower);
    const std::string path(path_at == std::string_view::npos ? "/" : url.substr(path_at));
    if ((scheme == "http" && authority.ends_with(":80")) ||
        (scheme == "https" && authority.ends_with(":443")))
        authority.resize(authority.rfind(':'));
    return scheme + "://" + authority + path;
}

}  // namespace

std::string oauth_base_string(std::string_view method, std::string_view url,
                              const OAuthCredentials& credentials,
                              std::string_view signature_method, std::string_view nonce,
                              std::string_view timestamp) {
    std::string_view query;
    const std::string uri = base_uri(url, query);
    std::vector<std::pair<std::string, std::string>> parameters;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        parameters.emplace_back(
            domain::percent_encode(domain::form_decode(pair.substr(0, eq))),
            eq == std::string_view::npos
                ? std::string{}
                : domain::percent_encode(domain::form_decode(pair.substr(eq + 1))));
    }
    const std::pair<std::string_view, std::string_view> protocol[] = {
        {"oauth_consumer_key", credentials.consumer_key}, {"oauth_nonce", nonce},
        {"oauth_signature_method", signature_method},     {"oauth_timestamp", timestamp},
        {"oauth_token", credentials.access_token},        {"oauth_version", "1.0"}};
    for (const auto& [name, value] : protocol)
        parameters.emplace_back(domain::percent_encode(name), domain::percent_encode(value));
    std::sort(parameters.begin(), parameters.end());
    std::string normalized;
    for (const auto& [name, value] : parameters) {
        if (!normalized.empty()) normalized += '&';
        normalized += name + "=" + value;
    }
    std::string upper(method);
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    return upper + "&" + domain::percent_encode(uri) + "&" + domain::percent_encode(normalized);
}

std::string oauth_signature(std::string_view method, std::string_view url,
                            const OAuthCredentials& credentials, std::string_view signature_method,
                            std::string_view nonce, std::string_view timestamp) {
    const std::string base =
        oauth_base_string(method, url, credentials, signature_method, nonce, timestamp);
    const std::string key = domain::percent_encode(credentials.consumer_secret) + "&" +
                            domain::percent_encode(credentials.access_token_secret);
    const EVP_MD* md = signature_method == "HMAC-SHA1" ? EVP_sha1() : EVP_sha256();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(md, key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(base.data()), base.size(), digest, &length))
        throw std::runtime_error("HMAC failed");
    return base64(digest, length);
}

std::string oauth_authorization(std::string_view method, std::string_view url,
                                const OAuthCredentials& credentials, std::string_view nonce,
                                std::string_view timestamp) {
    const std::string signature =
        oauth_signature(method, url, credentials, "HMAC-SHA256", nonce, timestamp);
    auto field = [](std::string_view name, std::string_view value) {
        return std::string(name) + "=\"" + domain::percent_encode(value) + "\"";
    };
    return "OAuth " + field("oauth_consumer_key", credentials.consumer_key) + ", " +
           field("oauth_nonce", nonce) + ", " + field("oauth_signature_method", "HMAC-SHA256") +
           ", " + field("oauth_timestamp", timestamp) + ", " +
           field("oauth_token", credentials.access_token) + ", " + field("oauth_version", "1.0") +
           ", " + field("oauth_signature", signature);
}

}  // namespace ofbridge::magento
