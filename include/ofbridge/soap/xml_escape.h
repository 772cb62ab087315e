// Text written into XML by ofbridge (SOAP replies, served WSDLs, the export's <imports>
// documents) goes through one escaper, so a value from the wire or a store can never break the
// document it is written into. Characters XML 1.0 cannot carry (C0 controls, invalid UTF-8)
// become U+FFFD, so the output is always well-formed.
#pragma once

#include <string>
#include <string_view>

namespace ofbridge::soap {

// Appends `text` escaped for element content: & < > " as entities, CR as &#13; (a parser would
// turn a raw CR into LF), tab and LF as they are.
void append_escaped(std::string& out, std::string_view text);

// Appends `text` escaped for a double-quoted attribute value: as append_escaped, and tab and LF
// as &#9; and &#10; too, since attribute-value normalisation turns raw ones into spaces.
void append_escaped_attribute(std::string& out, std::string_view text);

}  // namespace ofbridge::soap
