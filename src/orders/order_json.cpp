// parse_orders_json: turns Magento's REST order JSON into validated Order values. Everything a
// later step relies on (whole quantities, known states, parents inside the order, unique ids) is
// checked here, before anything touches the database, so an import is refused whole with one
// message naming the order and the field instead of failing halfway through a transaction.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <boost/json.hpp>

#include "ofbridge/orders/order_store.h"

namespace ofbridge::orders {
namespace {

namespace json = boost::json;

// Nesting deeper than this is not a Magento order; refusing it early keeps hostile documents
// from costing stack or time.
constexpr unsigned max_json_depth = 32;
// Magento's own column widths: increment_id and sku are varchar(64) in sales_order /
// sales_order_item; the free-text fields are at most varchar(255).
constexpr std::size_t max_identifier_length = 64;
constexpr std::size_t max_text_length = 255;
// Whole units above 2^53 cannot come from a double exactly, and no order ships that many.
constexpr std::int64_t max_quantity = std::int64_t{1} << 53;

constexpr std::array<std::string_view, 8> magento_states = {
    "new",    "pending_payment", "processing", "complete",
    "closed", "canceled",        "holded",     "payment_review"};

// How a value appears in a message: JSON-quoted strings, plain numbers, cut short when long
// (the value comes from the wire and may be large).
std::string describe(const json::value& v) {
    std::string text;
    if (v.is_double()) {
        std::array<char, 64> buffer{};
        const auto result =
            std::to_chars(buffer.data(), buffer.data() + buffer.size(), v.as_double());
        text.assign(buffer.data(), result.ptr);
    } else {
        text = json::serialize(v);
    }
    constexpr std::size_t shown = 40;
    if (text.size() > shown) text = text.substr(0, shown) + "...";
    return text;
}

// Throws OrderImportError with the prefix that names where in the document the problem is.
class Context {
public:
    explicit Context(std::string where) : where_(std::move(where)) {}
    [[noreturn]] void fail(std::string_view field, std::string_view message) const {
        std::string text = where_;
        if (!field.empty()) {
            text += ": ";
            text += field;
        }
        text += ": ";
        text += message;
        throw OrderImportError(text);
    }
    void name_order(const std::string& increment_id) { where_ += " (" + increment_id + ")"; }

private:
    std::string where_;
};

bool has_control_characters(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

const json::value* find(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return (v != nullptr && !v->is_null()) ? v : nullptr;
}

// Optional text: absent or null gives "".
std::string read_text(const json::object& o, std::string_view key, const Context& ctx,
                      std::string_view field, std::size_t max_length = max_text_length) {
    const auto* v = find(o, key);
    if (v == nullptr) return {};
    if (!v->is_string()) ctx.fail(field, "expected a string, got " + describe(*v));
    const auto& s = v->get_string();
    if (s.size() > max_length)
        ctx.fail(field, "longer than " + std::to_string(max_length) + " bytes");
    return std::string{s};
}

std::string read_required_text(const json::object& o, std::string_view key, const Context& ctx,
                               std::string_view field, std::size_t max_length) {
    if (find(o, key) == nullptr) ctx.fail(field, "required");
    std::string s = read_text(o, key, ctx, field, max_length);
    if (s.empty()) ctx.fail(field, "must not be empty");
    return s;
}

// Identifiers (increment_id, sku) end up in logs, file names of exports and WMS messages.
std::string read_identifier(const json::object& o, std::string_view key, const Context& ctx,
                            std::string_view field) {
    std::string s = read_required_text(o, key, ctx, field, max_identifier_length);
    if (has_control_characters(s)) ctx.fail(field, "contains control characters");
    return s;
}

std::optional<std::int64_t> read_optional_id(const json::object& o, std::string_view key,
                                             const Context& ctx, std::string_view field) {
    const auto* v = find(o, key);
    if (v == nullptr) return std::nullopt;
    std::int64_t id = 0;
    if (v->is_int64()) {
        id = v->get_int64();
    } else if (v->is_uint64()) {
        ctx.fail(field, "too large: " + describe(*v));
    } else {
        ctx.fail(field, "expected an integer id, got " + describe(*v));
    }
    if (id <= 0) ctx.fail(field, "expected a positive integer id, got " + describe(*v));
    return id;
}

std::int64_t read_required_id(const json::object& o, std::string_view key, const Context& ctx,
                              std::string_view field) {
    auto id = read_optional_id(o, key, ctx, field);
    if (!id) ctx.fail(field, "required");
    return *id;
}

// "2", "2.0000": digits, optionally a fraction of zeros. Anything else is not a whole quantity.
std::optional<std::int64_t> parse_whole_decimal(std::string_view s) {
    const auto dot = s.find('.');
    const std::string_view whole = s.substr(0, dot);
    if (whole.empty() || whole.size() > 16) return std::nullopt;
    if (dot != std::string_view::npos) {
        const std::string_view fraction = s.substr(dot + 1);
        if (fraction.empty() ||
            !std::all_of(fraction.begin(), fraction.end(), [](char c) { return c == '0'; }))
            return std::nullopt;
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), value);
    if (ec != std::errc{} || end != whole.data() + whole.size()) return std::nullopt;
    return value;
}

// Quantities: whole, non-negative, as a JSON number or Magento's decimal string.
std::int64_t read_quantity(const json::object& o, std::string_view key, const Context& ctx,
                           std::string_view field, bool required) {
    const auto* v = find(o, key);
    if (v == nullptr) {
        if (required) ctx.fail(field, "required");
        return 0;
    }
    std::optional<std::int64_t> qty;
    if (v->is_int64()) {
        qty = v->get_int64();
    } else if (v->is_uint64()) {
        qty = std::nullopt;  // above INT64_MAX
    } else if (v->is_double()) {
        const double d = v->get_double();
        if (std::isfinite(d) && d == std::floor(d) &&
            std::fabs(d) <= static_cast<double>(max_quantity))
            qty = static_cast<std::int64_t>(d);
    } else if (v->is_string()) {
        qty = parse_whole_decimal(v->get_string());
    }
    if (!qty) ctx.fail(field, "expected a whole number, got " + describe(*v));
    if (*qty < 0) ctx.fail(field, "must not be negative, got " + describe(*v));
    if (*qty > max_quantity) ctx.fail(field, "too large: " + describe(*v));
    return *qty;
}

bool is_decimal_text(std::string_view s) {
    const auto dot = s.find('.');
    const std::string_view whole = s.substr(0, dot);
    const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    if (whole.empty() || whole.size() > 20 || !std::all_of(whole.begin(), whole.end(), is_digit))
        return false;
    if (dot == std::string_view::npos) return true;
    const std::string_view fraction = s.substr(dot + 1);
    return !fraction.empty() && fraction.size() <= 12 &&
           std::all_of(fraction.begin(), fraction.end(), is_digit);
}

// Prices are kept as decimal text so no rounding happens between Magento and the WMS: strings
// as sent, numbers in their shortest plain (never exponent) form.
std::string read_price(const json::object& o, std::string_view key, const Context& ctx,
                       std::string_view field) {
    const auto* v = find(o, key);
    if (v == nullptr) return "0";
    std::string text;
    if (v->is_int64()) {
        text = std::to_string(v->get_int64());
    } else if (v->is_uint64()) {
        text = std::to_string(v->get_uint64());
    } else if (v->is_double() && std::isfinite(v->get_double())) {
        std::array<char, 400> buffer{};
        const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(),
                                          v->get_double(), std::chars_format::fixed);
        if (result.ec == std::errc{}) text.assign(buffer.data(), result.ptr);
    } else if (v->is_string()) {
        text = std::string{v->get_string()};
    }
    if (!is_decimal_text(text))
        ctx.fail(field, "expected a non-negative decimal, got " + describe(*v));
    return text;
}

bool read_flag(const json::object& o, std::string_view key, const Context& ctx,
               std::string_view field) {
    const auto* v = find(o, key);
    if (v == nullptr) return false;
    if (v->is_bool()) return v->get_bool();
    if (v->is_int64() && (v->get_int64() == 0 || v->get_int64() == 1)) return v->get_int64() == 1;
    ctx.fail(field, "expected 0, 1, true or false, got " + describe(*v));
}

// Magento sends "YYYY-MM-DD HH:MM:SS" (UTC); other clients may send ISO 8601 with a 'T' and an
// optional 'Z'. Both are stored in Magento's form so text order stays time order.
std::optional<std::string> normalise_timestamp(std::string_view s) {
    if (s.size() == 20 && s.back() == 'Z') s.remove_suffix(1);
    if (s.size() != 19) return std::nullopt;
    if (s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
        s[16] != ':')
        return std::nullopt;
    const auto number = [&](std::size_t pos, std::size_t len) -> int {
        int value = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            if (s[i] < '0' || s[i] > '9') return -1;
            value = value * 10 + (s[i] - '0');
        }
        return value;
    };
    const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
    const int hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
    if (year < 1970 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
        minute > 59 || second < 0 || second > 59)
        return std::nullopt;
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    constexpr std::array<int, 12> days_in_month = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int last_day =
        days_in_month[static_cast<std::size_t>(month - 1)] + (month == 2 && leap ? 1 : 0);
    if (day > last_day) return std::nullopt;
    std::string out{s};
    out[10] = ' ';
    return out;
}

