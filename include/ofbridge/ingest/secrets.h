// Small helpers for credentials: new random session ids / tokens, the hash under which they are
// stored (never the secret itself), and a comparison whose time does not depend on where two
// secrets first differ.
#pragma once

#include <string>
#include <string_view>

namespace ofbridge::ingest {

std::string random_secret();  // 32 random bytes as 64 hex characters
std::string sha256_hex(std::string_view data);
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace ofbridge::ingest
