// Orders, shipments and export runs: pages that render the admin JSON document the API
// answers (src/admin), with keyset pages and filters in the query string.
#include "console_impl.h"

namespace ofbridge::console {

namespace {

std::string scalar_text(const boost::json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_null()) return "";
    return boost::json::serialize(v);
}

bool is_scalar(const boost::json::value& v) {
    return !v.is_object() && !v.is_array();
}

// Links from a grid cell: column name -> URL prefix (the cell's text is appended, encoded).
using Links = std::map<std::string, std::string>;

mustache::data grid(const std::string& id, const std::string& heading,
                    const boost::json::array& items, const Links& links) {
    std::vector<std::string> columns;
    for (const auto& item : items) {
        if (!item.is_object()) continue;
        for (const auto& [key, value] : item.get_object())
            if (is_scalar(value) &&
                std::find(columns.begin(), columns.end(), std::string(key)) == columns.end())
                columns.emplace_back(key);
    }
    mustache::data column_list{mustache::data::type::list};
    for (const auto& c : columns) column_list.push_back(mustache::data(c));
    mustache::data rows{mustache::data::type::list};
    for (const auto& item : items) {
        if (!item.is_object()) continue;
        mustache::data cells{mustache::data::type::list};
        for (const auto& c : columns) {
            const auto* value = item.get_object().if_contains(c);
            const auto text = value ? scalar_text(*value) : std::string();
            mustache::data cell;
            cell.set("text", text);
            const auto link = links.find(c);
            if (link != links.end() && !text.empty())
                cell.set("link", link->second + domain::percent_encode(text));
            else
                cell.set("link", false);
            cells.push_back(cell);
        }
        mustache::data row;
        row.set("cells", cells);
        rows.push_back(row);
    }
    mustache::data table;
    table.set("id", id);
    if (heading.empty())
        table.set("heading", false);
    else
        table.set("heading", heading);
    table.set("columns", column_list);
    table.set("rows", rows);
    return table;
}

// A page from one of the admin JSON documents (what the CLI's --json prints): its scalar
// fields as a table, each array of objects as a grid, anything else as JSON text. So the page
// shows exactly what the JSON API answers.
mustache::data document_data(const std::string& json, const Links& links) {
    const auto document = boost::json::parse(json);
    mustache::data scalars{mustache::data::type::list};
    mustache::data tables{mustache::data::type::list};
    mustache::data texts{mustache::data::type::list};
    bool has_scalars = false;
    // A document that is a bare array (export runs) is one grid.
    if (document.is_array()) tables.push_back(grid("rows", "", document.get_array(), links));
    if (document.is_object()) {
        for (const auto& [key, value] : document.get_object()) {
            const std::string name(key);
            if (is_scalar(value)) {
                mustache::data f;
                f.set("name", name);
                f.set("value", scalar_text(value));
                scalars.push_back(f);
                has_scalars = true;
            } else if (value.is_array() &&
                       (value.get_array().empty() || value.get_array().front().is_object())) {
                tables.push_back(grid(name, document.get_object().size() > 1 ? name : "",
                                      value.get_array(), links));
            } else {
                mustache::data t;
                t.set("name", name);
                t.set("value", boost::json::serialize(value));
                texts.push_back(t);
            }
        }
    }
    mustache::data d;
    d.set("scalars", scalars);
    d.set("has_scalars", has_scalars);
    d.set("tables", tables);
    d.set("texts", texts);
    return d;
}

}  // namespace

