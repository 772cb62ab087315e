// Escaping of text written into replies and served WSDLs (internal to the soap layer).
#include "xml_escape.h"

#include "gate.h"

namespace ofbridge::soap {

// Appends `text` escaped for element content or a double-quoted attribute. Characters XML 1.0
// cannot carry (C0 controls, invalid UTF-8) become U+FFFD so a reply is always well-formed.
void append_escaped(std::string& out, std::string_view text) {
    constexpr std::string_view replacement = "\xEF\xBF\xBD";
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    std::size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = bytes[i];
        if (c < 0x80) {
            switch (c) {
                case '&':
                    out += "&amp;";
                    break;
                case '<':
                    out += "&lt;";
                    break;
                case '>':
                    out += "&gt;";
                    break;
                case '"':
                    out += "&quot;";
                    break;
                case '\r':
                    out += "&#13;";
                    break;
                case '\t':
                case '\n':
                    out += static_cast<char>(c);
                    break;
                default:
                    if (c < 0x20)
                        out += replacement;
                    else
                        out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        // Validate one multi-byte sequence with the gate's rules; copy it or replace it.
        std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (i + length <= text.size() && gate::check_raw_bytes(text.substr(i, length)).empty()) {
            out.append(text.substr(i, length));
            i += length;
        } else {
            out += replacement;
            ++i;
        }
    }
}

}  // namespace ofbridge::soap
