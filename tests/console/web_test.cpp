#include "web.h"

#include <gtest/gtest.h>

#include "ofbridge/domain/percent_encoding.h"

namespace ofbridge::console {
namespace {

TEST(ConsoleWeb, FormsAreDecoded) {
    const auto form = parse_form("user=a+b&password=%3Cimg%20src%3Dx%3E&id=1&id=2&bad=%zz&flag");
    EXPECT_EQ(param(form, "user"), "a b");
    EXPECT_EQ(param(form, "password"), "<img src=x>");
    EXPECT_EQ(params(form, "id"), (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(param(form, "bad"), "%zz");
    EXPECT_EQ(param(form, "flag"), "");
    EXPECT_EQ(param(form, "missing"), "");
    EXPECT_EQ(positive(form, "id"), 1);
    EXPECT_EQ(positive(parse_form("n=-3"), "n"), std::nullopt);
    EXPECT_EQ(positive(parse_form("n=3x"), "n"), std::nullopt);
    EXPECT_EQ(param(parse_form("t=%4"), "t"), "%4");
}

TEST(ConsoleWeb, UrlEncodingKeepsOnlyUnreserved) {
    EXPECT_EQ(domain::percent_encode("SKU-1_a.b~"), "SKU-1_a.b~");
    EXPECT_EQ(domain::percent_encode("a b&\"<>'/"), "a%20b%26%22%3C%3E%27%2F");
    EXPECT_EQ(param(parse_form("s=" + domain::percent_encode("x&y=z é")), "s"), "x&y=z é");
}

TEST(ConsoleWeb, CookiesAreFoundByName) {
    EXPECT_EQ(cookie_value("a=1; ofbridge_session=abc; b=2", "ofbridge_session"), "abc");
    EXPECT_EQ(cookie_value("xofbridge_session=abc", "ofbridge_session"), "");
    EXPECT_EQ(cookie_value("", "ofbridge_session"), "");
}

TEST(ConsoleWeb, XmlIsIndentedAndOtherTextKept) {
    const auto pretty = pretty_xml("<a><b>x</b><c><![CDATA[</pre><script>]]></c></a>");
    EXPECT_NE(pretty.find("\n  <b>x</b>"), std::string::npos) << pretty;
    EXPECT_NE(pretty.find("<![CDATA[</pre><script>]]>"), std::string::npos) << pretty;
    EXPECT_EQ(pretty_xml("{\"json\": true}"), "{\"json\": true}");
    EXPECT_EQ(pretty_xml("<a><b>"), "<a><b>");
}

}  // namespace
}  // namespace ofbridge::console
