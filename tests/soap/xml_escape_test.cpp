// The one XML escaper (replies, WSDLs, the export's <imports>): what goes in comes back out of a
// parser, in element content and in attribute values, and nothing XML cannot carry gets through.
#include "ofbridge/soap/xml_escape.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "gate.h"

namespace ofbridge::soap {
namespace {

// Parses `<e a="ATTR">TEXT</e>` with pugixml's defaults (which normalise attribute whitespace as
// the XML spec says) and returns the attribute value and the text.
std::pair<std::string, std::string> round_trip(std::string_view value) {
    std::string xml = "<e a=\"";
    append_escaped_attribute(xml, value);
    xml += "\">";
    append_escaped(xml, value);
    xml += "</e>";
    EXPECT_EQ(gate::check_raw_bytes(xml), "") << xml;
    pugi::xml_document doc;
    EXPECT_TRUE(doc.load_buffer(xml.data(), xml.size())) << xml;
    const auto e = doc.child("e");
    return {e.attribute("a").value(), e.child_value()};
}

TEST(XmlEscape, MarkupCharactersAreEntities) {
    std::string out;
    append_escaped(out, R"(a&b<c>d"e)");
    EXPECT_EQ(out, "a&amp;b&lt;c&gt;d&quot;e");
    out.clear();
    append_escaped_attribute(out, R"(a&b<c>d"e)");
    EXPECT_EQ(out, "a&amp;b&lt;c&gt;d&quot;e");
}

TEST(XmlEscape, ContentKeepsTabAndNewlineAndReferencesCarriageReturn) {
    std::string out;
    append_escaped(out, "a\tb\nc\rd");
    EXPECT_EQ(out, "a\tb\nc&#13;d");
}

TEST(XmlEscape, AttributeReferencesTabNewlineAndCarriageReturn) {
    std::string out;
    append_escaped_attribute(out, "a\tb\nc\rd");
    EXPECT_EQ(out, "a&#9;b&#10;c&#13;d");
}

TEST(XmlEscape, WhitespaceSurvivesAParserInBothPlaces) {
    const auto [attribute, text] = round_trip("line 1\nline 2\r\n\tend & <more>");
    EXPECT_EQ(attribute, "line 1\nline 2\r\n\tend & <more>");
    EXPECT_EQ(text, "line 1\nline 2\r\n\tend & <more>");
}

TEST(XmlEscape, ControlsAndBadUtf8BecomeReplacementCharacters) {
    const std::string replacement = "\xEF\xBF\xBD";
    const auto [attribute, text] = round_trip(std::string("a\x01z\xFF\xC3\xA9", 6));
    EXPECT_EQ(attribute, "a" + replacement + "z" + replacement + "\xC3\xA9");
    EXPECT_EQ(text, attribute);
}

}  // namespace
}  // namespace ofbridge::soap
