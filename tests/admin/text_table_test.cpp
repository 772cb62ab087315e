// The CLI's text tables print wire text: nothing in a cell may drive the operator's terminal or
// reorder what it shows.
#include "ofbridge/admin/text_table.h"

#include <gtest/gtest.h>

using ofbridge::admin::terminal_safe;
using ofbridge::admin::TextTable;

TEST(TerminalSafe, BidiControlsAreShownEscaped) {
    // "A" RLO "1.0": a terminal would display "A0.1".
    EXPECT_EQ(terminal_safe("A\u202E1.0"), "A\\u202E1.0");
    for (const auto& [text, shown] :
         std::initializer_list<std::pair<const char*, const char*>>{{"\u202A", "\\u202A"},
                                                                    {"\u202B", "\\u202B"},
                                                                    {"\u202C", "\\u202C"},
                                                                    {"\u202D", "\\u202D"},
                                                                    {"\u2066", "\\u2066"},
                                                                    {"\u2067", "\\u2067"},
                                                                    {"\u2068", "\\u2068"},
                                                                    {"\u2069", "\\u2069"},
                                                                    {"\u200E", "\\u200E"},
                                                                    {"\u200F", "\\u200F"},
                                                                    {"\u061C", "\\u061C"}})
        EXPECT_EQ(terminal_safe(text), shown) << shown;
}

TEST(TerminalSafe, ControlsAreReplacedAndOtherTextKept) {
    EXPECT_EQ(terminal_safe("A\x1b[2J\x07"), "A?[2J?");
    EXPECT_EQ(terminal_safe("CSI\xc2\x9b"
                            "2J"),
              "CSI\\u009B2J");
    EXPECT_EQ(terminal_safe("bad\xff\xc3"), "bad??");
    EXPECT_EQ(
        terminal_safe("caf\xc3\xa9 \xe2\x82\xac \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xf0\x9f\x93\xa6"),
        "caf\xc3\xa9 \xe2\x82\xac \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xf0\x9f\x93\xa6");
}

TEST(TextTable, CellsAreEscapedAndAligned) {
    TextTable table({"SKU", "QTY"});
    table.add_row({"A\u202E1.0", "5"});
    table.add_row({"B", "7"});
    EXPECT_EQ(table.render(),
              "SKU         QTY\n"
              "----------  ---\n"
              "A\\u202E1.0  5\n"
              "B           7\n");
}
