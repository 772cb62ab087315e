#include "ofbridge/admin/import_views.h"

#include <algorithm>
#include <boost/json.hpp>

#include "ofbridge/admin/text_table.h"

namespace ofbridge::admin {
namespace json = boost::json;
namespace {

json::object summary_json(const imports::ImportReportSummary& r) {
    return {{"id", r.id},
            {"request_id", r.request_id},
            {"entity", r.entity},
            {"message_key", r.message_key},
            {"successes", r.successes},
            {"duplicates", r.duplicates},
            {"superseded", r.superseded},
            {"failures", r.failures},
            {"created_at", r.created_at}};
}

std::string optional_text(const std::optional<std::int64_t>& v) {
    return v ? std::to_string(*v) : std::string{};
}

json::value optional_json(const std::optional<std::int64_t>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}

json::object stock_row_json(const inventory::StockRow& s) {
    return {{"sku", s.sku},           {"source", s.source},
            {"qty", s.qty},           {"is_in_stock", s.is_in_stock},
            {"last_seq", s.last_seq}, {"updated_at", s.updated_at}};
}

json::object shipment_summary_json(const orders::ShipmentSummary& s) {
    return {{"id", s.id},
            {"order_increment_id", s.order_increment_id},
            {"request_id", optional_json(s.request_id)},
            {"source", s.source},
            {"comment", s.comment},
            {"notify_customer", s.notify_customer},
            {"include_comment", s.include_comment},
            {"date_shipped", s.date_shipped},
            {"created_at", s.created_at}};
}

}  // namespace

std::string shipments_table(const std::vector<orders::ShipmentSummary>& shipments) {
    TextTable table({"ID", "ORDER", "REQUEST", "SOURCE", "NOTIFY", "SHIPPED", "CREATED"});
    for (const auto& s : shipments)
        table.add_row({std::to_string(s.id), s.order_increment_id, optional_text(s.request_id),
                       s.source, s.notify_customer ? "yes" : "no", s.date_shipped, s.created_at});
    return table.render();
}

std::string shipments_json(const std::vector<orders::ShipmentSummary>& shipments) {
    json::array out;
    for (const auto& s : shipments) out.push_back(shipment_summary_json(s));
    return json::serialize(json::object{{"shipments", std::move(out)}}) + "\n";
}

std::string shipment_text(const orders::Shipment& shipment) {
    std::string out = shipments_table({shipment.header});
    if (!shipment.header.comment.empty())
        out += "comment: " + terminal_safe(shipment.header.comment) + "\n";
    TextTable lines({"LINE", "ORDER_ITEM", "SKU", "QTY"});
    for (const auto& l : shipment.lines)
        lines.add_row({std::to_string(l.line_no), std::to_string(l.order_item_id), l.sku,
                       std::to_string(l.qty)});
    TextTable tracks({"TRACK", "NUMBER", "CARRIER"});
    for (const auto& t : shipment.tracks)
        tracks.add_row({std::to_string(t.line_no), t.number, t.carrier_title});
    return out + "\n" + lines.render() + "\n" + tracks.render();
}

std::string shipment_json(const orders::Shipment& shipment) {
    auto out = shipment_summary_json(shipment.header);
    json::array lines;
    for (const auto& l : shipment.lines)
        lines.push_back(json::object{{"line", l.line_no},
                                     {"order_item_id", l.order_item_id},
                                     {"sku", l.sku},
                                     {"qty", l.qty}});
    json::array tracks;
    for (const auto& t : shipment.tracks)
        tracks.push_back(json::object{
            {"line", t.line_no}, {"number", t.number}, {"carrier_title", t.carrier_title}});
    out["lines"] = std::move(lines);
    out["tracks"] = std::move(tracks);
    return json::serialize(out) + "\n";
}

std::string imports_table(const std::vector<imports::ImportReportSummary>& reports) {
    TextTable table({"ID", "REQUEST", "ENTITY", "MESSAGE", "SUCCESS", "DUPLICATE", "SUPERSEDED",
                     "FAILURE", "CREATED"});
    for (const auto& r : reports)
        table.add_row({std::to_string(r.id), std::to_string(r.request_id), r.entity, r.message_key,
                       std::to_string(r.successes), std::to_string(r.duplicates),
                       std::to_string(r.superseded), std::to_string(r.failures), r.created_at});
    return table.render();
}

std::string imports_json(const std::vector<imports::ImportReportSummary>& reports) {
    json::array out;
    for (const auto& r : reports) out.push_back(summary_json(r));
    return json::serialize(json::object{{"imports", std::move(out)}}) + "\n";
}

std::string import_text(const imports::ImportReport& report) {
    std::string out = imports_table({report.summary}) + "\n";
    // The DELIVERY column only for a store with the magento2 target (a line with a state).
    const bool delivered = std::any_of(report.lines.begin(), report.lines.end(),
                                       [](const auto& l) { return !l.delivery.empty(); });
    std::vector<std::string> headers{"LINE",     "SEQUENCE",   "REFERENCE", "SOURCE", "RESULT",
                                     "RECEIVED", "ADJUSTMENT", "FINAL",     "MESSAGE"};
    if (delivered) headers.push_back("DELIVERY");
    TextTable lines(headers);
    for (const auto& l : report.lines) {
        std::vector<std::string> row{std::to_string(l.line_no),
                                     optional_text(l.sequence_id),
                                     l.reference,
                                     l.source,
                                     l.result,
                                     optional_text(l.units_received),
                                     optional_text(l.unsent_orders_adjustment),
                                     optional_text(l.final_qty),
                                     l.message};
        if (delivered)
            row.push_back(l.delivery_message.empty() ? l.delivery
                                                     : l.delivery + ": " + l.delivery_message);
        lines.add_row(row);
    }
    return out + lines.render();
}

std::string import_json(const imports::ImportReport& report) {
    auto out = summary_json(report.summary);
    json::array lines;
    for (const auto& l : report.lines) {
        json::object line{{"line", l.line_no},
                          {"sequence_id", optional_json(l.sequence_id)},
                          {"reference", l.reference},
                          {"source", l.source},
                          {"result", l.result},
                          {"message", l.message},
                          {"units_received", optional_json(l.units_received)},
                          {"unsent_orders_adjustment", optional_json(l.unsent_orders_adjustment)},
                          {"final_qty", optional_json(l.final_qty)}};
        if (!l.delivery.empty())  // magento2 target only
            line["delivery"] = json::object{{"state", l.delivery}, {"message", l.delivery_message}};
        lines.push_back(std::move(line));
    }
    out["lines"] = std::move(lines);
    return json::serialize(out) + "\n";
}

std::string stock_table(const std::vector<inventory::StockRow>& rows) {
    TextTable table({"SKU", "SOURCE", "QTY", "IN_STOCK", "LAST_SEQ", "UPDATED"});
    for (const auto& s : rows)
        table.add_row({s.sku, s.source, std::to_string(s.qty), s.is_in_stock ? "yes" : "no",
                       std::to_string(s.last_seq), s.updated_at});
    return table.render();
}

std::string stock_json(const std::vector<inventory::StockRow>& rows) {
    json::array out;
    for (const auto& s : rows) out.push_back(stock_row_json(s));
    return json::serialize(json::object{{"stock", std::move(out)}}) + "\n";
}

}  // namespace ofbridge::admin