std::optional<Console::Impl::Document> Console::Impl::documents(const std::string& path,
                                                                const Params& query) {
    if (path == "/orders") {
        orders::OrderFilter filter;
        orders::OrderPage page;
        if (const auto status = param(query, "status"); !status.empty()) filter.status = status;
        if (const auto exported = param(query, "export"); !exported.empty())
            page.export_status = exported;
        // The keyset cursor of orders is the last increment_id shown (they sort by created_at).
        if (const auto before = param(query, "before"); !before.empty()) page.after_order = before;
        filter.limit = kPageSize;
        const auto rows = orders.list(filter, page);
        return Document{"Orders", admin::orders_json(rows),
                        rows.size() == kPageSize
                            ? next_cursor_link("/orders", query, "before",
                                               domain::percent_encode(rows.back().increment_id))
                            : ""};
    }
    if (path.starts_with("/orders/")) {
        const auto id = std::string(path.substr(8));
        const auto order = orders.get(id);
        if (!order) return std::nullopt;
        return Document{"Order " + id, admin::order_json(*order), ""};
    }
    if (path == "/shipments") {
        const auto order = param(query, "order");
        const auto rows = shipments.list_shipments(
            order.empty() ? std::nullopt : std::optional<std::string>(order), kPageSize,
            positive(query, "before").value_or(0));
        return Document{
            "Shipments", admin::shipments_json(rows),
            rows.size() == kPageSize ? next_link("/shipments", query, rows.back().id) : ""};
    }
    if (path.starts_with("/shipments/"))
        if (const auto id = id_in(path.substr(11)))
            if (const auto shipment = shipments.get_shipment(*id))
                return Document{"Shipment " + str(*id), admin::shipment_json(*shipment), ""};
    if (path == "/exports") {
        exporting::RunFilter filter;
        const auto entity = param(query, "entity");
        const auto result = param(query, "result");
        if (entity == "product" || entity == "order") filter.entity = entity;
        if (result == "Success" || result == "Duplicate" || result == "Failure")
            filter.result = result;
        filter.limit = kPageSize;
        const auto rows = exports.list_runs(filter, positive(query, "before").value_or(0));
        return Document{
            "Exports", admin::export_runs_json(rows),
            rows.size() == kPageSize ? next_link("/exports", query, rows.back().id) : ""};
    }
    if (path.starts_with("/exports/"))
        if (const auto id = id_in(path.substr(9)))
            if (const auto run = exports.get_run(*id))
                return Document{"Export " + str(*id), admin::export_run_json(*run), ""};
    return std::nullopt;
}

std::optional<std::pair<std::string, mustache::data>> Console::Impl::document_page(
    const std::string& path, const Params& query) {
    const auto document = documents(path, query);
    if (!document) return std::nullopt;
    const Links links{{"increment_id", "/orders/"},
                      {"order_increment_id", "/orders/"},
                      {"order", "/orders/"},
                      {"request_id", "/requests/"},
                      {"sku", "/stock?sku="}};
    Links grid_links = links;
    if (path == "/shipments") grid_links["id"] = "/shipments/";
    if (path == "/exports") grid_links["id"] = "/exports/";
    auto data = document_data(document->json, grid_links);
    if (!document->next.empty()) data.set("next", document->next);
    const auto filter_form = [&](const std::string& action,
                                 std::vector<std::pair<std::string, std::string>> fields) {
        mustache::data list{mustache::data::type::list};
        for (const auto& [name, label] : fields) {
            mustache::data f;
            f.set("name", name);
            f.set("label", label);
            f.set("value", param(query, name));
            list.push_back(f);
        }
        mustache::data form;
        form.set("action", action);
        form.set("fields", list);
        data.set("filters", form);
    };
    if (path == "/orders")
        filter_form("/orders", {{"status", "Status"},
                                {"export",
                                 "Export status (pending, queued, exported, failed, "
                                 "cancelled)"}});
    if (path.starts_with("/orders/")) {
        mustache::data see;
        see.set("href", "/shipments?order=" + domain::percent_encode(path.substr(8)));
        see.set("text", "Shipments of this order");
        data.set("see_also", see);
    }
    if (path == "/shipments") filter_form("/shipments", {{"order", "Order"}});
    if (path == "/exports")
        filter_form("/exports", {{"entity", "Entity (product, order)"},
                                 {"result", "Having (Success, Duplicate, Failure)"}});
    return std::make_pair(document->title, std::move(data));
}

}  // namespace ofbridge::console
