// JSON -> wire structs. Scalars may arrive as JSON strings or numbers (Magento's REST layer
// accepts both); they are turned back into text so the domain validates them exactly as it
// validates SOAP text. Objects of the form {"item": [...]} are accepted where an array is
// expected, because some clients mirror the SOAP shape.
#include "ofbridge/codec/json_messages.h"

#include <algorithm>
#include <boost/json.hpp>
#include <initializer_list>

#include "ofbridge/codec/secret_fields.h"

namespace ofbridge::codec {
namespace json = boost::json;
namespace {

struct Bad {
    std::string message;
};

// `storage` outlives the object: the decoders parse into a monotonic resource on their stack, so
// a 100-line message costs a few allocations rather than one per value.
json::object parse_object(std::string_view body, json::storage_ptr storage) {
    json::parse_options options;
    options.max_depth = 16;
    boost::system::error_code ec;
    auto value = json::parse(body, ec, std::move(storage), options);
    if (ec) throw Bad{"body is not valid JSON: " + ec.message()};
    if (!value.is_object()) throw Bad{"body must be a JSON object"};
    return std::move(value.as_object());
}

void reject_unknown(const json::object& object, std::string_view path,
                    std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : object)
        if (std::find(known.begin(), known.end(), std::string_view(key)) == known.end())
            throw Bad{"unknown key '" + std::string(path) + std::string(key) + "'"};
}

domain::WireText text(const json::object& object, std::string_view key, std::string_view path) {
    auto found = object.find(key);
    if (found == object.end() || found->value().is_null()) return std::nullopt;
    const auto& v = found->value();
    switch (v.kind()) {
        case json::kind::string:
            return std::string(v.get_string());
        case json::kind::int64:
            return std::to_string(v.get_int64());
        case json::kind::uint64:
            return std::to_string(v.get_uint64());
        case json::kind::bool_:
            return v.get_bool() ? "true" : "false";
        case json::kind::double_:
            return json::serialize(v);  // "2.5": the domain rejects it
        default:
            break;
    }
    throw Bad{std::string(path) + std::string(key) + ": expected a string or a number"};
}

// The items of an array-valued key: [ {...}, ... ] or {"item": [...]} or {"item": {...}}.
std::vector<const json::object*> items(const json::object& object, std::string_view key) {
    auto found = object.find(key);
    if (found == object.end() || found->value().is_null()) return {};
    const json::value* list = &found->value();
    if (list->is_object()) {
        const auto& wrapper = list->as_object();
        auto item = wrapper.find("item");
        if (wrapper.size() != 1 || item == wrapper.end())
            throw Bad{std::string(key) + ": expected an array"};
        list = &item->value();
        if (list->is_object()) return {&list->as_object()};
    }
    if (!list->is_array()) throw Bad{std::string(key) + ": expected an array"};
    std::vector<const json::object*> out;
    out.reserve(list->as_array().size());
    for (const auto& element : list->as_array()) {
        if (!element.is_object())
            throw Bad{std::string(key) + "[" + std::to_string(out.size()) +
                      "]: expected an object"};
        out.push_back(&element.as_object());
    }
    return out;
}

std::string item_path(std::string_view key, std::size_t index) {
    return std::string(key) + "[" + std::to_string(index) + "].";
}

template <typename T, typename Fn>
JsonResult<T> guarded(Fn&& fn) {
    try {
        return fn();
    } catch (const Bad& bad) {
        return JsonError{bad.message};
    }
}

}  // namespace

JsonResult<domain::WireInventoryUpdate> decode_inventory_json(std::string_view body) {
    return guarded<domain::WireInventoryUpdate>([&] {
        json::monotonic_resource resource;
        auto root = parse_object(body, &resource);
        reject_unknown(root, "", {"productQtys", "productSeqs", "messageSeqId", "sessionId"});
        domain::WireInventoryUpdate out;
        out.pairing = domain::Pairing::by_sku;
        auto qtys = items(root, "productQtys");
        out.qtys.reserve(qtys.size());
        for (std::size_t i = 0; i < qtys.size(); ++i) {
            const auto path = item_path("productQtys", i);
            reject_unknown(*qtys[i], path, {"sku", "qty", "source", "lastOrderExported"});
            out.qtys.push_back({text(*qtys[i], "sku", path), text(*qtys[i], "qty", path),
                                text(*qtys[i], "source", path),
                                text(*qtys[i], "lastOrderExported", path)});
        }
        auto seqs = items(root, "productSeqs");
        out.seqs.reserve(seqs.size());
        for (std::size_t i = 0; i < seqs.size(); ++i) {
            const auto path = item_path("productSeqs", i);
            reject_unknown(*seqs[i], path, {"sku", "seq", "lastOrderExported"});
            out.seqs.push_back({text(*seqs[i], "sku", path), text(*seqs[i], "seq", path),
                                text(*seqs[i], "lastOrderExported", path)});
        }
        out.message_seq_id = text(root, "messageSeqId", "");
        return out;
    });
}

