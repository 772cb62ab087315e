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

bool constant_time_equals(std::string_view a, std::string_view b) {
    // Compare digests so the time depends on neither the contents nor the length of `b`.
    const auto da = sha256_hex(a);
    const auto db = sha256_hex(b);
    return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

}  // namespace ofbridge::ingest
