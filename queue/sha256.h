// SHA-256 as lowercase hex: how the queue recognises a re-delivered body and how auth grants are
// stored without their secret. Private to the queue library.
#pragma once

#include <string>
#include <string_view>

namespace ofbridge::queue {

std::string sha256_hex(std::string_view data);

}  // namespace ofbridge::queue
