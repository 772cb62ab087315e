#include "ofbridge/ingest/secrets.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "ofbridge/storage/sha256.h"

namespace ofbridge::ingest {
namespace {
std::string to_hex(const unsigned char* data, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(size * 2, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0x0f];
    }
    return out;
}
}  // namespace

std::string random_secret() {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("the system random generator failed");
    return to_hex(bytes.data(), bytes.size());
}

std::string sha256_hex(std::string_view data) {
    return storage::sha256_hex(data);
}

bool is_secret_field(std::string_view local_name) {
    // sessionId/apiKey/password/token: the OrderFlow and Magento fields; the rest are the
    // credential-bearing names of WS-Security and OAuth-style clients.
    static constexpr std::array<std::string_view, 9> names{
        "sessionId", "apiKey", "password",           "token", "accessToken", "api_key",
        "secret",    "Nonce",  "BinarySecurityToken"};
    const auto equals_ignoring_case = [local_name](std::string_view name) {
        return name.size() == local_name.size() &&
               std::equal(name.begin(), name.end(), local_name.begin(), [](char a, char b) {
                   const auto lower = [](char c) {
                       return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
                   };
                   return lower(a) == lower(b);
               });
    };
    return std::any_of(names.begin(), names.end(), equals_ignoring_case);
}

bool constant_time_equals(std::string_view a, std::string_view b) {
    // Compare digests so the time depends on neither the contents nor the length of `b`.
    const auto da = sha256_hex(a);
    const auto db = sha256_hex(b);
    return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

}  // namespace ofbridge::ingest
