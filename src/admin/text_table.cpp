#include "ofbridge/admin/text_table.h"

#include <algorithm>

namespace ofbridge::admin {
namespace {
// Display width: count UTF-8 lead bytes, not continuation bytes.
std::size_t width(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}
}  // namespace

std::string terminal_safe(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) c = '?';
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
