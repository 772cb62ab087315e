// Admin passwords and the console's random secrets. Passwords are stored as Argon2id encoded
// strings (libargon2; the parameters travel inside the string, so raising them later keeps old
// hashes verifiable). Session ids and CSRF tokens are 32 random bytes from OpenSSL's CSPRNG.
#pragma once

#include <string>
#include <string_view>

namespace ofbridge::console {

// Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane) and a random 16-byte salt.
// Throws std::runtime_error when libargon2 fails (out of memory).
std::string hash_password(std::string_view password);

// False for a wrong password and for a string that is not an Argon2id hash.
bool verify_password(std::string_view encoded_hash, std::string_view password);

// A password worth storing: 8 to 1024 bytes, no NUL. Returns the reason it is not, or "".
std::string password_problem(std::string_view password);

// 32 bytes from the CSPRNG as 64 hex digits.
std::string random_token();

// Compares without an early exit, so the time taken says nothing of where two tokens differ.
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace ofbridge::console