std::string read_timestamp(const json::object& o, std::string_view key, const Context& ctx,
                           std::string_view field, bool required) {
    const auto* v = find(o, key);
    if (v == nullptr) {
        if (required) ctx.fail(field, "required");
        return {};
    }
    std::optional<std::string> normalised;
    if (v->is_string()) normalised = normalise_timestamp(v->get_string());
    if (!normalised) ctx.fail(field, "expected \"YYYY-MM-DD HH:MM:SS\" (UTC), got " + describe(*v));
    return *normalised;
}

// An address object as received, compact; absent or null gives "{}".
std::string read_address(const json::value* v, const Context& ctx, std::string_view field) {
    if (v == nullptr || v->is_null()) return "{}";
    if (!v->is_object()) ctx.fail(field, "expected an object, got " + describe(*v));
    return json::serialize(*v);
}

// extension_attributes.shipping_assignments[0].shipping: where Magento 2 puts the shipping
// address and method. Orders without it (virtual orders, Magento 1 shapes) keep the defaults.
void read_shipping(const json::object& o, const Context& ctx, Order& order) {
    const auto* ext = find(o, "extension_attributes");
    if (ext == nullptr) return;
    if (!ext->is_object())
        ctx.fail("extension_attributes", "expected an object, got " + describe(*ext));
    const auto* assignments = find(ext->get_object(), "shipping_assignments");
    if (assignments == nullptr) return;
    constexpr std::string_view assignments_field = "extension_attributes.shipping_assignments";
    if (!assignments->is_array())
        ctx.fail(assignments_field, "expected an array, got " + describe(*assignments));
    if (assignments->get_array().empty()) return;
    const auto& first = assignments->get_array().front();
    if (!first.is_object())
        ctx.fail("extension_attributes.shipping_assignments[0]",
                 "expected an object, got " + describe(first));
    const auto* shipping = find(first.get_object(), "shipping");
    if (shipping == nullptr) return;
    if (!shipping->is_object())
        ctx.fail("extension_attributes.shipping_assignments[0].shipping",
                 "expected an object, got " + describe(*shipping));
    const auto& s = shipping->get_object();
    order.shipping_address_json = read_address(
        find(s, "address"), ctx, "extension_attributes.shipping_assignments[0].shipping.address");
    order.shipping_method =
        read_text(s, "method", ctx, "extension_attributes.shipping_assignments[0].shipping.method");
}

