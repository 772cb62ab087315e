#include "ofbridge/admin/request_views.h"

#include <boost/json.hpp>

#include "ofbridge/admin/text_table.h"

namespace ofbridge::admin {
namespace json = boost::json;
namespace {

json::object summary_json(const queue::RequestSummary& r) {
    return {{"id", r.id},
            {"entity", r.entity},
            {"store", r.store_code},
            {"wire", r.wire},
            {"message_key", r.message_key},
            {"state", r.state},
            {"lines", r.line_count},
            {"deliveries", r.deliveries},
            {"attempts", r.attempts},
            {"received_at", r.received_at}};
}

}  // namespace

std::string applied_lines_text(const queue::RequestDetail& request) {
    return std::to_string(request.applied_lines) + " of " +
           std::to_string(request.summary.line_count) +
           " (a sliced apply: resumes there if cut short)";
}

std::string requests_table(const std::vector<queue::RequestSummary>& requests) {
    TextTable table(
        {"ID", "ENTITY", "STORE", "WIRE", "MESSAGE", "STATE", "LINES", "DELIVERIES", "RECEIVED"});
    for (const auto& r : requests)
        table.add_row({std::to_string(r.id), r.entity, r.store_code, r.wire, r.message_key, r.state,
                       std::to_string(r.line_count), std::to_string(r.deliveries), r.received_at});
    return table.render();
}

std::string requests_json(const std::vector<queue::RequestSummary>& requests) {
    json::array out;
    for (const auto& r : requests) out.push_back(summary_json(r));
    return json::serialize(json::object{{"requests", std::move(out)}}) + "\n";
}

std::string request_text(const queue::RequestDetail& request) {
    const auto& s = request.summary;
    TextTable header({"FIELD", "VALUE"});
    header.add_row({"id", std::to_string(s.id)});
    header.add_row({"entity", s.entity});
    header.add_row({"store", s.store_code});
    header.add_row({"wire", s.wire});
    header.add_row({"message", s.message_key});
    header.add_row({"state", s.state});
    header.add_row({"attempts", std::to_string(s.attempts)});
    if (!request.last_error.empty()) header.add_row({"last_error", request.last_error});
    if (request.applied_lines > 0) header.add_row({"applied_lines", applied_lines_text(request)});
    header.add_row({"deliveries", std::to_string(s.deliveries)});
    header.add_row({"received_at", s.received_at});
    header.add_row({"last_delivered_at", request.last_delivered_at});
    header.add_row({"remote_address", request.remote_address});
    header.add_row({"reply", request.reply});
    for (const auto& [name, value] : request.fields) header.add_row({name, value});
    for (const auto& tracking : request.tracking_numbers) header.add_row({"tracking", tracking});
    std::string out = header.render() + "\n";

    const bool inventory = s.entity == "inventory";
    TextTable lines(inventory ? std::vector<std::string>{"LINE", "SKU", "SOURCE", "QTY", "SEQ",
                                                         "LAST_ORDER_EXPORTED"}
                              : std::vector<std::string>{"LINE", "SKU", "SOURCE", "QTY"});
    for (const auto& l : request.lines)
        lines.add_row({std::to_string(l.line_no), l.sku, l.source, std::to_string(l.qty),
                       l.seq ? std::to_string(*l.seq) : "", l.last_order_exported});
    if (!request.lines.empty()) out += lines.render() + "\n";
    // Lines not expanded from the stored body (it was pruned): one line saying where from.
    if (!request.lines_from.empty()) out += "note: " + terminal_safe(request.lines_from) + "\n";
    // The raw body may hold anything the sender put there; show it inert.
    out += "raw body (secrets masked):\n" + terminal_safe(request.raw_body) + "\n";
    return out;
}

std::string request_json(const queue::RequestDetail& request) {
    auto out = summary_json(request.summary);
    out["reply"] = request.reply;
    out["remote_address"] = request.remote_address;
    out["last_delivered_at"] = request.last_delivered_at;
    out["last_error"] = request.last_error;
    out["applied_lines"] = request.applied_lines;
    json::object fields;
    for (const auto& [name, value] : request.fields) fields[name] = value;
    out["fields"] = std::move(fields);
    json::array tracking;
    for (const auto& t : request.tracking_numbers) tracking.emplace_back(t);
    out["tracking_numbers"] = std::move(tracking);
    json::array lines;
    for (const auto& l : request.lines) {
        json::object line{
            {"line", l.line_no}, {"sku", l.sku}, {"source", l.source}, {"qty", l.qty}};
        if (l.seq) line["seq"] = *l.seq;
        if (!l.last_order_exported.empty()) line["last_order_exported"] = l.last_order_exported;
        lines.push_back(std::move(line));
    }
    out["lines"] = std::move(lines);
    out["raw_body"] = request.raw_body;
    return json::serialize(out) + "\n";
}

}  // namespace ofbridge::admin
