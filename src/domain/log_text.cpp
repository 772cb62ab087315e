// One escaping for wire text in logs (see log_text.h).
#include "ofbridge/domain/log_text.h"

#include <cstdint>

namespace ofbridge::domain {
namespace {

constexpr std::string_view hex = "0123456789ABCDEF";

void append_byte_escape(std::string& out, unsigned char byte) {
    out += "\\x";
    out += hex[byte >> 4];
    out += hex[byte & 0xF];
}

bool is_bidi_control(std::uint32_t cp) {
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string log_text(std::string_view text, std::size_t max_bytes) {
    const bool truncated = text.size() > max_bytes;
    if (truncated) text = text.substr(0, max_bytes);
    std::string out;
    out.reserve(text.size() + 8);
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80) {
            if (byte == '\n')
                out += "\\n";
            else if (byte == '\r')
                out += "\\r";
            else if (byte == '\t')
                out += "\\t";
            else if (byte == '\\')
                out += "\\\\";
            else if (byte < 0x20 || byte == 0x7F)
                append_byte_escape(out, byte);
            else
                out += static_cast<char>(byte);
            ++i;
            continue;
        }
        // A well-formed UTF-8 sequence is kept unless it is a C1 or bidi control.
        std::size_t length = byte >= 0xF0 && byte <= 0xF4   ? 4
                             : byte >= 0xE0 && byte <= 0xEF ? 3
                             : byte >= 0xC2 && byte <= 0xDF ? 2
                                                            : 0;
        bool valid = length != 0 && i + length <= text.size();
        std::uint32_t cp = valid ? byte & (0x7F >> length) : 0;
        for (std::size_t k = 1; valid && k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            valid = (next & 0xC0) == 0x80;
            cp = (cp << 6) | (next & 0x3F);
        }
        if (!valid) {
            append_byte_escape(out, byte);
            ++i;
            continue;
        }
        if ((cp >= 0x80 && cp <= 0x9F) || is_bidi_control(cp)) {
            out += "\\u{";
            for (int shift = 12; shift >= 0; shift -= 4) out += hex[(cp >> shift) & 0xF];
            out += '}';
        } else {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    if (truncated) out += "...";
    return out;
}

}  // namespace ofbridge::domain
