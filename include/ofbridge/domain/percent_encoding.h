// Percent-encoding (RFC 3986 §2.1) of everything but the unreserved characters (§2.3: letters,
// digits, '-', '.', '_', '~'): the one form that is safe in any URL component and the form OAuth
// 1.0a signs (RFC 5849 §3.6). Every URL the broker builds from data goes through it.
#pragma once

#include <string>
#include <string_view>

namespace ofbridge::domain {

std::string percent_encode(std::string_view text);

// application/x-www-form-urlencoded decoding (a query string or form field; RFC 5849 §3.4.1.3.1
// asks the same of OAuth): '+' is a space, %XX a byte; a malformed escape is kept as it is.
std::string form_decode(std::string_view text);

}  // namespace ofbridge::domain