OrderItem read_item(const json::value& v, std::size_t index, const Context& ctx) {
    const std::string at = "items[" + std::to_string(index) + "]";
    if (!v.is_object()) ctx.fail(at, "expected an object, got " + describe(v));
    const auto& o = v.get_object();
    const auto field = [&](std::string_view name) { return at + "." + std::string{name}; };
    OrderItem item;
    item.item_id = read_required_id(o, "item_id", ctx, field("item_id"));
    item.parent_item_id = read_optional_id(o, "parent_item_id", ctx, field("parent_item_id"));
    item.sku = read_identifier(o, "sku", ctx, field("sku"));
    item.name = read_text(o, "name", ctx, field("name"));
    item.product_type =
        read_text(o, "product_type", ctx, field("product_type"), max_identifier_length);
    if (item.product_type.empty()) item.product_type = "simple";
    item.qty_ordered = read_quantity(o, "qty_ordered", ctx, field("qty_ordered"), true);
    item.qty_invoiced = read_quantity(o, "qty_invoiced", ctx, field("qty_invoiced"), false);
    item.qty_shipped = read_quantity(o, "qty_shipped", ctx, field("qty_shipped"), false);
    item.qty_canceled = read_quantity(o, "qty_canceled", ctx, field("qty_canceled"), false);
    if (item.qty_shipped + item.qty_canceled > item.qty_ordered)
        ctx.fail(at, "qty_shipped (" + std::to_string(item.qty_shipped) + ") + qty_canceled (" +
                         std::to_string(item.qty_canceled) + ") exceed qty_ordered (" +
                         std::to_string(item.qty_ordered) + ")");
    item.price = read_price(o, "price", ctx, field("price"));
    return item;
}

// Ids unique within the order; every parent is another line of the same order.
void check_item_links(const std::vector<OrderItem>& items, const Context& ctx) {
    std::map<std::int64_t, std::size_t> index_of;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto [it, inserted] = index_of.emplace(items[i].item_id, i);
        if (!inserted)
            ctx.fail("items[" + std::to_string(i) + "].item_id",
                     "duplicate of items[" + std::to_string(it->second) + "] (item_id " +
                         std::to_string(items[i].item_id) + ")");
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto& parent = items[i].parent_item_id;
        if (!parent) continue;
        const std::string field = "items[" + std::to_string(i) + "].parent_item_id";
        if (*parent == items[i].item_id) ctx.fail(field, "an item cannot be its own parent");
        if (!index_of.contains(*parent))
            ctx.fail(field, "no item with item_id " + std::to_string(*parent) + " in this order");
    }
}

