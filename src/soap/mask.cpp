// Secret masking. On the request path the gate notes the secret text while it checks the one
// parse (gate.h) and decode() masks from those ranges; mask_secrets() is the same masking for a
// body on its own (a stored body shown again, a body that never passed decode()).
#include "mask.h"

#include <pugixml.hpp>

#include "gate.h"
#include "ofbridge/soap/codec.h"
#include "xml_text.h"

namespace ofbridge::soap {
namespace mask {

std::string apply(std::string_view body,
                  const std::vector<std::pair<std::size_t, std::size_t>>& ranges) {
    std::string out;
    out.reserve(body.size());
    std::size_t copied = 0;
    for (const auto& [begin, length] : ranges) {
        if (begin < copied || begin + length > body.size()) continue;
        out.append(body.substr(copied, begin - copied));
        out += "***";
        copied = begin + length;
    }
    out.append(body.substr(copied));
    return out;
}

}  // namespace mask

namespace {

// Fallback for bodies pugixml refuses: mask the text after every `<prefix:secret ...>` up to the
// next '<'. Less precise (CDATA, comments), but a malformed body must not leak a password either.
std::vector<std::pair<std::size_t, std::size_t>> scan_secret_ranges(std::string_view body,
                                                                    SecretName is_secret) {
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    for (auto open = body.find('<'); open != std::string_view::npos;
         open = body.find('<', open + 1)) {
        auto name_end = body.find_first_of(" \t\r\n/>", open + 1);
        if (name_end == std::string_view::npos) break;
        if (!is_secret(xml::local_name(body.substr(open + 1, name_end - open - 1)))) continue;
        auto tag_end = body.find('>', name_end);
        if (tag_end == std::string_view::npos) break;
        if (body[tag_end - 1] == '/') continue;  // <sessionId/>
        auto text_end = body.find('<', tag_end + 1);
        if (text_end == std::string_view::npos) text_end = body.size();
        ranges.emplace_back(tag_end + 1, text_end - tag_end - 1);
    }
    return ranges;
}

}  // namespace

std::string mask_secrets(std::string_view body, SecretName is_secret) {
    pugi::xml_document document;
    if (!document.load_buffer(body.data(), body.size(), gate::parse_options, pugi::encoding_utf8))
        return mask::apply(body, scan_secret_ranges(body, is_secret));
    // Document order, as the gate walks it: the ranges come out ascending.
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    for (auto node = document.first_child(); node;) {
        if (node.type() == pugi::node_element) gate::add_secret_text(node, is_secret, ranges);
        if (node.type() == pugi::node_element && node.first_child()) {
            node = node.first_child();
            continue;
        }
        while (node && !node.next_sibling()) node = node.parent();
        if (node) node = node.next_sibling();
    }
    return mask::apply(body, ranges);
}

}  // namespace ofbridge::soap
