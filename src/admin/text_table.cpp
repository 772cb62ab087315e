#include "ofbridge/admin/text_table.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <utility>

namespace ofbridge::admin {
namespace {
// Display width: count UTF-8 lead bytes, not continuation bytes.
std::size_t width(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Characters a terminal obeys instead of printing, which a cell must not carry: C1 controls
// (0x9B is CSI on some terminals) and the bidirectional controls, with which "A\u202E1.0" is
// displayed as "A0.1" (Trojan Source, CVE-2021-42574).
bool shown_escaped(std::uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// The code point of the UTF-8 sequence at `pos` and its length, or length 0 if it is not one.
std::pair<std::uint32_t, std::size_t> decode(std::string_view s, std::size_t pos) {
    const auto lead = static_cast<unsigned char>(s[pos]);
    const std::size_t length = lead >= 0xF0 && lead <= 0xF4   ? 4
                               : lead >= 0xE0 && lead <= 0xEF ? 3
                               : lead >= 0xC2 && lead <= 0xDF ? 2
                                                              : 0;
    if (length == 0 || pos + length > s.size()) return {0, 0};
    std::uint32_t cp = lead & (0xFF >> (length + 1));
    for (std::size_t k = 1; k < length; ++k) {
        const auto b = static_cast<unsigned char>(s[pos + k]);
        if ((b & 0xC0) != 0x80) return {0, 0};
        cp = (cp << 6) | (b & 0x3F);
    }
    return {cp, length};
}
}  // namespace

std::string terminal_safe(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto u = static_cast<unsigned char>(text[i]);
        if (u < 0x80) {
            out += u < 0x20 || u == 0x7F ? '?' : text[i];
            ++i;
            continue;
        }
        const auto [cp, length] = decode(text, i);
        if (length == 0) {  // not UTF-8: one replacement per byte
            out += '?';
            ++i;
            continue;
        }
        if (shown_escaped(cp)) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04X", static_cast<unsigned>(cp));
            out += escaped;
        } else {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    return out;
}

TextTable::TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void TextTable::add_row(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    for (auto& cell : cells) cell = terminal_safe(cell);
    rows_.push_back(std::move(cells));
}

std::string TextTable::render() const {
    std::vector<std::size_t> widths;
    for (const auto& h : headers_) widths.push_back(width(h));
    for (const auto& row : rows_)
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        std::string text;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            text += cells[i];
            if (i + 1 < cells.size()) text += std::string(widths[i] - width(cells[i]) + 2, ' ');
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out += text + "\n";
    };
    line(headers_);
    std::vector<std::string> rule;
    for (auto w : widths) rule.emplace_back(w, '-');
    line(rule);
    for (const auto& row : rows_) line(row);
    return out;
}

}  // namespace ofbridge::admin
