// SHA-256 as lowercase hex: how the queue recognises a re-delivered body, how auth grants are
// stored without their secret, the worker's shipment dedupe key and ingest's session hashes.
#pragma once

#include <string>
#include <string_view>

namespace ofbridge::storage {

std::string sha256_hex(std::string_view data);

}  // namespace ofbridge::storage
