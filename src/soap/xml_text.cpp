// See xml_text.h.
#include "xml_text.h"

#include <cstdint>

namespace ofbridge::soap::xml {

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

namespace {

// Appends `raw` with CR LF and lone CR turned into LF; stops at nothing else.
void append_line_ends(std::string& out, std::string_view raw) {
    for (auto cr = raw.find('\r'); cr != std::string_view::npos; cr = raw.find('\r')) {
        out.append(raw.substr(0, cr));
        out += '\n';
        raw.remove_prefix(cr + 1);
        if (!raw.empty() && raw.front() == '\n') raw.remove_prefix(1);
    }
    out.append(raw);
}

}  // namespace

void append_cdata(std::string& out, std::string_view raw) {
    append_line_ends(out, raw);
}

void append_value(std::string& out, std::string_view raw) {
    for (auto amp = raw.find('&'); amp != std::string_view::npos; amp = raw.find('&')) {
        append_line_ends(out, raw.substr(0, amp));
        const auto semicolon = raw.find(';', amp);
        const auto name = raw.substr(amp + 1, semicolon - amp - 1);
        raw.remove_prefix(semicolon + 1);
        if (name == "lt")
            out += '<';
        else if (name == "gt")
            out += '>';
        else if (name == "amp")
            out += '&';
        else if (name == "apos")
            out += '\'';
        else if (name == "quot")
            out += '"';
        else {  // a checked character reference: decimal or x-hex, an XML character
            const bool hex = name.size() > 1 && name[1] == 'x';
            std::uint32_t cp = 0;
            for (char c : name.substr(hex ? 2 : 1)) {
                const unsigned digit = (c >= '0' && c <= '9') ? static_cast<unsigned>(c - '0')
                                       : (c >= 'a' && c <= 'f')
                                           ? static_cast<unsigned>(c - 'a' + 10)
                                           : static_cast<unsigned>(c - 'A' + 10);
                cp = cp * (hex ? 16u : 10u) + digit;
            }
            append_utf8(out, cp);
        }
    }
    append_line_ends(out, raw);
}

std::optional<std::string> resolve_prefix(pugi::xml_node element, std::string_view prefix) {
    if (prefix == "xml") return std::string{"http://www.w3.org/XML/1998/namespace"};
    for (auto node = element; node && node.type() == pugi::node_element; node = node.parent()) {
        for (auto attribute = node.first_attribute(); attribute;
             attribute = attribute.next_attribute()) {
            const std::string_view name = attribute.name();
            const bool declares = prefix.empty()
                                      ? name == "xmlns"
                                      : (name.size() == 6 + prefix.size() &&
                                         name.starts_with("xmlns:") && name.substr(6) == prefix);
            if (!declares) continue;
            std::string uri;
            append_value(uri, attribute.value());
            if (uri.empty()) return std::nullopt;  // xmlns="" undeclares the default namespace
            return uri;
        }
    }
    return std::nullopt;
}

}  // namespace ofbridge::soap::xml
