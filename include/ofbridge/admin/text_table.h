// Aligned plain-text tables for the CLI's human output. Cells from the wire are printed with
// control characters replaced, so a hostile SKU cannot rewrite an operator's terminal.
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

// `text` with C0/DEL control characters shown as '?', safe for a terminal.
std::string terminal_safe(std::string_view text);

}  // namespace ofbridge::admin