Order read_order(const json::value& v, std::size_t number, const std::string& store_code) {
    Context ctx("order " + std::to_string(number));
    if (!v.is_object()) ctx.fail("", "expected an object, got " + describe(v));
    const auto& o = v.get_object();
    Order order;
    order.increment_id = read_identifier(o, "increment_id", ctx, "increment_id");
    ctx.name_order(order.increment_id);
    order.entity_id = read_optional_id(o, "entity_id", ctx, "entity_id");
    order.store_code = store_code;
    order.state = read_required_text(o, "state", ctx, "state", max_identifier_length);
    if (std::find(magento_states.begin(), magento_states.end(), order.state) ==
        magento_states.end())
        ctx.fail("state",
                 "expected one of new, pending_payment, processing, complete, closed, canceled, "
                 "holded, payment_review, got " +
                     describe(*find(o, "state")));
    order.status = read_required_text(o, "status", ctx, "status", max_identifier_length);
    order.created_at = read_timestamp(o, "created_at", ctx, "created_at", true);
    order.updated_at = read_timestamp(o, "updated_at", ctx, "updated_at", false);
    if (order.updated_at.empty()) order.updated_at = order.created_at;
    order.customer_email = read_text(o, "customer_email", ctx, "customer_email");
    order.customer_firstname = read_text(o, "customer_firstname", ctx, "customer_firstname");
    order.customer_lastname = read_text(o, "customer_lastname", ctx, "customer_lastname");
    order.billing_address_json =
        read_address(o.if_contains("billing_address"), ctx, "billing_address");
    read_shipping(o, ctx, order);
    order.is_virtual = read_flag(o, "is_virtual", ctx, "is_virtual");

    const auto* items = find(o, "items");
    if (items == nullptr) ctx.fail("items", "required");
    if (!items->is_array()) ctx.fail("items", "expected an array, got " + describe(*items));
    const auto& lines = items->get_array();
    if (lines.empty()) ctx.fail("items", "an order needs at least one item");
    if (lines.size() > max_items_per_order)
        ctx.fail("items", "more than " + std::to_string(max_items_per_order) + " items");
    order.items.reserve(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i)
        order.items.push_back(read_item(lines[i], i, ctx));
    check_item_links(order.items, ctx);
    order.raw_json = json::serialize(v);
    return order;
}

}  // namespace

std::vector<Order> parse_orders_json(std::string_view text, const std::string& store_code) {
    if (store_code.empty() || store_code.size() > max_identifier_length ||
        has_control_characters(store_code))
        throw OrderImportError("store code '" + store_code + "' is not a valid store code");

    json::parse_options options;
    options.max_depth = max_json_depth;
    std::error_code ec;
    json::monotonic_resource resource;
    const json::value document = json::parse(text, ec, &resource, options);
    if (ec == json::error::too_deep)
        throw OrderImportError("invalid JSON: nested more than " + std::to_string(max_json_depth) +
                               " levels");
    if (ec) throw OrderImportError("invalid JSON: " + ec.message());

    // One order carries its increment_id; Magento's search result ({"items": [...],
    // "total_count": N, "search_criteria": {...}}) does not. An order's own "items" are its
    // lines, so the increment_id decides, not the presence of "items".
    if (!document.is_object())
        throw OrderImportError("document: expected an order object or {\"items\": [...]}, got " +
                               describe(document));
    const auto& top = document.get_object();
    std::vector<Order> orders;
    if (top.contains("increment_id")) {
        orders.push_back(read_order(document, 1, store_code));
        return orders;
    }
    const auto* list = top.if_contains("items");
    if (list == nullptr || !list->is_array())
        throw OrderImportError(
            "document: expected an order (with increment_id) or {\"items\": [orders]}");
    const auto& values = list->get_array();
    if (values.size() > max_orders_per_document)
        throw OrderImportError("document: more than " + std::to_string(max_orders_per_document) +
                               " orders");
    orders.reserve(values.size());
    std::map<std::string, std::size_t, std::less<>> number_of;
    for (std::size_t i = 0; i < values.size(); ++i) {
        Order order = read_order(values[i], i + 1, store_code);
        const auto [it, inserted] = number_of.emplace(order.increment_id, i + 1);
        if (!inserted)
            throw OrderImportError("order " + std::to_string(i + 1) + " (" + order.increment_id +
                                   "): increment_id: duplicate of order " +
                                   std::to_string(it->second));
        orders.push_back(std::move(order));
    }
    return orders;
}

}  // namespace ofbridge::orders
