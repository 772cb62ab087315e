// Wire text made safe for the worker's log lines and import-line messages. Private to
// src/worker.
#pragma once

#include <string>
#include <string_view>

namespace ofbridge::worker::detail {

// SKUs and references come from the wire; keep log lines and messages single-line and bounded.
inline std::string printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 200))
        out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
    if (text.size() > 200) out += "...";
    return out;
}

}  // namespace ofbridge::worker::detail
