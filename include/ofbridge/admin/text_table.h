// Aligned plain-text tables for the CLI's human output. Cells from the wire are printed with
// control characters replaced or escaped, so a hostile SKU cannot rewrite an operator's
// terminal or reorder the text it shows.
#pragma once

#include <string>
#include <vector>

namespace ofbridge::admin {

class TextTable {
public:
    explicit TextTable(std::vector<std::string> headers);
    void add_row(std::vector<std::string> cells);
    std::string render() const;  // header, a rule, then the rows; trailing newline

private:
    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

// `text` safe for a terminal: C0 controls, DEL and bytes that are not UTF-8 shown as '?'; C1
// controls and bidirectional controls (U+061C, U+200E/F, U+202A-202E, U+2066-2069) escaped as
// `\u202E`, so a SKU cannot reorder what an operator reads.
std::string terminal_safe(std::string_view text);

}  // namespace ofbridge::admin
