// Text written into XML by this layer (replies, WSDL addresses) goes through one escaping
// function, so a value from the wire can never break the document it is echoed into.
#pragma once

#include <string>
#include <string_view>

namespace ofbridge::soap {

// Appends `text` escaped for element content or a double-quoted attribute. Characters XML 1.0
// cannot carry (C0 controls, invalid UTF-8) become U+FFFD so the output is always well-formed.
void append_escaped(std::string& out, std::string_view text);

}  // namespace ofbridge::soap
