#include "ofbridge/admin/import_views.h"

#include <boost/json.hpp>

#include "ofbridge/admin/text_table.h"

namespace ofbridge::admin {
namespace json = boost::json;
namespace {

json::object summary_json(const worker::ImportReportSummary& r) {
    return {{"id", r.id},           {"request_id", r.request_id}, {"entity", r.entity},
            {"message_key", r.message_key}, {"successes", r.successes}, {"duplicates", r.duplicates},
            {"superseded", r.superseded},   {"failures", r.failures}, {"created_at", r.created_at}};
}

std::string optional_text(const std::optional<std::int64_t>& v) {
    return v ? std::to_string(*v) : std::string{};
}

json::value optional_json(const std::optional<std::int64_t>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}

json::object stock_row_json(const worker::StockRow& s) {
    return {{"sku", s.sku},           {"source", s.source},     {"qty", s.qty},
            {"is_in_stock", s.is_in_stock}, {"last_seq", s.last_seq}, {"updated_at", s.updated_at}};
}

}  // namespace

std::string imports_table(const std::vector<worker::ImportReportSummary>& reports) {
    TextTable table({"ID", "REQUEST", "ENTITY", "MESSAGE", "SUCCESS", "DUPLICATE", "SUPERSEDED",
                     "FAILURE", "CREATED"});
    for (const auto& r : reports)
        table.add_row({std::to_string(r.id), std::to_string(r.request_id), r.entity, r.message_key,
                       std::to_string(r.successes), std::to_string(r.duplicates),
                       std::to_string(r.superseded), std::to_string(r.failures), r.created_at});
    return table.render();
}

std::string imports_json(const std::vector<worker::ImportReportSummary>& reports) {
    json::array out;
    for (const auto& r : reports) out.push_back(summary_json(r));
    return json::serialize(json::object{{"imports", std::move(out)}}) + "\n";
}

std::string import_text(const worker::ImportReport& report) {
    std::string out = imports_table({report.summary}) + "\n";
    TextTable lines({"LINE", "SEQUENCE", "REFERENCE", "SOURCE", "RESULT", "RECEIVED", "ADJUSTMENT",
                     "FINAL", "MESSAGE"});
    for (const auto& l : report.lines)
        lines.add_row({std::to_string(l.line_no), optional_text(l.sequence_id), l.reference,
                       l.source, l.result, optional_text(l.units_received),
                       optional_text(l.unsent_orders_adjustment), optional_text(l.final_qty),
                       l.message});
    return out + lines.render();
}

std::string import_json(const worker::ImportReport& report) {
    auto out = summary_json(report.summary);
    json::array lines;
    for (const auto& l : report.lines)
        lines.push_back(json::object{{"line", l.line_no},
                                     {"sequence_id", optional_json(l.sequence_id)},
                                     {"reference", l.reference},
                                     {"source", l.source},
                                     {"result", l.result},
                                     {"message", l.message},
                                     {"units_received", optional_json(l.units_received)},
                                     {"unsent_orders_adjustment", optional_json(l.unsent_orders_adjustment)},
                                     {"final_qty", optional_json(l.final_qty)}});
    out["lines"] = std::move(lines);
    return json::serialize(out) + "\n";
}

std::string stock_table(const std::vector<worker::StockRow>& rows) {
    TextTable table({"SKU", "SOURCE", "QTY", "IN_STOCK", "LAST_SEQ", "UPDATED"});
    for (const auto& s : rows)
        table.add_row({s.sku, s.source, std::to_string(s.qty), s.is_in_stock ? "yes" : "no",
                       std::to_string(s.last_seq), s.updated_at});
    return table.render();
}

std::string stock_json(const std::vector<worker::StockRow>& rows) {
    json::array out;
    for (const auto& s : rows) out.push_back(stock_row_json(s));
    return json::serialize(json::object{{"stock", std::move(out)}}) + "\n";
}

}  // namespace ofbridge::admin
