// log_text(): wire text made safe for one log line.
#include "ofbridge/domain/log_text.h"

#include <gtest/gtest.h>

namespace ofbridge::domain {
namespace {

TEST(LogText, ControlCharactersAreEscaped) {
    EXPECT_EQ(log_text("user\r\nINFO forged\t\x1b[31m\x7f\\"),
              "user\\r\\nINFO forged\\t\\x1B[31m\\x7F\\\\");
}

TEST(LogText, Utf8IsKeptButBidiAndC1ControlsAndBadBytesAreNot) {
    EXPECT_EQ(log_text("caf\xC3\xA9 \xE2\x80\xAEtxt \xC2\x85 \xFF"),
              "caf\xC3\xA9 \\u{202E}txt \\u{0085} \\xFF");
}

TEST(LogText, LongTextIsCut) {
    EXPECT_EQ(log_text(std::string(10, 'a'), 4), "aaaa...");
    EXPECT_EQ(log_text("abcd", 4), "abcd");
}

}  // namespace
}  // namespace ofbridge::domain
