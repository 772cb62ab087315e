#include "ofbridge/admin/order_views.h"

#include <boost/json.hpp>

#include "ofbridge/admin/text_table.h"

namespace ofbridge::admin {
namespace json = boost::json;
namespace {

json::value parsed_or_text(const std::string& text) {
    boost::system::error_code ec;
    auto value = json::parse(text, ec);
    return ec ? json::value(text) : value;
}

json::object order_object(const orders::Order& o) {
    json::array items;
    for (const auto& i : o.items)
        items.push_back(
            json::object{{"item_id", i.item_id},
                         {"parent_item_id",
                          i.parent_item_id ? json::value(*i.parent_item_id) : json::value(nullptr)},
                         {"sku", i.sku},
                         {"name", i.name},
                         {"product_type", i.product_type},
                         {"qty_ordered", i.qty_ordered},
                         {"qty_invoiced", i.qty_invoiced},
                         {"qty_shipped", i.qty_shipped},
                         {"qty_canceled", i.qty_canceled},
                         {"price", i.price}});
    return {{"increment_id", o.increment_id},
            {"entity_id", o.entity_id ? json::value(*o.entity_id) : json::value(nullptr)},
            {"store", o.store_code},
            {"state", o.state},
            {"status", o.status},
            {"created_at", o.created_at},
            {"updated_at", o.updated_at},
            {"customer_email", o.customer_email},
            {"customer_firstname", o.customer_firstname},
            {"customer_lastname", o.customer_lastname},
            {"billing_address", parsed_or_text(o.billing_address_json)},
            {"shipping_address", parsed_or_text(o.shipping_address_json)},
            {"shipping_method", o.shipping_method},
            {"is_virtual", o.is_virtual},
            {"export_status", o.export_status},
            {"items", std::move(items)}};
}

std::int64_t open_units(const orders::Order& o) {
    std::int64_t open = 0;
    for (const auto& i : o.items)
        if (!i.parent_item_id) open += i.qty_ordered - i.qty_shipped - i.qty_canceled;
    return open;
}

}  // namespace

std::string orders_table(const std::vector<orders::Order>& list) {
    TextTable table(
        {"ORDER", "STORE", "STATE", "STATUS", "ITEMS", "UNSHIPPED", "EXPORT", "CREATED"});
    for (const auto& o : list)
        table.add_row({o.increment_id, o.store_code, o.state, o.status,
                       std::to_string(o.items.size()), std::to_string(open_units(o)),
                       o.export_status, o.created_at});
    return table.render();
}

std::string orders_json(const std::vector<orders::Order>& list) {
    json::array out;
    for (const auto& o : list) out.push_back(order_object(o));
    return json::serialize(json::object{{"orders", std::move(out)}}) + "\n";
}

std::string order_text(const orders::Order& o) {
    std::string out = orders_table({o}) + "\n";
    TextTable header({"FIELD", "VALUE"});
    header.add_row({"customer", o.customer_firstname + " " + o.customer_lastname});
    header.add_row({"email", o.customer_email});
    header.add_row({"shipping_method", o.shipping_method});
    header.add_row({"shipping_address", o.shipping_address_json});
    header.add_row({"billing_address", o.billing_address_json});
    out += header.render() + "\n";
    TextTable items({"ITEM", "PARENT", "SKU", "TYPE", "ORDERED", "INVOICED", "SHIPPED", "CANCELED",
                     "PRICE", "NAME"});
    for (const auto& i : o.items)
        items.add_row(
            {std::to_string(i.item_id), i.parent_item_id ? std::to_string(*i.parent_item_id) : "",
             i.sku, i.product_type, std::to_string(i.qty_ordered), std::to_string(i.qty_invoiced),
             std::to_string(i.qty_shipped), std::to_string(i.qty_canceled), i.price, i.name});
    return out + items.render();
}

std::string order_json(const orders::Order& o) {
    return json::serialize(order_object(o)) + "\n";
}

}  // namespace ofbridge::admin
