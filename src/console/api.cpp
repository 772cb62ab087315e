// /admin/api: the same documents as the CLI's --json for the same view (src/admin).
#include "console_impl.h"

namespace ofbridge::console {

http::Response Console::Impl::api_route(const std::string& path, const Params& query) {
    if (path == "/requests")
        return json_response(200, admin::requests_json(requests.list(request_filter(query, false),
                                                                     request_page_of(query))));
    if (path == "/dead")
        return json_response(200, admin::requests_json(requests.list(request_filter(query, true),
                                                                     request_page_of(query))));
    if (path.starts_with("/requests/"))
        if (const auto id = id_in(path.substr(10))) {
            const auto request = requests.get(*id);
            if (!request) return json_error(404, "no request " + str(*id));
            return json_response(200, admin::request_json(*request));
        }
    if (path == "/imports") {
        imports::ImportFilter filter;
        const auto entity = param(query, "entity");
        const auto result = param(query, "result");
        if (!entity.empty()) filter.entity = entity;
        if (std::find(kResults.begin(), kResults.end(), result) != kResults.end())
            filter.result = result;
        else if (!result.empty())
            return json_error(400, "result must be Success, Duplicate, Superseded or Failure");
        filter.limit = kPageSize;
        return json_response(200, admin::imports_json(imports.list_imports(
                                      filter, positive(query, "before").value_or(0))));
    }
    if (path.starts_with("/imports/"))
        if (const auto id = id_in(path.substr(9))) {
            const auto report = imports.get_import(*id);
            if (!report) return json_error(404, "no import report " + str(*id));
            return json_response(200, admin::import_json(*report));
        }
    if (path == "/stock") {
        const auto sku = param(query, "sku");
        if (sku.empty()) return json_error(400, "sku is required");
        const auto source = param(query, "source");
        return json_response(
            200, admin::stock_json(stock.stock(
                     sku, source.empty() ? std::nullopt : std::optional<std::string>(source))));
    }
    if (auto document = documents(path, query)) return json_response(200, document->json);
    return json_error(404, "no such document");
}

}  // namespace ofbridge::console
