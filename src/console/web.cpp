#include "web.h"

#include "ofbridge/domain/percent_encoding.h"

#include <pugixml.hpp>

#include <charconv>
#include <sstream>

namespace ofbridge::console {

Params parse_form(std::string_view text) {
    Params out;
    while (!text.empty()) {
        const auto amp = text.find('&');
        const auto pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos)
            out.emplace_back(domain::form_decode(pair), "");
        else
            out.emplace_back(domain::form_decode(pair.substr(0, eq)),
                             domain::form_decode(pair.substr(eq + 1)));
    }
    return out;
}

std::string param(const Params& params, std::string_view name) {
    for (const auto& [key, value] : params)
        if (key == name) return value;
    return "";
}

std::vector<std::string> params(const Params& params, std::string_view name) {
    std::vector<std::string> out;
    for (const auto& [key, value] : params)
        if (key == name) out.push_back(value);
    return out;
}

std::optional<std::int64_t> positive(const Params& all, std::string_view name) {
    const auto text = param(all, name);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value <= 0)
        return std::nullopt;
    return value;
}

std::string cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const auto semi = header.find(';');
        auto part = header.substr(0, semi);
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        const auto eq = part.find('=');
        if (eq != std::string_view::npos && part.substr(0, eq) == name)
            return std::string(part.substr(eq + 1));
    }
    return "";
}

std::string pretty_xml(const std::string& text) {
    pugi::xml_document doc;
    const auto options = pugi::parse_default | pugi::parse_comments | pugi::parse_declaration;
    if (!doc.load_buffer(text.data(), text.size(), options, pugi::encoding_utf8)) return text;
    std::ostringstream out;
    doc.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
    return out.str();
}

}  // namespace ofbridge::console
