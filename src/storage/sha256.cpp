// OpenSSL EVP one-shot digest behind sha256_hex (see sha256.h).
#include "ofbridge/storage/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace ofbridge::storage {

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed (OpenSSL EVP_Digest)");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(static_cast<std::size_t>(size) * 2, '0');
    for (unsigned int i = 0; i < size; ++i) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    return out;
}

}  // namespace ofbridge::storage
