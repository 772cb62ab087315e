// Reading names and values out of the raw pugixml document the gate parsed (gate.h): pugixml
// leaves references and line ends as sent, so the checks see the raw text and these helpers
// give the value an XML processor would (XML 1.0 §2.11 line ends, §4.6 predefined entities,
// character references). They assume the gate has already checked the references.
#pragma once

#include <cstdint>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>

namespace ofbridge::soap::xml {

inline std::string_view local_name(std::string_view qualified) {
    const auto colon = qualified.find(':');
    return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

inline std::string_view prefix_of(std::string_view qualified) {
    const auto colon = qualified.find(':');
    return colon == std::string_view::npos ? std::string_view{} : qualified.substr(0, colon);
}

// "<qualified:name>", as faults name elements.
inline std::string describe(pugi::xml_node element) {
    return "<" + std::string(element.name()) + ">";
}

// Appends code point `cp` (at most U+10FFFF, not a surrogate) encoded as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp);

// Appends the value of raw (checked) text: references decoded, CR LF and lone CR read as LF.
void append_value(std::string& out, std::string_view raw);

// The value of a raw text or CDATA node: CDATA has no references, only line ends.
void append_cdata(std::string& out, std::string_view raw);

// The namespace URI bound to `prefix` at `element` ("" = default namespace), nullopt if
// undeclared (or undeclared again by xmlns="").
std::optional<std::string> resolve_prefix(pugi::xml_node element, std::string_view prefix);

}  // namespace ofbridge::soap::xml
