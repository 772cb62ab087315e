// Text from the wire (usernames, message keys, fault reasons) as it may appear in a log line:
// one line, bounded, nothing a terminal or log parser would act on. A CR/LF in a username must
// not forge a second log line, and an ESC must not reach the operator's terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ofbridge::domain {

// C0 controls, DEL, C1 controls and the Unicode bidi controls are written as \n, \r, \t,
// \xNN or \u{NNNN}; a backslash as \\; invalid UTF-8 bytes as \xNN. At most `max_bytes` of
// input are shown, then "...".
std::string log_text(std::string_view text, std::size_t max_bytes = 200);

}  // namespace ofbridge::domain
