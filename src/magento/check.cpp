// The connection checks of `ofbridge check` (see check.h).
#include "ofbridge/magento/check.h"

#include <boost/json.hpp>
#include <set>

namespace ofbridge::magento {
namespace {

const std::string page_one = "searchCriteria%5BpageSize%5D=1&searchCriteria%5BcurrentPage%5D=1";

std::string seen(const Reply& reply) {
    if (reply.status == 0) return reply.message;
    return "HTTP " + std::to_string(reply.status) +
           (reply.message.empty() ? std::string{} : ": " + reply.message);
}

}  // namespace

std::vector<CheckResult> check_store(const StoreTarget& store) {
    std::vector<CheckResult> results;
    RestClient client(store.client);
    const std::string url = client.url("");

    // Reachability, TLS and authentication: an authenticated read every integration has.
    auto sources = client.call("GET", "inventory/sources?" + page_one);
    const bool reached = sources.status != 0;
    results.push_back({"reach " + url, reached,
                       reached ? "HTTP " + std::to_string(sources.status) : sources.message});
    if (!reached) return results;
    // Magento answers a bad credential and a missing ACL grant with the same 401.
    results.push_back(
        {"authenticate (" + std::string(store.client.oauth ? "OAuth 1.0a" : "bearer token") + ")",
         sources.status != 401,
         sources.status == 401 ? seen(sources) + " (bad credentials, or no grant for "
                                                 "Magento_InventoryApi::source)"
                               : "ok"});

    auto permission = [&](const std::string& resource, std::string_view method,
                          const std::string& path, std::string_view body, int expected) {
        auto reply = client.call(method, path, body);
        const bool ok = reply.status == expected || reply.status == 200;
        results.push_back({"permission " + resource, ok, ok ? "ok" : seen(reply)});
        return reply;
    };
    if (store.stock_api == "msi") {
        // MSI present: its routes exist (404 "Request does not match any route." without it).
        const bool msi = sources.status != 404;
        results.push_back({"MSI (Magento_InventoryApi) present", msi,
                           msi ? "ok" : seen(sources) + " (set stock_api = \"legacy\")"});
        results.push_back({"permission Magento_InventoryApi::source", sources.status == 200,
                           sources.status == 200 ? "ok" : seen(sources)});
        permission("Magento_InventoryApi::stock_source_item_assign", "POST",
                   "inventory/source-items", R"({"sourceItems":[]})", 400);
        // Every source code the broker sends must exist in Magento.
        std::set<std::string> wanted;
        for (const auto& [wms, magento] : store.source_map) wanted.insert(magento);
        if (wanted.empty()) wanted.insert("default");
        // 300: Magento's largest page when its input limits are on; sources are few.
        auto all = client.call("GET",
                               "inventory/sources?searchCriteria%5BpageSize%5D=300&"
                               "searchCriteria%5BcurrentPage%5D=1");
        std::set<std::string> known;
        boost::system::error_code ec;
        const auto parsed = boost::json::parse(all.body, ec);
        if (!ec && parsed.is_object())
            if (const auto* items = parsed.get_object().if_contains("items");
                items && items->is_array())
                for (const auto& s : items->get_array())
                    if (s.is_object())
                        if (const auto* code = s.get_object().if_contains("source_code");
                            code && code->is_string())
                            known.insert(std::string(code->get_string()));
        for (const auto& code : wanted)
            results.push_back({"source '" + code + "' known to Magento", known.contains(code),
                               known.contains(code) ? "ok"
                               : all.status == 200  ? "not in V1/inventory/sources"
                                                    : seen(all)});
    } else {
        permission("Magento_CatalogInventory::cataloginventory", "PUT",
                   "products/ofbridge-check-no-such-sku/stockItems/1", R"({"stockItem":{"qty":0}})",
                   404);
    }
    permission("Magento_Sales::ship", "POST", "order/0/ship", "{}", 404);
    permission("Magento_Sales::shipment", "GET", "shipments?" + page_one, {}, 200);
    permission("Magento_Sales::actions_view", "GET", "orders?" + page_one, {}, 200);
    permission("Magento_Catalog::products", "GET", "products?" + page_one, {}, 200);
    return results;
}

}  // namespace ofbridge::magento
