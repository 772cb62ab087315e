// The import requests grid, the dead letters, a request's detail, and reprocess (the
// workers' claim path through the app's callback).
#include "console_impl.h"

namespace ofbridge::console {

std::string Console::Impl::reprocess(const http::Request& request, const AdminSession& session,
                                     std::int64_t id, bool& ok) {
    std::string outcome;
    try {
        const auto result = options.reprocess(id);
        outcome = "state " + result.state + ", import report " + std::to_string(result.report_id);
        ok = true;
    } catch (const std::exception& e) {
        outcome = e.what();
        ok = false;
    }
    audit(session.username, "reprocess", "request " + std::to_string(id), outcome,
          request.remote_address);
    return outcome;
}

http::Response Console::Impl::reprocess_one(const http::Request& request,
                                            const AdminSession& session, std::int64_t id) {
    bool ok = false;
    const auto outcome = reprocess(request, session, id, ok);
    if (!ok) return message_page(409, "Not reprocessed", outcome, &session);
    return redirect("/requests/" + std::to_string(id) + "?reprocessed=1");
}

http::Response Console::Impl::reprocess_many(const http::Request& request,
                                             const AdminSession& session, const Params& form) {
    std::size_t done = 0, failed = 0;
    for (const auto& text : params(form, "id")) {
        const auto id = id_in(text);
        if (!id) continue;
        bool ok = false;
        reprocess(request, session, *id, ok);
        ++(ok ? done : failed);
    }
    return redirect("/dead?reprocessed=" + std::to_string(done) +
                    "&refused=" + std::to_string(failed));
}

queue::RequestPage Console::Impl::request_page_of(const Params& query) {
    queue::RequestPage page;
    if (const auto message = param(query, "message"); !message.empty()) page.message_key = message;
    page.before_id = positive(query, "before").value_or(0);
    if (const auto from = param(query, "from"); !from.empty()) page.received_from = from;
    if (const auto to = param(query, "to"); !to.empty()) page.received_before = to;
    if (const auto sku = param(query, "sku"); !sku.empty()) page.sku = sku;
    page.oldest_first = param(query, "sort") == "oldest";
    page.after_id = positive(query, "after").value_or(0);
    return page;
}

queue::RequestFilter Console::Impl::request_filter(const Params& query, bool dead) {
    queue::RequestFilter f;
    const auto entity = param(query, "entity");
    const auto state = param(query, "state");
    if (std::find(kEntities.begin(), kEntities.end(), entity) != kEntities.end()) f.entity = entity;
    if (dead)
        f.state = "dead";
    else if (std::find(kStates.begin(), kStates.end(), state) != kStates.end())
        f.state = state;
    f.limit = kPageSize;
    return f;
}

http::Response Console::Impl::requests_page(const AdminSession& session, const Params& query,
                                            bool dead) {
    const auto filter = request_filter(query, dead);
    const auto page_of = request_page_of(query);
    const auto rows = requests.list(filter, page_of);
    mustache::data d;
    d.set("entities", options_list(kEntities, filter.entity.value_or("")));
    d.set("states", options_list(kStates, filter.state.value_or("")));
    d.set("message", page_of.message_key.value_or(""));
    d.set("from", page_of.received_from.value_or(""));
    d.set("to", page_of.received_before.value_or(""));
    d.set("sku", page_of.sku.value_or(""));
    d.set("sorts", options_list({"newest", "oldest"}, page_of.oldest_first ? "oldest" : ""));
    d.set("csrf", session.csrf_token);
    mustache::data list{mustache::data::type::list};
    for (const auto& r : rows) {
        mustache::data row;
        row.set("id", str(r.id));
        row.set("entity", r.entity);
        row.set("store", r.store_code);
        row.set("wire", r.wire);
        row.set("message_key", r.message_key);
        row.set("state", r.state);
        row.set("lines", str(r.line_count));
        row.set("deliveries", str(r.deliveries));
        row.set("attempts", str(r.attempts));
        row.set("received_at", r.received_at);
        list.push_back(row);
    }
    d.set("rows", list);
    d.set("any", !rows.empty());
    if (rows.size() == kPageSize)
        d.set("next", next_link(dead ? "/dead" : "/requests", query, rows.back().id,
                                page_of.oldest_first ? "after" : "before"));
    d.set("next_text", page_of.oldest_first ? "Newer requests" : "Older requests");
    std::string notice;
    if (dead && !param(query, "reprocessed").empty())
        notice = "Reprocessed " + param(query, "reprocessed") + " request(s)" +
                 (param(query, "refused") == "0" || param(query, "refused").empty()
                      ? "."
                      : "; " + param(query, "refused") + " refused (see the audit log).");
    return page(200, dead ? "Dead letters" : "Import requests",
                render(dead ? "dead" : "requests", d), &session, notice);
}

http::Response Console::Impl::request_page(const AdminSession& session, std::int64_t id,
                                           const Params& query) {
    const auto request = requests.get(id);
    if (!request) return message_page(404, "Not found", "No request " + str(id) + ".", &session);
    const auto& s = request->summary;
    mustache::data fields{mustache::data::type::list};
    auto field = [&](const std::string& name, const std::string& value) {
        mustache::data f;
        f.set("name", name);
        f.set("value", value);
        fields.push_back(f);
    };
    field("id", str(s.id));
    field("entity", s.entity);
    field("store", s.store_code);
    field("wire", s.wire);
    field("message", s.message_key);
    field("state", s.state);
    field("attempts", str(s.attempts));
    field("last error", request->last_error);
    if (request->applied_lines > 0) field("applied lines", admin::applied_lines_text(*request));
    field("deliveries", str(s.deliveries));
    field("received", s.received_at);
    field("last delivered", request->last_delivered_at);
    field("remote address", request->remote_address);
    field("reply", request->reply);
    for (const auto& [name, value] : request->fields) field(name, value);
    for (const auto& tracking : request->tracking_numbers) field("tracking", tracking);
    mustache::data lines{mustache::data::type::list};
    for (const auto& l : request->lines) {
        mustache::data row;
        row.set("line_no", str(l.line_no));
        row.set("sku", l.sku);
        row.set("sku_q", domain::percent_encode(l.sku));
        row.set("source", l.source);
        row.set("qty", str(l.qty));
        row.set("seq", str(l.seq));
        row.set("last_order_exported", l.last_order_exported);
        lines.push_back(row);
    }
    mustache::data d;
    d.set("id", str(id));
    d.set("csrf", session.csrf_token);
    d.set("fields", fields);
    d.set("lines", lines);
    d.set("raw", pretty_xml(request->raw_body));
    const auto reports = imports.report_ids_of_request(id);
    if (!reports.empty()) {
        mustache::data ids{mustache::data::type::list};
        for (const auto r : reports) ids.push_back(mustache::data(str(r)));
        mustache::data group;
        group.set("ids", ids);
        d.set("reports", group);
    }
    return page(200, "Request " + str(id), render("request", d), &session,
                param(query, "reprocessed").empty() ? "" : "Reprocessed.");
}

}  // namespace ofbridge::console
