#include "ofbridge/admin/export_views.h"

#include <boost/json.hpp>

#include "ofbridge/admin/text_table.h"

namespace ofbridge::admin {
namespace json = boost::json;
namespace {

json::object run_object(const exporting::ExportRun& r) {
    return {{"id", r.id},
            {"store", r.store_code},
            {"entity", r.entity},
            {"mode", r.mode},
            {"operation", r.operation},
            {"url", r.url},
            {"http_status", r.http_status},
            {"successes", r.successes},
            {"duplicates", r.duplicates},
            {"failures", r.failures},
            {"error", r.error},
            {"duration_ms", r.duration_ms},
            {"started_at", r.started_at},
            {"finished_at", r.finished_at}};
}

json::object item_object(const exporting::ExportItemState& e) {
    return {{"entity", e.entity},
            {"reference", e.reference},
            {"store", e.store_code},
            {"export_status", e.status},
            {"version", e.version},
            {"attempts", e.attempts},
            {"last_error", e.last_error},
            {"next_attempt_at", e.next_attempt_at},
            {"pending_since", e.pending_since},
            {"exported_at", e.exported_at},
            {"sent_count", e.sent_count},
            {"cancel_state", e.cancel_state},
            {"cancel_error", e.cancel_error},
            {"updated_at", e.updated_at}};
}

json::value parsed_or_text(const std::string& text) {
    boost::system::error_code ec;
    auto value = json::parse(text, ec);
    return ec ? json::value(text) : value;
}

json::object product_object(const exporting::ProductView& p, bool documents) {
    json::object o{{"sku", p.sku},
                   {"name", p.name},
                   {"store", p.store_code},
                   {"content_hash", p.content_hash},
                   {"updated_at", p.updated_at},
                   {"export", item_object(p.export_state)}};
    if (documents) {
        o["normalised"] = parsed_or_text(p.normalised_json);
        o["raw"] = parsed_or_text(p.raw_json);
    }
    return o;
}

// terminal_safe line by line, so a body keeps its lines.
std::string safe_lines(const std::string& text) {
    std::string out;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out += terminal_safe(std::string_view(text).substr(start, end - start));
        if (end < text.size()) out += '\n';
        start = end + 1;
    }
    return out;
}

std::string counts(const exporting::ExportRun& r) {
    return std::to_string(r.successes) + "/" + std::to_string(r.duplicates) + "/" +
           std::to_string(r.failures);
}

}  // namespace

std::string export_runs_table(const std::vector<exporting::ExportRun>& runs) {
    TextTable table(
        {"ID", "STORE", "ENTITY", "OPERATION", "HTTP", "OK/DUP/FAIL", "MS", "ERROR", "STARTED"});
    for (const auto& r : runs)
        table.add_row({std::to_string(r.id), r.store_code, r.entity, r.operation,
                       std::to_string(r.http_status), counts(r), std::to_string(r.duration_ms),
                       r.error.substr(0, 60), r.started_at});
    return table.render();
}

std::string export_runs_json(const std::vector<exporting::ExportRun>& runs) {
    json::array out;
    for (const auto& r : runs) out.push_back(run_object(r));
    return json::serialize(out) + "\n";
}

std::string export_run_text(const exporting::ExportRun& r) {
    std::string out = "export " + std::to_string(r.id) + ": store " + r.store_code + ", " +
                      r.entity + " " + r.operation + " (" + r.mode + "), HTTP " +
                      std::to_string(r.http_status) + ", " + std::to_string(r.successes) +
                      " successes, " + std::to_string(r.duplicates) + " duplicates, " +
                      std::to_string(r.failures) + " failures, " + std::to_string(r.duration_ms) +
                      " ms, " + r.started_at + " .. " + r.finished_at + "\n";
    out += "url: " + terminal_safe(r.url) + "\n";
    if (!r.error.empty()) out += "error: " + terminal_safe(r.error) + "\n";
    TextTable table({"REFERENCE", "RESULT", "MESSAGE"});
    for (const auto& line : r.lines) table.add_row({line.reference, line.result, line.message});
    out += table.render();
    out += "--- request\n" + safe_lines(r.request_body) + "\n--- reply\n" +
           safe_lines(r.reply_body) + "\n";
    return out;
}

std::string export_run_json(const exporting::ExportRun& r) {
    auto o = run_object(r);
    json::array lines;
    for (const auto& line : r.lines)
        lines.push_back(json::object{
            {"reference", line.reference}, {"result", line.result}, {"message", line.message}});
    o["lines"] = std::move(lines);
    o["request"] = r.request_body;
    o["reply"] = r.reply_body;
    return json::serialize(o) + "\n";
}

std::string export_items_table(const std::vector<exporting::ExportItemState>& items) {
    TextTable table(
        {"REFERENCE", "STORE", "EXPORT", "ATTEMPTS", "LAST ERROR", "CANCEL", "UPDATED"});
    for (const auto& e : items)
        table.add_row({e.reference, e.store_code, e.status, std::to_string(e.attempts),
                       e.last_error.substr(0, 60), e.cancel_state, e.updated_at});
    return table.render();
}

std::string export_items_json(const std::vector<exporting::ExportItemState>& items) {
    json::array out;
    for (const auto& e : items) out.push_back(item_object(e));
    return json::serialize(out) + "\n";
}

std::string products_table(const std::vector<exporting::ProductView>& products) {
    TextTable table({"SKU", "NAME", "STORE", "EXPORT", "ATTEMPTS", "LAST ERROR"});
    for (const auto& p : products)
        table.add_row({p.sku, p.name, p.store_code, p.export_state.status,
                       std::to_string(p.export_state.attempts),
                       p.export_state.last_error.substr(0, 60)});
    return table.render();
}

std::string products_json(const std::vector<exporting::ProductView>& products) {
    json::array out;
    for (const auto& p : products) out.push_back(product_object(p, false));
    return json::serialize(out) + "\n";
}

std::string product_text(const exporting::ProductView& p) {
    const auto& e = p.export_state;
    std::string out = "product " + terminal_safe(p.sku) + " (" + terminal_safe(p.name) +
                      "), store " + p.store_code + "\n";
    out += "export: " + e.status + ", attempts " + std::to_string(e.attempts) + ", sent " +
           std::to_string(e.sent_count) + " times";
    if (!e.exported_at.empty()) out += ", exported at " + e.exported_at;
    if (!e.next_attempt_at.empty() && e.status == "pending")
        out += ", next attempt at " + e.next_attempt_at;
    out += "\n";
    if (!e.last_error.empty()) out += "last error: " + terminal_safe(e.last_error) + "\n";
    out += "content hash: " + p.content_hash + "\nnormalised: " + terminal_safe(p.normalised_json) +
           "\nraw: " + terminal_safe(p.raw_json) + "\n";
    return out;
}

std::string product_json(const exporting::ProductView& p) {
    return json::serialize(product_object(p, true)) + "\n";
}

}  // namespace ofbridge::admin
