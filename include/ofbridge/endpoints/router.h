// Maps HTTP requests to what the broker does with them (DESIGN §2):
//
//   GET  /api/v2_soap/?wsdl[=1]             Magento-1 WSDL (also under /index.php)
//   POST /api/v2_soap/                      Magento-1 rpc/encoded SOAP
//   GET  /soap/<store>?wsdl&services=a,b    Magento-2 WSDL
//   POST /soap/<store>?services=<svc>       Magento-2 document/literal SOAP (the read operations
//                                           catalogProductRepositoryV1Get and
//                                           salesOrderRepositoryV1Get answer from the store)
//   POST /rest/<store>/V1/orderflow/{inventory,shipment,export/product,export/order}   JSON
//   POST /rest/<store>/V1/integration/admin/token                                       JSON
//        (REST paths also with a trailing slash, as Magento declares them)
//   POST /api/v1/orders[?store=<code>]      admin JSON API: import orders (bearer api.token)
//   GET  /healthz                           liveness ("ok")
//
// Everything else is 404, or 405 for a known path with the wrong method. Handlers run on the
// HTTP server's pool; the reply is sent from whichever thread completes the request (after the
// durable commit for anything that is stored).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ofbridge/endpoints/log_limiter.h"
#include "ofbridge/endpoints/request_gate.h"
#include "ofbridge/http/server.h"
#include "ofbridge/ingest/ingest.h"
#include "ofbridge/soap/codec.h"
#include "ofbridge/storage/writer.h"

namespace ofbridge::exporting {
class ExportReader;
}

namespace ofbridge::endpoints {

struct RouterOptions {
    soap::GateLimits gate;
    std::string fallback_host =
        "127.0.0.1:8080";    // used in WSDLs when a request has no usable Host
    std::string public_url;  // when set, the WSDL address (no trailing slash needed)
    std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-Proto/Host count
    std::string api_token;                     // bearer token of /api/v1/*; "" = API off
    storage::Writer* writer = nullptr;         // where the admin API writes (orders)
    // Bound and deadline of the requests waiting on the writer and the syncer (request_gate.h):
    // every SOAP and REST call that writes, and the orders API.
    RequestGateOptions backpressure;
    // The read operations of notify mode (catalogProductRepositoryV1Get,
    // salesOrderRepositoryV1Get) read the store here; nullptr = they answer a server fault.
    exporting::ExportReader* export_reader = nullptr;
};

class Router : public http::Handler {
public:
    Router(ingest::Ingest& ingest, RouterOptions options);
    void handle(http::Request request, http::Responder respond) override;
    // Refuses a Magento-2 or admin API request whose bearer token is missing or wrong on its
    // head, before its body is read, with the reply the route gives (SOAP fault / JSON 401).
    // Token-issuing calls and anonymous stores pass.
    std::optional<http::Response> check_head(const http::Request& head) override;
    // The bound HOST:PORT, for WSDLs of requests without a usable Host. Call before serving.
    void set_fallback_host(std::string host_port) { options_.fallback_host = std::move(host_port); }
    RequestGateStats backpressure_stats() const { return gate_.stats(); }
    // Once the server has stopped: no more deadline replies (RequestGate::stop).
    void stop() { gate_.stop(); }

private:
    void handle_soap(http::Request request, std::string path_store, bool magento2,
                     std::string services, http::Responder respond);
    void handle_fetch(const soap::DecodedRequest& decoded, const std::string& store,
                      const std::string& bearer, http::Responder respond);
    void handle_orders_api(http::Request request, std::string store, http::Responder respond);
    void handle_rest(http::Request request, std::string store, std::string operation,
                     http::Responder respond);
    std::string base_url(const http::Request& request) const;

    ingest::Ingest& ingest_;
    RouterOptions options_;
    LogLimiter malformed_log_{10};  // "SOAP fault to ..." lines for refused requests, per second
    RequestGate gate_;
};

}  // namespace ofbridge::endpoints
