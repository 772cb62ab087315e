// Small HTTP helpers of the console: query and form decoding, URL encoding, cookies, and the
// pretty-printing of stored XML for the request page. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ofbridge::console {

using Params = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded (a query string or a form body): '+' is a space, %XX a byte.
// A malformed escape is kept as it is.
Params parse_form(std::string_view text);
// The first value of `name`, "" when absent.
std::string param(const Params& params, std::string_view name);
std::vector<std::string> params(const Params& params, std::string_view name);
// A positive integer parameter; nullopt when absent, empty or not a positive integer.
std::optional<std::int64_t> positive(const Params& params, std::string_view name);

// The value of cookie `name` in a Cookie header, "" when absent.
std::string cookie_value(std::string_view header, std::string_view name);

// XML indented two spaces per level, comments and CDATA kept; the text unchanged (unparsed)
// when it is not well-formed XML (a JSON body, a truncated one).
std::string pretty_xml(const std::string& text);

}  // namespace ofbridge::console
