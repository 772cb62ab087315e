#include "ofbridge/codec/secret_fields.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace ofbridge::codec {

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
    // Every element name of every message passes here: most are rejected by their length alone.
    constexpr auto lengths = [] {
        std::uint64_t mask = 0;
        for (const auto name : names) mask |= std::uint64_t{1} << name.size();
        return mask;
    }();
    if (local_name.size() >= 64 || !(lengths >> local_name.size() & 1)) return false;
    return std::any_of(names.begin(), names.end(), equals_ignoring_case);
}

}  // namespace ofbridge::codec
