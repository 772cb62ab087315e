#include "ofbridge/endpoints/router.h"

#include <spdlog/spdlog.h>
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <set>

#include "ofbridge/codec/json_messages.h"
#include "ofbridge/domain/log_text.h"
#include "ofbridge/domain/overloaded.h"
#include "ofbridge/export/export_acks.h"
#include "ofbridge/export/export_reader.h"
#include "ofbridge/ingest/secrets.h"
#include "ofbridge/orders/order_store.h"
#include "ofbridge/soap/fetch_replies.h"
#include "ofbridge/soap/wsdl.h"
#include "ofbridge/storage/time_format.h"

namespace ofbridge::endpoints {
namespace {

using Kind = ingest::Outcome::Kind;
using codec::decode_export_json;
using codec::decode_inventory_json;
using codec::decode_shipment_json;
using codec::decode_token_json;
using codec::json_error;
using codec::json_string;
using codec::JsonError;
using codec::mask_json_secrets;

http::Response text_response(unsigned status, std::string body) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

http::Response xml_response(unsigned status, std::string body, std::string_view content_type) {
    http::Response r;
    r.status = status;
    r.content_type = std::string(content_type);
    r.body = std::move(body);
    return r;
}

http::Response json_response(unsigned status, std::string body) {
    http::Response r;
    r.status = status;
    r.content_type = "application/json; charset=utf-8";
    r.body = std::move(body);
    return r;
}

http::Response method_not_allowed(std::string_view allow) {
    auto r = text_response(405, "method not allowed\n");
    r.headers.emplace_back("Allow", std::string(allow));
    return r;
}

bool valid_store_code(std::string_view code) {
    return !code.empty() && code.size() <= 64 &&
           code.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") ==
               std::string_view::npos;
}

std::string bearer_of(std::string_view authorization) {
    constexpr std::string_view prefix = "Bearer ";
    if (authorization.size() > prefix.size() &&
        std::equal(prefix.begin(), prefix.end(), authorization.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        return std::string(authorization.substr(prefix.size()));
    return {};
}

std::vector<std::string> split_services(std::string_view list) {
    std::vector<std::string> out;
    while (!list.empty()) {
        auto comma = list.find(',');
        auto item = list.substr(0, comma);
        if (!item.empty()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return out;
}

soap::Fault fault_for(const ingest::Outcome& outcome, soap::SoapVersion version) {
    soap::Fault fault;
    fault.version = version;
    fault.message = outcome.text;
    switch (outcome.kind) {
        case Kind::access_denied:
            fault.code = "2";
            break;
        case Kind::session_expired:
            fault.code = "5";
            break;
        case Kind::storage_failed:
            fault.kind = soap::FaultKind::server;
            break;
        default:
            break;
    }
    return fault;
}

unsigned json_status(Kind kind) {
    switch (kind) {
        case Kind::accepted:
            return 200;
        case Kind::invalid:
            return 400;
        case Kind::access_denied:
        case Kind::session_expired:
        case Kind::unauthorized:
            return 401;
        case Kind::unknown_store:
            return 404;
        case Kind::storage_failed:
            return 503;
    }
    return 500;
}

// Answers a SOAP request once ingest has decided.
ingest::OutcomeCallback soap_reply(soap::DecodedRequest request, http::Responder respond,
                                   bool bool_result = false) {
    return [request = std::move(request), respond = std::move(respond),
            bool_result](ingest::Outcome outcome) {
        const auto content_type = soap::content_type(request.version);
        if (outcome.kind == Kind::accepted) {
            auto body = bool_result ? soap::encode_bool_result(request, outcome.text == "true")
                                    : soap::encode_string_result(request, outcome.text);
            return respond(xml_response(200, std::move(body), content_type));
        }
        auto fault = fault_for(outcome, request.version);
        unsigned status =
            outcome.kind == Kind::unknown_store ? 404 : soap::fault_http_status(fault);
        respond(xml_response(status, soap::encode_fault(fault), content_type));
    };
}

}  // namespace

Router::Router(ingest::Ingest& ingest, RouterOptions options)
    : ingest_(ingest), options_(std::move(options)), gate_(options_.backpressure) {}

std::string Router::base_url(const http::Request& request) const {
    if (!options_.public_url.empty()) return options_.public_url;
    // The Host header goes into the WSDL verbatim, so accept only host[:port] characters.
    auto usable = [](std::string_view host) {
        return !host.empty() && host.size() <= 255 &&
               host.find_first_not_of(
                   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
                   std::string_view::npos;
    };
    std::string scheme = request.tls ? "https" : "http";
    std::string host = usable(request.host) ? request.host : options_.fallback_host;
    // Behind a trusted TLS proxy the client used the proxy's scheme and host. The first value
    // of a list is the one the first proxy saw.
    const auto peer = config::normalized_ip_address(request.remote_address);
    if (peer && std::find(options_.trusted_proxies.begin(), options_.trusted_proxies.end(),
                          *peer) != options_.trusted_proxies.end()) {
        auto first_value = [&](std::string_view name) -> std::string {
            for (const auto& [field, value] : request.headers) {
                if (!boost::algorithm::iequals(field, name)) continue;
                std::string_view v = value;
                v = v.substr(0, v.find(','));
                while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
                while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
                return std::string(v);
            }
            return {};
        };
        const auto proto = first_value("X-Forwarded-Proto");
        if (boost::algorithm::iequals(proto, "https") || boost::algorithm::iequals(proto, "http"))
            scheme = boost::algorithm::to_lower_copy(proto);
        if (auto forwarded_host = first_value("X-Forwarded-Host"); usable(forwarded_host))
            host = std::move(forwarded_host);
    }
    return scheme + "://" + host;
}

std::optional<http::Response> Router::check_head(const http::Request& head) {
    if (head.method != "POST") return std::nullopt;
    auto url = boost::urls::parse_origin_form(head.target);
    if (!url) return std::nullopt;  // handle() answers it
    std::string path = url->path();
    const auto params = url->params();
    const auto bearer = bearer_of(head.authorization);
    constexpr std::string_view unauthorized =
        "The consumer isn't authorized to access the requested resource.";

    if (path == "/api/v1/orders") {
        if (!options_.api_token.empty() &&
            !ingest::constant_time_equals(bearer, options_.api_token))
            return json_response(401, json_error("missing or wrong bearer token"));
        return std::nullopt;
    }

    constexpr std::string_view soap_prefix = "/soap/";
    if (path.starts_with(soap_prefix)) {
        auto store = path.substr(soap_prefix.size());
        if (!store.empty() && store.back() == '/') store.pop_back();
        if (!valid_store_code(store) || !ingest_.has_store(store)) return std::nullopt;
        std::string services;
        if (auto it = params.find("services"); it != params.end() && (*it).has_value)
            services = (*it).value;
        // Without services= any operation may be in the body, the token request included.
        const auto list = split_services(services);
        if (list.empty() ||
            std::find(list.begin(), list.end(), "integrationAdminTokenServiceV1") != list.end())
            return std::nullopt;
        if (ingest_.bearer_allowed(store, bearer)) return std::nullopt;
        auto type = boost::algorithm::to_lower_copy(head.content_type);
        soap::Fault fault;
        fault.version = type.find("application/soap+xml") != std::string::npos
                            ? soap::SoapVersion::v12
                            : soap::SoapVersion::v11;
        fault.message = std::string(unauthorized);
        return xml_response(soap::fault_http_status(fault), soap::encode_fault(fault),
                            soap::content_type(fault.version));
    }

    constexpr std::string_view rest_prefix = "/rest/";
    if (path.starts_with(rest_prefix)) {
        auto rest = std::string_view(path).substr(rest_prefix.size());
        const auto slash = rest.find('/');
        if (slash == std::string_view::npos) return std::nullopt;
        const auto store = rest.substr(0, slash);
        auto operation = rest.substr(slash);
        if (operation.size() > 1 && operation.back() == '/') operation.remove_suffix(1);
        if (!operation.starts_with("/V1/orderflow/")) return std::nullopt;  // the token call
        if (!valid_store_code(store) || !ingest_.has_store(store)) return std::nullopt;
        if (ingest_.bearer_allowed(store, bearer)) return std::nullopt;
        return json_response(401, json_error(unauthorized));
    }
    return std::nullopt;
}

void Router::handle(http::Request request, http::Responder respond) {
    auto url = boost::urls::parse_origin_form(request.target);
    if (!url) return respond(text_response(400, "malformed request target\n"));
    std::string path = url->path();
    const auto params = url->params();
    const bool wants_wsdl = params.contains("wsdl");

    if (path == "/healthz") {
        if (request.method != "GET") return respond(method_not_allowed("GET"));
        return respond(text_response(200, "ok\n"));
    }

    if (path == "/api/v1/orders") {
        if (request.method != "POST") return respond(method_not_allowed("POST"));
        std::string store = "default";
        if (auto it = params.find("store"); it != params.end() && (*it).has_value)
            store = (*it).value;
        if (!valid_store_code(store) || !ingest_.has_store(store))
            return respond(json_response(404, json_error("unknown store code")));
        return handle_orders_api(std::move(request), std::move(store), std::move(respond));
    }

    // Magento-1: /api/v2_soap/ and /index.php/api/v2_soap/ (slash optional).
    for (std::string_view m1 : {"/api/v2_soap", "/index.php/api/v2_soap"}) {
        if (path != m1 && path != std::string(m1) + "/") continue;
        if (request.method == "GET" && wants_wsdl) {
            return respond(xml_response(200, soap::magento1_wsdl(base_url(request), path),
                                        "text/xml; charset=utf-8"));
        }
        if (auto xsd = params.find("xsd"); request.method == "GET" && xsd != params.end()) {
            const auto schema = soap::schema_document((*xsd).value);
            if (!schema) return respond(text_response(404, "unknown schema\n"));
            return respond(xml_response(200, std::string(*schema), "text/xml; charset=utf-8"));
        }
        if (request.method != "POST") return respond(method_not_allowed("GET, POST"));
        return handle_soap(std::move(request), "", false, "", std::move(respond));
    }

    // Magento-2 SOAP: /soap/<store>
    constexpr std::string_view soap_prefix = "/soap/";
    if (path.starts_with(soap_prefix)) {
        auto store = path.substr(soap_prefix.size());
        if (!store.empty() && store.back() == '/') store.pop_back();
        if (!valid_store_code(store) || !ingest_.has_store(store))
            return respond(text_response(404, "unknown store code\n"));
        std::string services;
        if (auto it = params.find("services"); it != params.end() && (*it).has_value)
            services = (*it).value;
        if (request.method == "GET" && wants_wsdl) {
            auto list = split_services(services);
            if (list.empty()) list = soap::magento2_services();
            auto wsdl = soap::magento2_wsdl(base_url(request), store, list);
            if (!wsdl)
                return respond(
                    text_response(404, "unknown service in services=" + services + "\n"));
            return respond(xml_response(200, std::move(*wsdl), "text/xml; charset=utf-8"));
        }
        if (request.method != "POST") return respond(method_not_allowed("GET, POST"));
        return handle_soap(std::move(request), std::move(store), true, std::move(services),
                           std::move(respond));
    }

    // Magento-2 REST: /rest/<store>/V1/...
    constexpr std::string_view rest_prefix = "/rest/";
    if (path.starts_with(rest_prefix)) {
        auto rest = path.substr(rest_prefix.size());
        auto slash = rest.find('/');
        if (slash != std::string::npos) {
            auto store = rest.substr(0, slash);
            auto operation = rest.substr(slash);
            // Magento declares its REST routes with a trailing slash; both spellings work.
            if (operation.size() > 1 && operation.back() == '/') operation.pop_back();
            static const std::set<std::string, std::less<>> operations{
                "/V1/orderflow/inventory", "/V1/orderflow/shipment", "/V1/orderflow/export/product",
                "/V1/orderflow/export/order", "/V1/integration/admin/token"};
            if (operations.contains(operation)) {
                if (request.method != "POST") return respond(method_not_allowed("POST"));
                if (!valid_store_code(store) || !ingest_.has_store(store))
                    return respond(json_response(404, json_error("unknown store code")));
                return handle_rest(std::move(request), std::move(store), std::move(operation),
                                   std::move(respond));
            }
        }
    }
    respond(text_response(404, "not found\n"));
}

void Router::handle_soap(http::Request request, std::string path_store, bool magento2,
                         std::string services, http::Responder respond) {
    auto result = soap::decode(request.body, request.content_type, request.soap_action,
                               options_.gate, ingest::is_secret_field);
    if (auto* fault = std::get_if<soap::Fault>(&result)) {
        if (const auto suppressed = malformed_log_.admit()) {
            if (*suppressed)
                spdlog::info("SOAP fault to {}: {} ({} similar lines suppressed)",
                             request.remote_address, domain::log_text(fault->message), *suppressed);
            else
                spdlog::info("SOAP fault to {}: {}", request.remote_address,
                             domain::log_text(fault->message));
        }
        return respond(xml_response(soap::fault_http_status(*fault), soap::encode_fault(*fault),
                                    soap::content_type(fault->version)));
    }
    auto decoded = std::get<soap::DecodedRequest>(std::move(result));
    auto client_fault = [&](std::string message) {
        soap::Fault fault{soap::FaultKind::client, "", std::move(message), decoded.version};
        respond(xml_response(soap::fault_http_status(fault), soap::encode_fault(fault),
                             soap::content_type(decoded.version)));
    };
    const bool is_m2 = decoded.style == soap::Style::m2_document;
    if (is_m2 != magento2)
        return client_fault("operation " + decoded.operation + " is not served at this endpoint; " +
                            (magento2 ? "use /api/v2_soap/ for urn:Magento operations"
                                      : "use /soap/<store>?services=... for Magento-2 services"));
    if (magento2 && !services.empty()) {
        auto list = split_services(services);
        if (std::find(list.begin(), list.end(), decoded.service) == list.end())
            return client_fault("operation " + decoded.operation + " belongs to service " +
                                decoded.service + ", which is not in services=" + services);
    }

    // Backpressure (request_gate.h): refused before it is queued, or answered at its deadline.
    auto server_fault = [version = decoded.version](std::string message) {
        soap::Fault fault{soap::FaultKind::server, "", std::move(message), version};
        return xml_response(soap::fault_http_status(fault), soap::encode_fault(fault),
                            soap::content_type(version));
    };
    auto admitted = gate_.admit(request.body.size(), respond, [server_fault] {
        return server_fault("The request was not stored in time. Please retry.");
    });
    if (!admitted)
        return respond(gate_.with_retry_after(server_fault(
            "The broker is busy: too many requests wait to be stored. Please retry.")));
    respond = std::move(admitted);

    ingest::Channel channel{magento2 ? "m2_soap" : "m1_soap", std::move(path_store),
                            bearer_of(request.authorization), request.remote_address};
    auto message = decoded.message;  // copied: `decoded` moves into the reply callback
    // Stored: the UTF-8 form of a transcoded body, the body as received otherwise; masked.
    auto masked_body = std::move(decoded.stored_body);
    std::visit(
        overloaded{
            [&](const domain::WireLogin& login) {
                ingest_.login(login, soap_reply(std::move(decoded), std::move(respond)));
            },
            [&](const domain::WireEndSession& end) {
                ingest_.end_session(end, soap_reply(std::move(decoded), std::move(respond), true));
            },
            [&](const domain::WireCreateToken& token) {
                ingest_.create_token(channel, token,
                                     soap_reply(std::move(decoded), std::move(respond)));
            },
            [&](const domain::WireProductGet&) {
                handle_fetch(decoded, channel.store_code, channel.bearer_token, std::move(respond));
            },
            [&](const domain::WireOrderGet&) {
                handle_fetch(decoded, channel.store_code, channel.bearer_token, std::move(respond));
            },
            [&](const auto& stored_message) {
                ingest_.submit(channel, stored_message, std::move(masked_body),
                               soap_reply(std::move(decoded), std::move(respond)));
            }},
        message);
}

// The read operations of notify mode: the WMS, told that a product or order changed, fetches
// it here (Magento's catalogProductRepositoryV1Get / salesOrderRepositoryV1Get). Authenticated
// like every Magento-2 call; answered from the store's Magento documents; nothing is queued. A
// fetch of a queued entity is the WMS's acknowledgement: it becomes exported, compare-and-set on
// the version read (a pending or failed one too: the WMS now has its current content, and a
// notification still in flight then finds it changed and leaves it exported), and the reply goes
// out once that is committed (a failed commit leaves it queued, to be notified again, and still
// answers: the WMS asked for data it may have).
void Router::handle_fetch(const soap::DecodedRequest& decoded, const std::string& store,
                          const std::string& bearer, http::Responder respond) {
    const auto content_type = soap::content_type(decoded.version);
    auto fault = [&](soap::FaultKind kind, std::string message) {
        soap::Fault f{kind, "", std::move(message), decoded.version};
        respond(xml_response(soap::fault_http_status(f), soap::encode_fault(f), content_type));
    };
    if (!ingest_.has_store(store)) return respond(text_response(404, "unknown store code\n"));
    if (!ingest_.bearer_allowed(store, bearer))
        return fault(soap::FaultKind::client,
                     "The consumer isn't authorized to access the requested resource.");
    if (!options_.export_reader)
        return fault(soap::FaultKind::server, "the store cannot be read; retry");
    const bool product = std::holds_alternative<domain::WireProductGet>(decoded.message);
    const auto reference = product
                               ? std::get<domain::WireProductGet>(decoded.message).sku.value_or("")
                               : std::get<domain::WireOrderGet>(decoded.message).id.value_or("");
    std::optional<exporting::FetchedEntity> entity;
    std::string body;
    try {
        entity = product ? options_.export_reader->fetch_product(store, reference)
                         : options_.export_reader->fetch_order(store, reference);
        if (!entity)
            return fault(soap::FaultKind::client,
                         product ? "The product that was requested doesn't exist. Verify the "
                                   "product and try again."
                                 : "The entity that was requested doesn't exist. Verify the "
                                   "entity and try again.");
        body = product ? soap::encode_product_get_response(decoded, entity->document)
                       : soap::encode_order_get_response(decoded, entity->document);
    } catch (const std::exception& e) {
        spdlog::error("{} fetch of '{}' failed: {}", product ? "product" : "order",
                      domain::log_text(reference), e.what());
        return fault(soap::FaultKind::server, "the store cannot be read; retry");
    }
    if ((entity->status != "queued" && entity->status != "pending" && entity->status != "failed") ||
        !options_.writer)
        return respond(xml_response(200, std::move(body), content_type));
    auto shared_body = std::make_shared<std::string>(std::move(body));
    options_.writer->run_in_transaction(
        [entity = *entity, product](storage::sqlite::Database& db, std::uint64_t) {
            exporting::ExportAcks acks(db);
            const auto now = storage::format_utc_millis(std::chrono::system_clock::now());
            acks.mark_exported(product ? "product" : "order", entity.reference, entity.version,
                               now);
        },
        [respond, shared_body, content_type, reference = entity->reference](std::error_code ec) {
            if (ec)
                spdlog::error(
                    "fetch of {}: could not record it as exported ({}); it stays "
                    "queued and is notified again",
                    domain::log_text(reference), ec.message());
            respond(xml_response(200, std::move(*shared_body), content_type));
        });
}

// Admin JSON API. The document is parsed and validated on this handler thread; the import is a
// job on the one writer (orders::import_orders), answered once it is durable.
void Router::handle_orders_api(http::Request request, std::string store, http::Responder respond) {
    if (options_.api_token.empty())
        return respond(json_response(404, json_error("the admin API is off: set [api] token")));
    if (!ingest::constant_time_equals(bearer_of(request.authorization), options_.api_token))
        return respond(json_response(401, json_error("missing or wrong bearer token")));
    if (!options_.writer)
        return respond(json_response(503, json_error("orders could not be stored; retry")));
    auto admitted = gate_.admit(request.body.size(), respond, [] {
        return json_response(503, json_error("the import was not durable in time; send it again"));
    });
    if (!admitted)
        return respond(gate_.with_retry_after(
            json_response(503, json_error("busy: too many requests wait to be stored; retry"))));
    respond = std::move(admitted);
    try {
        auto parsed = orders::parse_orders_json(request.body, store);
        orders::import_orders(
            *options_.writer, std::move(parsed),
            [respond, remote = request.remote_address](orders::ImportResult result) {
                if (const auto* summary = std::get_if<orders::ImportSummary>(&result)) {
                    spdlog::info("orders imported through the API from {}: {} created, {} updated",
                                 remote, summary->created, summary->updated);
                    return respond(json_response(
                        200, "{\"created\":" + std::to_string(summary->created) +
                                 ",\"updated\":" + std::to_string(summary->updated) + "}"));
                }
                if (const auto* refused = std::get_if<orders::OrderImportError>(&result))
                    return respond(json_response(400, json_error(refused->what())));
                spdlog::error("order import failed: {}",
                              std::get<std::error_code>(result).message());
                respond(json_response(503, json_error("orders could not be stored; retry")));
            });
    } catch (const orders::OrderImportError& e) {
        respond(json_response(400, json_error(e.what())));
    } catch (const std::exception& e) {
        spdlog::error("order import failed: {}", e.what());
        respond(json_response(503, json_error("orders could not be stored; retry")));
    }
}

void Router::handle_rest(http::Request request, std::string store, std::string operation,
                         http::Responder respond) {
    auto admitted = gate_.admit(request.body.size(), respond, [] {
        return json_response(503, json_error("The request was not stored in time. Please retry."));
    });
    if (!admitted)
        return respond(gate_.with_retry_after(json_response(
            503,
            json_error("The broker is busy: too many requests wait to be stored. Please retry."))));
    respond = std::move(admitted);
    ingest::Channel channel{"m2_json", std::move(store), bearer_of(request.authorization),
                            request.remote_address};
    auto reply = [respond](ingest::Outcome outcome) {
        respond(json_response(json_status(outcome.kind), outcome.kind == Kind::accepted
                                                             ? json_string(outcome.text)
                                                             : json_error(outcome.text)));
    };
    auto submit = [&](auto decoded) {
        if (auto* error = std::get_if<JsonError>(&decoded))
            return respond(json_response(400, json_error(error->message)));
        ingest_.submit(channel, std::get<0>(std::move(decoded)), mask_json_secrets(request.body),
                       reply);
    };
    if (operation == "/V1/orderflow/inventory") return submit(decode_inventory_json(request.body));
    if (operation == "/V1/orderflow/shipment") return submit(decode_shipment_json(request.body));
    if (operation == "/V1/orderflow/export/product")
        return submit(decode_export_json(request.body, domain::Entity::product_export));
    if (operation == "/V1/orderflow/export/order")
        return submit(decode_export_json(request.body, domain::Entity::order_export));
    auto token = decode_token_json(request.body);
    if (auto* error = std::get_if<JsonError>(&token))
        return respond(json_response(400, json_error(error->message)));
    ingest_.create_token(channel, std::get<domain::WireCreateToken>(token), reply);
}

}  // namespace ofbridge::endpoints
