// Masking secrets in a body that is stored or shown (see mask_secrets() in codec.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ofbridge::soap::mask {

// `body` with each (offset, length) range, in ascending order, replaced by "***".
std::string apply(std::string_view body,
                  const std::vector<std::pair<std::size_t, std::size_t>>& ranges);

}  // namespace ofbridge::soap::mask
