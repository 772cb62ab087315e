#include "ofbridge/console/passwords.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace ofbridge::console {
namespace {

constexpr std::uint32_t kPasses = 2;
constexpr std::uint32_t kMemoryKiB = 19 * 1024;
constexpr std::uint32_t kLanes = 1;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

std::string hex(const unsigned char* data, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(digits[data[i] >> 4]);
        out.push_back(digits[data[i] & 0x0f]);
    }
    return out;
}

void random_bytes(unsigned char* out, std::size_t size) {
    if (RAND_bytes(out, static_cast<int>(size)) != 1)
        throw std::runtime_error("the random number generator failed");
}

}  // namespace

std::string hash_password(std::string_view password) {
    std::array<unsigned char, kSaltBytes> salt{};
    random_bytes(salt.data(), salt.size());
    const auto length =
        argon2_encodedlen(kPasses, kMemoryKiB, kLanes, kSaltBytes, kHashBytes, Argon2_id);
    std::vector<char> encoded(length);
    const int rc =
        argon2id_hash_encoded(kPasses, kMemoryKiB, kLanes, password.data(), password.size(),
                              salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
    if (rc != ARGON2_OK)
        throw std::runtime_error(std::string("password hashing failed: ") +
                                 argon2_error_message(rc));
    return std::string(encoded.data());
}

bool verify_password(std::string_view encoded_hash, std::string_view password) {
    if (!encoded_hash.starts_with("$argon2id$")) return false;
    const std::string encoded(encoded_hash);  // libargon2 wants a NUL-terminated string
    return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string password_problem(std::string_view password) {
    if (password.size() < 8) return "the password must have at least 8 characters";
    if (password.size() > 1024) return "the password must have at most 1024 bytes";
    if (password.find('\0') != std::string_view::npos) return "the password contains a NUL byte";
    return "";
}

std::string random_token() {
    std::array<unsigned char, 32> bytes{};
    random_bytes(bytes.data(), bytes.size());
    return hex(bytes.data(), bytes.size());
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

}  // namespace ofbridge::console
