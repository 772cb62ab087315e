// parse_orders_json: every field read from the sample documents, both date forms, decimal
// strings, the search-result wrapper, and one test per validation message (each must name the
// order and the field, since that message is all an operator sees).
#include <cctype>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "ofbridge/orders/order_store.h"

namespace ofbridge::orders {
namespace {

std::string read_sample(const std::string& name) {
    std::ifstream in(std::string{OFBRIDGE_ORDERS_TEST_DATA} + "/" + name, std::ios::binary);
    EXPECT_TRUE(in) << name;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A minimal valid order with one line; tests splice in the field they are about.
std::string order_json(const std::string& header_extra = "", const std::string& items = "",
                       const std::string& increment_id = "100000001") {
    return R"({"increment_id": ")" + increment_id +
           R"(", "state": "processing", "status": "processing",)"
           R"( "created_at": "2026-01-02 03:04:05",)" +
           header_extra + R"( "items": [)" +
           (items.empty() ? R"({"item_id": 1, "sku": "SKU-1", "qty_ordered": 1})" : items) + "]}";
}

// The message of the OrderImportError `json` raises, or "" when it parses.
std::string error_of(const std::string& json) {
    try {
        parse_orders_json(json, "default");
    } catch (const OrderImportError& e) {
        return e.what();
    }
    return "";
}

TEST(ParseOrders, ThreeLineOrderReadsEveryField) {
    const auto orders = parse_orders_json(read_sample("order_three_lines.json"), "uk");
    ASSERT_EQ(orders.size(), 1u);
    const Order& o = orders[0];
    EXPECT_EQ(o.increment_id, "000000101");
    EXPECT_EQ(o.entity_id, 101);
    EXPECT_EQ(o.store_code, "uk");
    EXPECT_EQ(o.state, "processing");
    EXPECT_EQ(o.status, "processing");
    EXPECT_EQ(o.created_at, "2026-03-02 09:15:42");
    EXPECT_EQ(o.updated_at, "2026-03-02 09:16:05");
    EXPECT_EQ(o.customer_email, "jane.doe@example.com");
    EXPECT_EQ(o.customer_firstname, "Jane");
    EXPECT_EQ(o.customer_lastname, "Doe");
    EXPECT_NE(o.billing_address_json.find(R"("address_type":"billing")"), std::string::npos)
        << o.billing_address_json;
    EXPECT_EQ(o.billing_address_json.find("\": "), std::string::npos) << "stored compact";
    EXPECT_NE(o.shipping_address_json.find(R"("address_type":"shipping")"), std::string::npos);
    EXPECT_EQ(o.shipping_method, "flatrate_flatrate");
    EXPECT_FALSE(o.is_virtual);
    EXPECT_EQ(o.export_status, "pending");
    EXPECT_NE(o.raw_json.find(R"("base_grand_total")"), std::string::npos)
        << "raw_json keeps keys the store does not";
    ASSERT_EQ(o.items.size(), 3u);
    EXPECT_EQ(o.items[0].item_id, 301);
    EXPECT_FALSE(o.items[0].parent_item_id);
    EXPECT_EQ(o.items[0].sku, "SKU-A");
    EXPECT_EQ(o.items[0].name, "Alpha Widget");
    EXPECT_EQ(o.items[0].product_type, "simple");
    EXPECT_EQ(o.items[0].qty_ordered, 2);
    EXPECT_EQ(o.items[0].qty_invoiced, 2);
    EXPECT_EQ(o.items[0].qty_shipped, 0);
    EXPECT_EQ(o.items[0].qty_canceled, 0);
    EXPECT_EQ(o.items[0].price, "9.95");
    // Quantities and price as Magento's decimal strings.
    EXPECT_EQ(o.items[1].sku, "SKU-B");
    EXPECT_EQ(o.items[1].qty_ordered, 1);
    EXPECT_EQ(o.items[1].qty_invoiced, 1);
    EXPECT_EQ(o.items[1].price, "20.0000");
    EXPECT_EQ(o.items[2].sku, "SKU-C");
    EXPECT_EQ(o.items[2].qty_ordered, 3);
    EXPECT_EQ(o.items[2].price, "10");
}

TEST(ParseOrders, ConfigurableParentAndChildAndIsoDates) {
    const auto orders = parse_orders_json(read_sample("order_configurable.json"), "default");
    ASSERT_EQ(orders.size(), 1u);
    const Order& o = orders[0];
    EXPECT_EQ(o.created_at, "2026-03-03 14:02:11");
    EXPECT_EQ(o.updated_at, "2026-03-03 14:05:00");
    EXPECT_FALSE(o.is_virtual);
    EXPECT_EQ(o.shipping_method, "tablerate_bestway");
    ASSERT_EQ(o.items.size(), 2u);
    EXPECT_EQ(o.items[0].sku, "TSHIRT");
    EXPECT_EQ(o.items[0].product_type, "configurable");
    EXPECT_FALSE(o.items[0].parent_item_id) << "null parent_item_id is no parent";
    EXPECT_EQ(o.items[0].qty_ordered, 2);
    EXPECT_EQ(o.items[1].sku, "TSHIRT-RED-M");
    EXPECT_EQ(o.items[1].parent_item_id, 401);
    EXPECT_EQ(o.items[1].qty_ordered, 2);
    EXPECT_EQ(o.items[1].price, "0.0000");
}

TEST(ParseOrders, SearchResultWrapper) {
    const auto orders = parse_orders_json(read_sample("orders_search_result.json"), "default");
    ASSERT_EQ(orders.size(), 2u);
    EXPECT_EQ(orders[0].increment_id, "000000103");
    EXPECT_EQ(orders[0].items.size(), 2u);
    EXPECT_EQ(orders[1].increment_id, "000000104");
    EXPECT_EQ(orders[1].state, "new");
    EXPECT_EQ(orders[1].status, "pending");
    EXPECT_EQ(orders[1].items[0].qty_invoiced, 0) << "absent quantities are 0";
    // raw_json is the order, not the wrapper.
    EXPECT_EQ(orders[0].raw_json.find("total_count"), std::string::npos);
    EXPECT_EQ(parse_orders_json(R"({"items": [], "total_count": 0})", "default").size(), 0u);
}

TEST(ParseOrders, InvalidSampleNamesOrderAndField) {
    EXPECT_EQ(
        error_of(read_sample("order_invalid.json")),
        R"(order 1 (000000105): items[1].qty_ordered: expected a whole number, got "1.5000")");
}

TEST(ParseOrders, DefaultsForOptionalFields) {
    const auto o = parse_orders_json(order_json(), "default").at(0);
    EXPECT_FALSE(o.entity_id);
    EXPECT_EQ(o.updated_at, o.created_at) << "updated_at defaults to created_at";
    EXPECT_EQ(o.customer_email, "");
    EXPECT_EQ(o.billing_address_json, "{}");
    EXPECT_EQ(o.shipping_address_json, "{}");
    EXPECT_EQ(o.shipping_method, "");
    EXPECT_FALSE(o.is_virtual);
    EXPECT_EQ(o.items[0].product_type, "simple");
    EXPECT_EQ(o.items[0].price, "0");
    EXPECT_EQ(o.items[0].name, "");
}

TEST(ParseOrders, FlagsNumbersAndNulls) {
    auto o = parse_orders_json(order_json(R"( "is_virtual": true, "customer_email": null,)"
                                          R"( "billing_address": null, "updated_at": null,)"),
                               "default")
                 .at(0);
    EXPECT_TRUE(o.is_virtual);
    EXPECT_EQ(o.customer_email, "");
    EXPECT_EQ(o.billing_address_json, "{}");
    o = parse_orders_json(order_json(R"( "is_virtual": 1,)"), "default").at(0);
    EXPECT_TRUE(o.is_virtual);
    o = parse_orders_json(
            order_json("", R"({"item_id": 7, "sku": "S", "qty_ordered": 4.0, "qty_shipped": "1",)"
                           R"( "qty_canceled": 3, "price": 12.5, "product_type": null})"),
            "default")
            .at(0);
    EXPECT_EQ(o.items[0].qty_ordered, 4);
    EXPECT_EQ(o.items[0].qty_shipped, 1);
    EXPECT_EQ(o.items[0].qty_canceled, 3);
    EXPECT_EQ(o.items[0].price, "12.5");
    EXPECT_EQ(o.items[0].product_type, "simple");
}

TEST(ParseOrders, ExtraShippingAssignmentShapes) {
    // No assignments (virtual orders) and an empty list both keep the defaults.
    auto o = parse_orders_json(order_json(R"( "extension_attributes": {"applied_taxes": []},)"),
                               "default")
                 .at(0);
    EXPECT_EQ(o.shipping_method, "");
    o = parse_orders_json(order_json(R"( "extension_attributes": {"shipping_assignments": []},)"),
                          "default")
            .at(0);
    EXPECT_EQ(o.shipping_address_json, "{}");
}

struct ErrorCase {
    const char* what;
    std::string json;
    std::string message;
};

// Failure output and test names show what the case is about, not the struct's bytes.
void PrintTo(const ErrorCase& c, std::ostream* out) {
    *out << c.what;
}

std::string case_name(const ::testing::TestParamInfo<ErrorCase>& info) {
    std::string name = info.param.what;
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return name;
}

class ParseOrdersError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParseOrdersError, MessageNamesOrderAndField) {
    EXPECT_EQ(error_of(GetParam().json), GetParam().message) << GetParam().what;
}

