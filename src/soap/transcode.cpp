// Declared encodings to UTF-8: ISO-8859-1, US-ASCII and UTF-16 (LE/BE, with a byte order mark
// or detected from "<?" as XML 1.0 Appendix F does). See transcode.h for the order of evidence.
#include "transcode.h"

#include <algorithm>
#include <cstdint>

#include "xml_text.h"

namespace ofbridge::soap::transcode {
namespace {

constexpr std::string_view accepted = "only UTF-8, UTF-16, ISO-8859-1 and US-ASCII are accepted";

enum class Encoding { utf8, utf16le, utf16be, latin1, ascii, utf16_declared, unknown };

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view space = " \t\r\n";
    const auto first = s.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

Encoding by_name(std::string_view name) {
    const auto lower = lowercase(name);
    if (lower.empty() || lower == "utf-8" || lower == "utf8") return Encoding::utf8;
    if (lower == "iso-8859-1" || lower == "iso_8859-1" || lower == "iso8859-1" ||
        lower == "latin1" || lower == "latin-1" || lower == "l1")
        return Encoding::latin1;
    if (lower == "us-ascii" || lower == "ascii") return Encoding::ascii;
    if (lower == "utf-16" || lower == "utf-16le" || lower == "utf-16be" || lower == "utf16")
        return Encoding::utf16_declared;
    return Encoding::unknown;
}

// The `charset` parameter of a Content-Type, quotes removed ("" if none).
std::string_view charset_of(std::string_view content_type) {
    for (auto semicolon = content_type.find(';'); semicolon != std::string_view::npos;
         semicolon = content_type.find(';')) {
        content_type.remove_prefix(semicolon + 1);
        auto parameter = trim(content_type.substr(0, content_type.find(';')));
        const auto equals = parameter.find('=');
        if (equals == std::string_view::npos) continue;
        if (lowercase(trim(parameter.substr(0, equals))) != "charset") continue;
        auto value = trim(parameter.substr(equals + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        return value;
    }
    return {};
}

// Where the value of encoding="..." sits in a leading XML declaration (ASCII-compatible text).
struct DeclaredEncoding {
    std::size_t begin = 0;
    std::size_t size = 0;
    bool found = false;
};

DeclaredEncoding declared_encoding(std::string_view text) {
    DeclaredEncoding out;
    std::size_t start = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    if (text.substr(start, 5) != "<?xml") return out;
    const auto end = text.find("?>", start);
    if (end == std::string_view::npos) return out;
    const auto declaration = text.substr(0, end);
    auto at = declaration.find("encoding", start + 5);
    if (at == std::string_view::npos) return out;
    at = declaration.find_first_not_of(" \t\r\n", at + 8);
    if (at == std::string_view::npos || declaration[at] != '=') return out;
    at = declaration.find_first_not_of(" \t\r\n", at + 1);
    if (at == std::string_view::npos || (declaration[at] != '"' && declaration[at] != '\''))
        return out;
    const auto close = declaration.find(declaration[at], at + 1);
    if (close == std::string_view::npos) return out;
    out.begin = at + 1;
    out.size = close - at - 1;
    out.found = true;
    return out;
}

Result failed(std::string problem) {
    return Result{std::nullopt, std::move(problem)};
}

Result from_utf16(std::string_view body, bool little_endian) {
    if (body.size() % 2 != 0) return failed("a UTF-16 body with an odd number of bytes");
    const auto unit = [&](std::size_t i) {
        const auto a = static_cast<unsigned char>(body[i]);
        const auto b = static_cast<unsigned char>(body[i + 1]);
        return static_cast<std::uint32_t>(little_endian ? (b << 8 | a) : (a << 8 | b));
    };
    std::string out;
    out.reserve(body.size() / 2 + body.size() / 8);
    for (std::size_t i = 0; i < body.size(); i += 2) {
        std::uint32_t cp = unit(i);
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return failed("an unpaired UTF-16 surrogate at byte " + std::to_string(i));
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (i + 4 > body.size() || unit(i + 2) < 0xDC00 || unit(i + 2) > 0xDFFF)
                return failed("an unpaired UTF-16 surrogate at byte " + std::to_string(i));
            cp = 0x10000 + ((cp - 0xD800) << 10) + (unit(i + 2) - 0xDC00);
            i += 2;
        }
        xml::append_utf8(out, cp);
    }
    const auto declared = declared_encoding(out);
    if (declared.found && by_name(std::string_view(out).substr(declared.begin, declared.size)) !=
                              Encoding::utf16_declared)
        return failed("a UTF-16 body whose XML declaration says encoding " +
                      out.substr(declared.begin, declared.size));
    if (declared.found) out.replace(declared.begin, declared.size, "UTF-8");
    return Result{std::move(out), {}};
}

}  // namespace

Result to_utf8(std::string_view body, std::string_view content_type) {
    if (body.starts_with("\xFF\xFE")) return from_utf16(body.substr(2), true);
    if (body.starts_with("\xFE\xFF")) return from_utf16(body.substr(2), false);
    if (body.starts_with(std::string_view{"<\0?\0", 4})) return from_utf16(body, true);
    if (body.starts_with(std::string_view{"\0<\0?", 4})) return from_utf16(body, false);
    if (body.starts_with("\xEF\xBB\xBF")) return {};  // UTF-8 by its byte order mark

    const auto declared = declared_encoding(body);
    const auto charset = charset_of(content_type);
    const auto name = declared.found ? body.substr(declared.begin, declared.size) : charset;
    const auto encoding = by_name(name);
    switch (encoding) {
        case Encoding::utf8:
            return {};  // a contradicting declaration is the gate's to refuse
        case Encoding::utf16_declared:
            return failed("encoding " + std::string(name) +
                          " is declared but the body is not UTF-16 (it has no byte order mark "
                          "and does not start with '<?' in UTF-16); " +
                          std::string(accepted));
        case Encoding::unknown:
            return failed("encoding " + std::string(name) + " is not supported; " +
                          std::string(accepted));
        default:
            break;
    }
    std::string out;
    out.reserve(body.size() + body.size() / 8);
    for (std::size_t i = 0; i < body.size(); ++i) {
        const auto byte = static_cast<unsigned char>(body[i]);
        if (byte >= 0x80 && encoding == Encoding::ascii)
            return failed("byte " + std::to_string(byte) + " at offset " + std::to_string(i) +
                          " in a body declared US-ASCII");
        xml::append_utf8(out, byte);  // ISO-8859-1 is the first 256 code points
    }
    if (const auto rewritten = declared_encoding(out); rewritten.found)
        out.replace(rewritten.begin, rewritten.size, "UTF-8");
    return Result{std::move(out), {}};
}

}  // namespace ofbridge::soap::transcode
