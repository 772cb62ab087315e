// Bodies in other declared encodings, turned into UTF-8 before the gate sees them.
//
// The gate and the decoder read UTF-8 only. WMS toolkits also send ISO-8859-1 with an XML
// declaration saying so, and UTF-16 with a byte order mark. The encoding is decided as libxml2 (and
// so PHP's SoapServer) does: a byte order mark first, then the XML declaration, then the
// Content-Type charset, else UTF-8. Clients send "charset=utf-8" whatever the body is, so the
// document's own declaration counts first. A transcoded body gets its declaration rewritten to
// encoding="UTF-8", so the result is one self-consistent UTF-8 document: it is what the gate
// checks, the decoder reads and the queue stores (the same bytes re-delivered transcode to the same
// text, so dedupe holds).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ofbridge::soap::transcode {

struct Result {
    std::optional<std::string> utf8;  // nullopt: the body is (declared) UTF-8, use it as is
    std::string problem;  // non-empty: the encoding is unknown or the bytes don't fit it
};

Result to_utf8(std::string_view body, std::string_view content_type);

}  // namespace ofbridge::soap::transcode
