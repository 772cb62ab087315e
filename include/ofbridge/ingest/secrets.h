// Small helpers for credentials: new random session ids / tokens, the hash under which they are
// stored (never the secret itself), a comparison whose time does not depend on where two
// secrets first differ, and the names of fields that hold credentials.
#pragma once

#include <string>
#include <string_view>

#include "ofbridge/codec/secret_fields.h"

namespace ofbridge::ingest {

std::string random_secret();  // 32 random bytes as 64 hex characters
std::string sha256_hex(std::string_view data);
bool constant_time_equals(std::string_view a, std::string_view b);

// The one list of credential field names (codec/secret_fields.h, next to the decoders that mask
// with it).
using codec::is_secret_field;

}  // namespace ofbridge::ingest