const std::string item_ok = R"({"item_id": 1, "sku": "SKU-1", "qty_ordered": 1})";

std::string base_order_without(const std::string& key) {
    std::string fields[] = {R"("increment_id": "100000001")", R"("state": "processing")",
                            R"("status": "processing")", R"("created_at": "2026-01-02 03:04:05")",
                            R"("items": [)" + item_ok + "]"};
    const std::string names[] = {"increment_id", "state", "status", "created_at", "items"};
    std::string out = "{";
    for (std::size_t i = 0; i < 5; ++i) {
        if (names[i] == key) continue;
        if (out.size() > 1) out += ", ";
        out += fields[i];
    }
    return out + "}";
}

const std::string O = "order 1 (100000001): ";

INSTANTIATE_TEST_SUITE_P(
    Validation, ParseOrdersError,
    ::testing::Values(
        ErrorCase{"not JSON", "{", "invalid JSON: incomplete JSON"},
        ErrorCase{"array at the top", "[]",
                  R"(document: expected an order object or {"items": [...]}, got [])"},
        ErrorCase{"neither order nor wrapper", R"({"total_count": 1})",
                  R"(document: expected an order (with increment_id) or {"items": [orders]})"},
        ErrorCase{"too deep", std::string(40, '[') + std::string(40, ']'),
                  "invalid JSON: nested more than 32 levels"},
        ErrorCase{"wrapper item not an object", R"({"items": [5]})",
                  "order 1: expected an object, got 5"},
        ErrorCase{"missing increment_id",
                  R"({"items": [)" + base_order_without("increment_id") + "]}",
                  "order 1: increment_id: required"},
        ErrorCase{"empty increment_id", order_json("", "", ""),
                  "order 1: increment_id: must not be empty"},
        ErrorCase{"long increment_id", order_json("", "", std::string(65, '9')),
                  "order 1: increment_id: longer than 64 bytes"},
        ErrorCase{"numeric increment_id", R"({"increment_id": 12, "items": []})",
                  "order 1: increment_id: expected a string, got 12"},
        ErrorCase{"missing state", base_order_without("state"), O + "state: required"},
        ErrorCase{"missing status", base_order_without("status"), O + "status: required"},
        ErrorCase{"missing created_at", base_order_without("created_at"),
                  O + "created_at: required"},
        ErrorCase{"bad created_at",
                  R"({"increment_id": "100000001", "state": "new", "status": "pending",)"
                  R"( "created_at": "02/01/2026", "items": [)" +
                      item_ok + "]}",
                  O + R"(created_at: expected "YYYY-MM-DD HH:MM:SS" (UTC), got "02/01/2026")"},
        ErrorCase{
            "impossible date",
            R"({"increment_id": "100000001", "state": "new", "status": "pending",)"
            R"( "created_at": "2026-02-30 00:00:00", "items": [)" +
                item_ok + "]}",
            O + R"(created_at: expected "YYYY-MM-DD HH:MM:SS" (UTC), got "2026-02-30 00:00:00")"},
        ErrorCase{
            "bad updated_at", order_json(R"( "updated_at": "2026-01-02T25:00:00Z",)"),
            O + R"(updated_at: expected "YYYY-MM-DD HH:MM:SS" (UTC), got "2026-01-02T25:00:00Z")"},
        ErrorCase{"entity_id text", order_json(R"( "entity_id": "12",)"),
                  O + R"(entity_id: expected an integer id, got "12")"},
        ErrorCase{"entity_id negative", order_json(R"( "entity_id": -3,)"),
                  O + "entity_id: expected a positive integer id, got -3"},
        ErrorCase{"customer_email number", order_json(R"( "customer_email": 5,)"),
                  O + "customer_email: expected a string, got 5"},
        ErrorCase{"billing_address string", order_json(R"( "billing_address": "12 Park Row",)"),
                  O + R"(billing_address: expected an object, got "12 Park Row")"},
        ErrorCase{
            "shipping address string",
            order_json(R"( "extension_attributes": {"shipping_assignments": [{"shipping":)"
                       R"( {"address": "x"}}]},)"),
            O + R"(extension_attributes.shipping_assignments[0].shipping.address: expected an object, got "x")"},
        ErrorCase{"shipping method number",
                  order_json(R"( "extension_attributes": {"shipping_assignments": [{"shipping":)"
                             R"( {"method": 3}}]},)"),
                  O + "extension_attributes.shipping_assignments[0].shipping.method: expected a "
                      "string, got 3"},
        ErrorCase{"is_virtual 2", order_json(R"( "is_virtual": 2,)"),
                  O + "is_virtual: expected 0, 1, true or false, got 2"},
        ErrorCase{"missing items", base_order_without("items"), O + "items: required"},
        ErrorCase{"items not array", base_order_without("items").replace(0, 1, R"({"items": {},)"),
                  O + "items: expected an array, got {}"},
        ErrorCase{"no items", base_order_without("items").replace(0, 1, R"({"items": [],)"),
                  O + "items: an order needs at least one item"},
        ErrorCase{"item not object", order_json("", "3"),
                  O + "items[0]: expected an object, got 3"},
        ErrorCase{"missing item_id", order_json("", R"({"sku": "A", "qty_ordered": 1})"),
                  O + "items[0].item_id: required"},
        ErrorCase{"missing sku", order_json("", R"({"item_id": 1, "qty_ordered": 1})"),
                  O + "items[0].sku: required"},
        ErrorCase{"long sku",
                  order_json("", R"({"item_id": 1, "sku": ")" + std::string(65, 'S') +
                                     R"(", "qty_ordered": 1})"),
                  O + "items[0].sku: longer than 64 bytes"},
        ErrorCase{"sku with a newline",
                  order_json("", R"({"item_id": 1, "sku": "A\nB", "qty_ordered": 1})"),
                  O + "items[0].sku: contains control characters"},
        ErrorCase{"missing qty_ordered", order_json("", R"({"item_id": 1, "sku": "A"})"),
                  O + "items[0].qty_ordered: required"},
        ErrorCase{"fractional qty number",
                  order_json("", item_ok + R"(, {"item_id": 2, "sku": "B", "qty_ordered": 1.5})"),
                  O + "items[1].qty_ordered: expected a whole number, got 1.5"},
        ErrorCase{"fractional qty string",
                  order_json("", item_ok + R"(, {"item_id": 2, "sku": "B", "qty_ordered": "1.5"})"),
                  O + R"(items[1].qty_ordered: expected a whole number, got "1.5")"},
        ErrorCase{"qty not a number",
                  order_json("", R"({"item_id": 1, "sku": "A", "qty_ordered": "two"})"),
                  O + R"(items[0].qty_ordered: expected a whole number, got "two")"},
        ErrorCase{"negative qty",
                  order_json("", R"({"item_id": 1, "sku": "A", "qty_ordered": -1})"),
                  O + "items[0].qty_ordered: must not be negative, got -1"},
        ErrorCase{"negative qty string",
                  order_json("", R"({"item_id": 1, "sku": "A", "qty_ordered": "-1.0000"})"),
                  O + R"(items[0].qty_ordered: must not be negative, got "-1.0000")"},
        ErrorCase{
            "qty_invoiced bool",
            order_json("", R"({"item_id": 1, "sku": "A", "qty_ordered": 1, "qty_invoiced": true})"),
            O + "items[0].qty_invoiced: expected a whole number, got true"},
        ErrorCase{
            "shipped and canceled exceed ordered",
            order_json("",
                       R"({"item_id": 1, "sku": "A", "qty_ordered": 3, "qty_shipped": "2.0000",)"
                       R"( "qty_canceled": 2})"),
            O + "items[0]: qty_shipped (2) + qty_canceled (2) exceed qty_ordered (3)"},
        ErrorCase{
            "price text",
            order_json("", R"({"item_id": 1, "sku": "A", "qty_ordered": 1, "price": "free"})"),
            O + R"(items[0].price: expected a non-negative decimal, got "free")"},
        ErrorCase{"negative price",
                  order_json("", R"({"item_id": 1, "sku": "A", "qty_ordered": 1, "price": -2})"),
                  O + "items[0].price: expected a non-negative decimal, got -2"},
        ErrorCase{"duplicate item_id",
                  order_json("", item_ok + R"(, {"item_id": 1, "sku": "B", "qty_ordered": 1})"),
                  O + "items[1].item_id: duplicate of items[0] (item_id 1)"},
        ErrorCase{"parent not in order",
                  order_json("", item_ok + R"(, {"item_id": 2, "sku": "B", "qty_ordered": 1,)"
                                           R"( "parent_item_id": 99})"),
                  O + "items[1].parent_item_id: no item with item_id 99 in this order"},
        ErrorCase{
            "own parent",
            order_json("", R"({"item_id": 2, "sku": "B", "qty_ordered": 1, "parent_item_id": 2})"),
            O + "items[0].parent_item_id: an item cannot be its own parent"},
        ErrorCase{
            "second order invalid",
            R"({"items": [)" + order_json() + ", " +
                order_json("", R"({"item_id": 1, "sku": "A", "qty_ordered": "1.5"})", "000000012") +
                "]}",
            R"(order 2 (000000012): items[0].qty_ordered: expected a whole number, got "1.5")"},
        ErrorCase{"duplicate increment_id",
                  R"({"items": [)" + order_json() + ", " + order_json() + "]}",
                  "order 2 (100000001): increment_id: duplicate of order 1"}),
    case_name);

// The state check on its own (a JSON object may not repeat "state" to override the base).
TEST(ParseOrders, UnknownStateIsRefused) {
    const std::string json =
        R"({"increment_id": "100000001", "state": "shipped", "status": "shipped",)"
        R"( "created_at": "2026-01-02 03:04:05", "items": [)" +
        item_ok + "]}";
    EXPECT_EQ(error_of(json),
              O + "state: expected one of new, pending_payment, processing, complete, closed, "
                  "canceled, holded, payment_review, got \"shipped\"");
}

TEST(ParseOrders, InvalidUtf8IsRefused) {
    const std::string json = order_json(" \"customer_firstname\": \"\xff\",");
    EXPECT_EQ(error_of(json).rfind("invalid JSON: ", 0), 0u) << error_of(json);
}

TEST(ParseOrders, BadStoreCodeIsRefused) {
    EXPECT_THROW(parse_orders_json(order_json(), ""), OrderImportError);
}

}  // namespace
}  // namespace ofbridge::orders