JsonResult<domain::WireShipmentCreate> decode_shipment_json(std::string_view body) {
    return guarded<domain::WireShipmentCreate>([&] {
        json::monotonic_resource resource;
        auto root = parse_object(body, &resource);
        reject_unknown(root, "",
                       {"orderIncrementId", "skuQty", "tracks", "comment", "email",
                        "includeComment", "courierName", "serviceName", "trackingNumber",
                        "dateShipped", "messageSeqId", "sessionId"});
        domain::WireShipmentCreate out;
        out.order_increment_id = text(root, "orderIncrementId", "");
        auto skus = items(root, "skuQty");
        for (std::size_t i = 0; i < skus.size(); ++i) {
            const auto path = item_path("skuQty", i);
            reject_unknown(*skus[i], path, {"sku", "qty", "source"});
            out.items.push_back({text(*skus[i], "sku", path), text(*skus[i], "qty", path),
                                 text(*skus[i], "source", path)});
        }
        auto tracks = items(root, "tracks");
        for (std::size_t i = 0; i < tracks.size(); ++i) {
            const auto path = item_path("tracks", i);
            reject_unknown(*tracks[i], path, {"trackingNumber"});
            out.tracks.push_back(text(*tracks[i], "trackingNumber", path).value_or(""));
        }
        out.comment = text(root, "comment", "");
        out.email = text(root, "email", "");
        out.include_comment = text(root, "includeComment", "");
        out.courier_name = text(root, "courierName", "");
        out.service_name = text(root, "serviceName", "");
        out.tracking_number = text(root, "trackingNumber", "");
        out.date_shipped = text(root, "dateShipped", "");
        out.message_seq_id = text(root, "messageSeqId", "");
        return out;
    });
}

JsonResult<domain::WireExportAck> decode_export_json(std::string_view body, domain::Entity entity) {
    return guarded<domain::WireExportAck>([&] {
        json::monotonic_resource resource;
        auto root = parse_object(body, &resource);
        reject_unknown(root, "", {"reference"});
        return domain::WireExportAck{entity, text(root, "reference", "")};
    });
}

JsonResult<domain::WireCreateToken> decode_token_json(std::string_view body) {
    return guarded<domain::WireCreateToken>([&] {
        json::monotonic_resource resource;
        auto root = parse_object(body, &resource);
        reject_unknown(root, "", {"username", "password"});
        return domain::WireCreateToken{text(root, "username", ""), text(root, "password", "")};
    });
}

namespace {

// In-place masking: a scan of the (already parsed, so well-formed) JSON text that replaces the
// value of every key is_secret_field names, at any depth, by "***". Everything else,
// whitespace and number spelling included, stays byte for byte as the client sent it.
class JsonMasker {
public:
    explicit JsonMasker(std::string_view body) : body_(body) {}

    std::string run() {
        value(false);
        out_.append(body_.substr(copied_));
        return std::move(out_);
    }

private:
    void skip_space() {
        while (at_ < body_.size() && (body_[at_] == ' ' || body_[at_] == '\t' ||
                                      body_[at_] == '\n' || body_[at_] == '\r'))
            ++at_;
    }

    // A string starting at at_ (the quote): returns its text with simple escapes decoded (enough
    // to compare key names), and leaves at_ after the closing quote.
    std::string string_token() {
        std::string text;
        ++at_;
        while (at_ < body_.size() && body_[at_] != '"') {
            if (body_[at_] == '\\' && at_ + 1 < body_.size()) {
                const char escaped = body_[at_ + 1];
                if (escaped == 'u' && at_ + 5 < body_.size()) {
                    const auto code =
                        std::stoul(std::string(body_.substr(at_ + 2, 4)), nullptr, 16);
                    text += code < 0x80 ? static_cast<char>(code) : '?';
                    at_ += 6;
                    continue;
                }
                text += escaped;
                at_ += 2;
                continue;
            }
            text += body_[at_++];
        }
        ++at_;
        return text;
    }

    void replace(std::size_t begin, std::size_t end) {
        out_.append(body_.substr(copied_, begin - copied_));
        out_ += "\"***\"";
        copied_ = end;
    }

    // One value at at_; `secret`: it belongs to a secret key, so its scalars are masked.
    void value(bool secret) {
        skip_space();
        if (at_ >= body_.size()) return;
        const char c = body_[at_];
        if (c == '{') {
            ++at_;
            for (;;) {
                skip_space();
                if (at_ >= body_.size() || body_[at_] == '}') break;
                if (body_[at_] == ',') {
                    ++at_;
                    continue;
                }
                const bool secret_key = is_secret_field(string_token());
                skip_space();
                ++at_;  // ':'
                value(secret || secret_key);
            }
            ++at_;
        } else if (c == '[') {
            ++at_;
            for (;;) {
                skip_space();
                if (at_ >= body_.size() || body_[at_] == ']') break;
                if (body_[at_] == ',') {
                    ++at_;
                    continue;
                }
                value(secret);
            }
            ++at_;
        } else {
            const auto begin = at_;
            if (c == '"')
                string_token();
            else
                while (at_ < body_.size() && body_[at_] != ',' && body_[at_] != '}' &&
                       body_[at_] != ']' && body_[at_] != ' ' && body_[at_] != '\t' &&
                       body_[at_] != '\n' && body_[at_] != '\r')
                    ++at_;
            if (secret && body_.substr(begin, at_ - begin) != "null") replace(begin, at_);
        }
    }

    std::string_view body_;
    std::size_t at_ = 0;
    std::size_t copied_ = 0;
    std::string out_;
};

}  // namespace

std::string mask_json_secrets(std::string_view body) {
    boost::system::error_code ec;
    json::parse(body, ec);
    if (ec) return std::string(body);  // only decoded (valid) bodies are stored
    return JsonMasker{body}.run();
}

std::string json_string(std::string_view text) {
    return json::serialize(json::string(text));
}

std::string json_error(std::string_view message) {
    return json::serialize(json::object{{"message", message}});
}

}  // namespace ofbridge::codec
