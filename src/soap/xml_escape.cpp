// Escaping of text written into replies, served WSDLs and the export's documents.
#include "ofbridge/soap/xml_escape.h"

#include "gate.h"

namespace ofbridge::soap {
namespace {

void escape_into(std::string& out, std::string_view text, bool attribute) {
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
                    if (attribute)
                        out += "&#9;";
                    else
                        out += '\t';
                    break;
                case '\n':
                    if (attribute)
                        out += "&#10;";
                    else
                        out += '\n';
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

}  // namespace

void append_escaped(std::string& out, std::string_view text) {
    escape_into(out, text, false);
}

void append_escaped_attribute(std::string& out, std::string_view text) {
    escape_into(out, text, true);
}

}  // namespace ofbridge::soap
