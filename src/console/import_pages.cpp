// Import reports (grid and detail) and stock (levels per source and the history of one).
#include "console_impl.h"

namespace ofbridge::console {
namespace {

// What the grid's row and the report's page both show of a report.
void set_summary(mustache::data& d, const imports::ImportReportSummary& s) {
    d.set("request_id", str(s.request_id));
    d.set("entity", s.entity);
    d.set("message_key", s.message_key);
    d.set("successes", str(s.successes));
    d.set("duplicates", str(s.duplicates));
    d.set("superseded", str(s.superseded));
    d.set("failures", str(s.failures));
    d.set("created_at", s.created_at);
}

// What the report's lines and the stock history both show of an import line.
void set_line(mustache::data& row, const imports::ImportLine& l) {
    row.set("seq", str(l.sequence_id));
    row.set("units", str(l.units_received));
    row.set("adjustment", str(l.unsent_orders_adjustment));
    row.set("final_qty", str(l.final_qty));
    row.set("result", l.result);
    row.set("message", l.message);
}

}  // namespace

http::Response Console::Impl::imports_page(const AdminSession& session, const Params& query) {
    imports::ImportFilter filter;
    const auto entity = param(query, "entity");
    const auto result = param(query, "result");
    if (entity == "inventory" || entity == "shipment") filter.entity = entity;
    if (std::find(kResults.begin(), kResults.end(), result) != kResults.end())
        filter.result = result;
    filter.limit = kPageSize;
    const auto rows = imports.list_imports(filter, positive(query, "before").value_or(0));
    mustache::data d;
    d.set("entities", options_list({"inventory", "shipment"}, filter.entity.value_or("")));
    d.set("results", options_list(kResults, filter.result.value_or("")));
    mustache::data list{mustache::data::type::list};
    for (const auto& r : rows) {
        mustache::data row;
        row.set("id", str(r.id));
        set_summary(row, r);
        list.push_back(row);
    }
    d.set("rows", list);
    if (rows.size() == kPageSize) d.set("next", next_link("/imports", query, rows.back().id));
    return page(200, "Import reports", render("imports", d), &session);
}

http::Response Console::Impl::import_page(const AdminSession& session, std::int64_t id) {
    const auto report = imports.get_import(id);
    if (!report)
        return message_page(404, "Not found", "No import report " + str(id) + ".", &session);
    mustache::data d;
    set_summary(d, report->summary);
    mustache::data lines{mustache::data::type::list};
    for (const auto& l : report->lines) {
        mustache::data row;
        row.set("line_no", str(l.line_no));
        row.set("reference", l.reference);
        row.set("source", l.source);
        set_line(row, l);
        lines.push_back(row);
    }
    d.set("lines", lines);
    return page(200, "Import report " + str(id), render("import", d), &session);
}

http::Response Console::Impl::stock_page(const AdminSession& session, const Params& query) {
    const auto sku = param(query, "sku");
    mustache::data d;
    d.set("sku", sku);
    if (!sku.empty()) {
        mustache::data list{mustache::data::type::list};
        for (const auto& r : stock.stock(sku, std::nullopt)) {
            mustache::data row;
            row.set("sku", r.sku);
            row.set("source", r.source);
            row.set("history", "/stock?sku=" + domain::percent_encode(r.sku) +
                                   "&source=" + domain::percent_encode(r.source));
            row.set("qty", str(r.qty));
            row.set("in_stock", r.is_in_stock ? "yes" : "no");
            row.set("last_seq", str(r.last_seq));
            row.set("updated_at", r.updated_at);
            list.push_back(row);
        }
        mustache::data searched;
        searched.set("rows", list);
        d.set("searched", searched);
    }
    const auto source = param(query, "source");
    if (!sku.empty() && !source.empty()) {
        const auto before = positive(query, "before").value_or(0);
        const auto lines = imports.stock_history(sku, source, before, kPageSize);
        mustache::data list{mustache::data::type::list};
        for (const auto& h : lines) {
            mustache::data row;
            row.set("report_id", str(h.report_id));
            row.set("request_id", str(h.request_id));
            row.set("message_key", h.message_key);
            row.set("created_at", h.created_at);
            set_line(row, h.line);
            list.push_back(row);
        }
        mustache::data history;
        history.set("source", source);
        history.set("rows", list);
        if (lines.size() == kPageSize)
            history.set("next", next_link("/stock", query, lines.back().report_id));
        d.set("history", history);
    }
    return page(200, "Stock", render("stock", d), &session);
}

}  // namespace ofbridge::console
