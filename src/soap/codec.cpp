// SOAP bytes <-> wire messages. decode() = the pugixml gate, then gSOAP's generated
// deserialisers (one context per thread, reused), then a copy into domain::Wire* structs so no
// gSOAP type or memory outlives the call. Replies are written from templates: they are tiny,
// fixed-shape, and must look like PHP SoapServer's so existing WMS clients read them.
#include "ofbridge/soap/codec.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <pugixml.hpp>
#include <vector>

#include "gate.h"
#include "soapH.h"
#include "transcode.h"
#include "xml_escape.h"

namespace ofbridge::soap {
namespace {

using domain::WireText;

// The generated request structs share their names with the generated service functions, so
// they need the `struct` keyword; these aliases say what each one is.
using M1Login = struct ns1__login;
using M1EndSession = struct ns1__endSession;
using M1InventoryUpdate = struct ns1__orderflowInventoryMultiUpdate;
using M1ShipmentCreate = struct ns1__orderflowShipmentCreate;
using M2InventoryUpdate =
    struct ns2__realtimeDespatchOrderFlowInventoryRequestManagementV1UpdateRequest;
using M2ShipmentCreate =
    struct ns3__realtimeDespatchOrderFlowShipmentRequestManagementV1CreateRequest;
using M2ProductExport =
    struct ns4__realtimeDespatchOrderFlowProductRequestManagementV1ExportRequest;
using M2OrderExport = struct ns5__realtimeDespatchOrderFlowOrderRequestManagementV1ExportRequest;
using M2CreateAdminToken = struct ns6__integrationAdminTokenServiceV1CreateAdminAccessTokenRequest;

// --- gSOAP context: one per thread, created on first use, reused for every request.

struct InputCursor {
    std::string_view body;
    std::size_t position = 0;
};

// gSOAP pulls the body through this callback (no HTTP, no socket: Beast owns the connection).
std::size_t read_from_cursor(struct soap* context, char* buffer, std::size_t capacity) {
    auto* cursor = static_cast<InputCursor*>(context->user);
    const std::size_t count = std::min(capacity, cursor->body.size() - cursor->position);
    std::memcpy(buffer, cursor->body.data() + cursor->position, count);
    cursor->position += count;
    return count;  // 0 = end of input
}

struct SoapContextDeleter {
    void operator()(struct soap* context) const {
        soap_destroy(context);
        soap_end(context);
        soap_free(context);
    }
};

struct soap* thread_context() {
    thread_local std::unique_ptr<struct soap, SoapContextDeleter> context = [] {
        // PLAIN: the input is a bare XML body (never parse HTTP headers found inside it);
        // UTFSTRING: std::string holds UTF-8, not Latin-1.
        std::unique_ptr<struct soap, SoapContextDeleter> created{
            soap_new1(SOAP_ENC_PLAIN | SOAP_C_UTFSTRING)};
        if (!created) throw std::bad_alloc();
        // The table with the Magento-2 wildcard patterns (gsoap_namespaces.cpp). Naming it here
        // also makes the linker pull it out of the static library.
        soap_set_namespaces(created.get(), namespaces);
        created->frecv = read_from_cursor;
        created->maxoccurs =
            100000;  // SOAP-ENC arrays only; our std::vector arrays are bounded by the gate
        return created;
    }();
    return context.get();
}

// Releases everything gSOAP allocated for one request, whatever path leaves decode().
class RequestScope {
public:
    RequestScope(struct soap* context, InputCursor* cursor) : context_(context) {
        context_->user = cursor;
    }
    RequestScope(const RequestScope&) = delete;
    RequestScope& operator=(const RequestScope&) = delete;
    ~RequestScope() {
        release();
        soap_clr_imode(context_, SOAP_XML_IGNORENS);
        context_->user = nullptr;
    }
    void release() {
        soap_destroy(context_);
        soap_end(context_);
    }

private:
    struct soap* context_;
};

void apply_limits(struct soap* context, const GateLimits& limits, std::size_t body_size) {
    context->maxlevel = static_cast<unsigned int>(limits.max_depth + 2);
    context->maxlength = static_cast<long>(limits.max_text_bytes);
    context->recv_maxlength = static_cast<decltype(context->recv_maxlength)>(body_size + 1);
}

// Envelope, header, the operation element via `get_operation`, then the closing tags.
template <class Request, class Getter>
int parse_operation(struct soap* context, Request& request, Getter get_operation, const char* tag) {
    if (soap_begin_recv(context) || soap_envelope_begin_in(context) || soap_recv_header(context) ||
        soap_body_begin_in(context))
        return context->error ? context->error : SOAP_SYNTAX_ERROR;
    if (!get_operation(context, &request, tag, nullptr))
        return context->error ? context->error : SOAP_TAG_MISMATCH;
    if (soap_body_end_in(context) || soap_envelope_end_in(context) || soap_end_recv(context))
        return context->error ? context->error : SOAP_SYNTAX_ERROR;
    return SOAP_OK;
}

WireText text(const std::string* value) {
    return value ? WireText{*value} : std::nullopt;
}

// How many leaves gSOAP actually filled in at each path, in the gate's notation
// (gate::Verdict::leaf_counts). Allocates only once per distinct path.
class DecodedPaths {
public:
    void leaf(std::string_view path, const void* present) {
        if (present) count("", path);
    }
    // An array parameter: its items' fields, or the array itself when it is empty, or the item
    // when none of its fields arrived (mirrors how the gate sees <a/> and <a><item/></a>).
    template <class Array, class Fields>
    void array(std::string_view name, const Array* array, Fields fields) {
        if (!array) return;
        if (array->item.empty()) count("", name);
        const std::string item_prefix = std::string(name) + "/item/";
        const std::string_view item_path{item_prefix.data(), item_prefix.size() - 1};
        for (const auto& item : array->item) {
            const auto before = total_;
            fields(item, item_prefix);
            if (total_ == before) count("", item_path);
        }
    }
    void leaf_in(std::string_view prefix, std::string_view name, const void* present) {
        if (present) count(prefix, name);
    }
    std::vector<std::pair<std::string, std::size_t>> sorted() && {
        std::sort(counts_.begin(), counts_.end());
        return std::move(counts_);
    }

private:
    void count(std::string_view prefix, std::string_view name) {
        ++total_;
        for (auto& [path, count] : counts_) {
            if (path.size() == prefix.size() + name.size() && path.starts_with(prefix) &&
                path.ends_with(name)) {
                ++count;
                return;
            }
        }
        counts_.emplace_back(std::string(prefix) + std::string(name), 1);
    }

    std::vector<std::pair<std::string, std::size_t>> counts_;
    std::size_t total_ = 0;
};

// The first path whose count differs between what the gate saw and what gSOAP filled in.
std::string first_difference(const std::vector<std::pair<std::string, std::size_t>>& expected,
                             const std::vector<std::pair<std::string, std::size_t>>& decoded) {
    for (const auto& entry : expected)
        if (std::find(decoded.begin(), decoded.end(), entry) == decoded.end()) return entry.first;
    for (const auto& entry : decoded)
        if (std::find(expected.begin(), expected.end(), entry) == expected.end())
            return entry.first;
    return {};
}

struct Copied {
    WireMessage message;
    std::vector<std::string> paths;
};
using CopyResult = std::variant<Copied, std::string>;  // the message, or why it is refused

struct DecodeAttempt {
    struct soap* context;
    InputCursor& cursor;
    RequestScope& scope;
    const gate::Verdict& verdict;
};

// Parses with gSOAP and copies out, in two rounds at most. Round one uses the namespace table
// (Magento-2 operations match whatever endpoint URI the caller used through the `*services=*X*`
// patterns); it starts out ignoring namespaces instead when the gate saw an undeclared operation
// prefix or prefixed children, which the default mode would reject or silently skip. If gSOAP
// fails on a namespace, or fills in less than the gate counted, round two retries with
// SOAP_XML_IGNORENS: the gate has already checked every namespace that matters.
template <class Request, class Getter, class Copy>
std::variant<WireMessage, std::string> decode_with(DecodeAttempt attempt, Getter get_operation,
                                                   const char* tag, Copy copy) {
    auto* context = attempt.context;
    const bool ignore_from_start =
        attempt.verdict.namespace_uri.empty() || attempt.verdict.prefixed_descendants;
    if (ignore_from_start) soap_set_imode(context, SOAP_XML_IGNORENS);
    std::string unexplained;
    for (int round = 0; round < 2; ++round) {
        if (round == 1) {
            if (ignore_from_start) break;
            attempt.scope.release();
            attempt.cursor.position = 0;
            soap_set_imode(context, SOAP_XML_IGNORENS);
        }
        Request request;
        const int error = parse_operation(context, request, get_operation, tag);
        if (error == SOAP_NO_METHOD || error == SOAP_TAG_MISMATCH || error == SOAP_NAMESPACE ||
            error == SOAP_SYNTAX_ERROR) {
            if (round == 0 && !ignore_from_start) continue;
        }
        if (error != SOAP_OK) {
            std::string message = "Malformed request";
            soap_set_fault(context);  // fills faultstring/detail from context->error
            const char* fault_string = soap_fault_string(context);
            if (fault_string && *fault_string) message += std::string{": "} + fault_string;
            const char* detail = soap_fault_detail(context);
            if (detail && *detail) message += std::string{" ("} + detail + ")";
            return message;
        }
        DecodedPaths paths;
        CopyResult copied = copy(request, paths);
        if (auto* refused = std::get_if<std::string>(&copied)) return std::move(*refused);
        auto decoded_paths = std::move(paths).sorted();
        if (decoded_paths == attempt.verdict.leaf_counts)
            return std::move(std::get<Copied>(copied).message);
        unexplained = first_difference(attempt.verdict.leaf_counts, decoded_paths);
    }
    return "Malformed request: element " + unexplained + " in " + attempt.verdict.operation_name +
           " is not part of the operation (unknown name or namespace)";
}

// The scalar shipment fields have the same names in both wire styles (DESIGN §2.1, §2.2).
template <class Shipment>
void account_shipment_fields(const Shipment& r, DecodedPaths& paths) {
    paths.leaf("comment", r.comment);
    paths.leaf("email", r.email);
    paths.leaf("includeComment", r.includeComment);
    paths.leaf("courierName", r.courierName);
    paths.leaf("serviceName", r.serviceName);
    paths.leaf("trackingNumber", r.trackingNumber);
    paths.leaf("dateShipped", r.dateShipped);
    paths.leaf("messageSeqId", r.messageSeqId);
}

template <class Shipment>
void copy_shipment_fields(const Shipment& r, domain::WireShipmentCreate& wire) {
    wire.comment = text(r.comment);
    wire.email = text(r.email);
    wire.include_comment = text(r.includeComment);
    wire.courier_name = text(r.courierName);
    wire.service_name = text(r.serviceName);
    wire.tracking_number = text(r.trackingNumber);
    wire.date_shipped = text(r.dateShipped);
    wire.message_seq_id = text(r.messageSeqId);
}

std::variant<WireMessage, std::string> decode_typed(DecodeAttempt attempt) {
    switch (attempt.verdict.operation) {
        case gate::Operation::m1_login:
            return decode_with<M1Login>(
                attempt, soap_get_ns1__login, "ns1:login",
                [](const M1Login& r, DecodedPaths& paths) -> CopyResult {
                    paths.leaf("username", r.username);
                    paths.leaf("apiKey", r.apiKey);
                    return Copied{domain::WireLogin{text(r.username), text(r.apiKey)}, {}};
                });
        case gate::Operation::m1_end_session:
            return decode_with<M1EndSession>(
                attempt, soap_get_ns1__endSession, "ns1:endSession",
                [](const M1EndSession& r, DecodedPaths& paths) -> CopyResult {
                    paths.leaf("sessionId", r.sessionId);
                    return Copied{domain::WireEndSession{text(r.sessionId)}, {}};
                });
        case gate::Operation::m1_inventory_update:
            return decode_with<M1InventoryUpdate>(
                attempt, soap_get_ns1__orderflowInventoryMultiUpdate,
                "ns1:orderflowInventoryMultiUpdate",
                [](const M1InventoryUpdate& r, DecodedPaths& paths) -> CopyResult {
                    if (r.skuQty && r.skusQty)
                        return std::string{"Both skuQty and skusQty were sent; send one"};
                    if (r.skuSeqId && r.skusSeqId)
                        return std::string{"Both skuSeqId and skusSeqId were sent; send one"};
                    paths.leaf("sessionId", r.sessionId);
                    paths.leaf("messageSeqId", r.messageSeqId);
                    const auto qty_fields = [&paths](const ns1__skuQty& item,
                                                     std::string_view prefix) {
                        paths.leaf_in(prefix, "key", item.key);
                        paths.leaf_in(prefix, "value", item.value);
                    };
                    const auto seq_fields = [&paths](const ns1__skuSeq& item,
                                                     std::string_view prefix) {
                        paths.leaf_in(prefix, "key", item.key);
                        paths.leaf_in(prefix, "value", item.value);
                        paths.leaf_in(prefix, "lastOrderExported", item.lastOrderExported);
                    };
                    paths.array("skuQty", r.skuQty, qty_fields);
                    paths.array("skusQty", r.skusQty, qty_fields);
                    paths.array("skuSeqId", r.skuSeqId, seq_fields);
                    paths.array("skusSeqId", r.skusSeqId, seq_fields);

                    domain::WireInventoryUpdate wire;
                    wire.pairing = domain::Pairing::by_position;
                    wire.session_id = text(r.sessionId);
                    wire.message_seq_id = text(r.messageSeqId);
                    if (const auto* qtys = r.skusQty ? r.skusQty : r.skuQty)
                        for (const auto& item : qtys->item)
                            wire.qtys.push_back(
                                {text(item.key), text(item.value), std::nullopt, std::nullopt});
                    if (const auto* seqs = r.skusSeqId ? r.skusSeqId : r.skuSeqId)
                        for (const auto& item : seqs->item)
                            wire.seqs.push_back(
                                {text(item.key), text(item.value), text(item.lastOrderExported)});
                    return Copied{std::move(wire), {}};
                });
        case gate::Operation::m1_shipment_create:
            return decode_with<M1ShipmentCreate>(
                attempt, soap_get_ns1__orderflowShipmentCreate, "ns1:orderflowShipmentCreate",
                [](const M1ShipmentCreate& r, DecodedPaths& paths) -> CopyResult {
                    if (r.skuQty && r.skusQty)
                        return std::string{"Both skuQty and skusQty were sent; send one"};
                    paths.leaf("sessionId", r.sessionId);
                    paths.leaf("orderIncrementId", r.orderIncrementId);
                    const auto item_fields = [&paths](const ns1__skuQty& item,
                                                      std::string_view prefix) {
                        paths.leaf_in(prefix, "key", item.key);
                        paths.leaf_in(prefix, "value", item.value);
                    };
                    paths.array("skuQty", r.skuQty, item_fields);
                    paths.array("skusQty", r.skusQty, item_fields);
                    account_shipment_fields(r, paths);

                    domain::WireShipmentCreate wire;
                    wire.session_id = text(r.sessionId);
                    wire.order_increment_id = text(r.orderIncrementId);
                    if (const auto* items = r.skusQty ? r.skusQty : r.skuQty)
                        for (const auto& item : items->item)
                            wire.items.push_back({text(item.key), text(item.value), std::nullopt});
                    copy_shipment_fields(r, wire);
                    return Copied{std::move(wire), {}};
                });
        case gate::Operation::m2_inventory_update:
            return decode_with<M2InventoryUpdate>(
                attempt,
                soap_get_ns2__realtimeDespatchOrderFlowInventoryRequestManagementV1UpdateRequest,
                "ns2:realtimeDespatchOrderFlowInventoryRequestManagementV1UpdateRequest",
                [](const M2InventoryUpdate& r, DecodedPaths& paths) -> CopyResult {
                    paths.leaf("messageSeqId", r.messageSeqId);
                    paths.array("productQtys", r.productQtys,
                                [&paths](const ns2__ProductQtyItem& item, std::string_view p) {
                                    paths.leaf_in(p, "sku", item.sku);
                                    paths.leaf_in(p, "qty", item.qty);
                                    paths.leaf_in(p, "source", item.source);
                                    paths.leaf_in(p, "lastOrderExported", item.lastOrderExported);
                                });
                    paths.array("productSeqs", r.productSeqs,
                                [&paths](const ns2__ProductSeqItem& item, std::string_view p) {
                                    paths.leaf_in(p, "sku", item.sku);
                                    paths.leaf_in(p, "seq", item.seq);
                                    paths.leaf_in(p, "lastOrderExported", item.lastOrderExported);
                                });

                    domain::WireInventoryUpdate wire;
                    wire.pairing = domain::Pairing::by_sku;
                    wire.message_seq_id = text(r.messageSeqId);
                    if (r.productQtys)
                        for (const auto& item : r.productQtys->item)
                            wire.qtys.push_back({text(item.sku), text(item.qty), text(item.source),
                                                 text(item.lastOrderExported)});
                    if (r.productSeqs)
                        for (const auto& item : r.productSeqs->item)
                            wire.seqs.push_back(
                                {text(item.sku), text(item.seq), text(item.lastOrderExported)});
                    return Copied{std::move(wire), {}};
                });
        case gate::Operation::m2_shipment_create:
            return decode_with<M2ShipmentCreate>(
                attempt,
                soap_get_ns3__realtimeDespatchOrderFlowShipmentRequestManagementV1CreateRequest,
                "ns3:realtimeDespatchOrderFlowShipmentRequestManagementV1CreateRequest",
                [](const M2ShipmentCreate& r, DecodedPaths& paths) -> CopyResult {
                    paths.leaf("sessionId",
                               r.sessionId);  // accounted for, never copied (DESIGN §2.2)
                    paths.leaf("orderIncrementId", r.orderIncrementId);
                    paths.array("skuQty", r.skuQty,
                                [&paths](const ns3__ShipmentItem& item, std::string_view p) {
                                    paths.leaf_in(p, "sku", item.sku);
                                    paths.leaf_in(p, "qty", item.qty);
                                    paths.leaf_in(p, "source", item.source);
                                });
                    paths.array("tracks", r.tracks,
                                [&paths](const ns3__Track& track, std::string_view p) {
                                    paths.leaf_in(p, "trackingNumber", track.trackingNumber);
                                });
                    account_shipment_fields(r, paths);

                    domain::WireShipmentCreate wire;
                    wire.order_increment_id = text(r.orderIncrementId);
                    if (r.skuQty)
                        for (const auto& item : r.skuQty->item)
                            wire.items.push_back(
                                {text(item.sku), text(item.qty), text(item.source)});
                    if (r.tracks)
                        for (const auto& track : r.tracks->item)
                            if (track.trackingNumber) wire.tracks.push_back(*track.trackingNumber);
                    copy_shipment_fields(r, wire);
                    return Copied{std::move(wire), {}};
                });
        case gate::Operation::m2_product_export:
            return decode_with<M2ProductExport>(
                attempt,
                soap_get_ns4__realtimeDespatchOrderFlowProductRequestManagementV1ExportRequest,
                "ns4:realtimeDespatchOrderFlowProductRequestManagementV1ExportRequest",
                [](const M2ProductExport& r, DecodedPaths& paths) -> CopyResult {
                    paths.leaf("reference", r.reference);
                    return Copied{
                        domain::WireExportAck{domain::Entity::product_export, text(r.reference)},
                        {}};
                });
        case gate::Operation::m2_order_export:
            return decode_with<M2OrderExport>(
                attempt,
                soap_get_ns5__realtimeDespatchOrderFlowOrderRequestManagementV1ExportRequest,
                "ns5:realtimeDespatchOrderFlowOrderRequestManagementV1ExportRequest",
                [](const M2OrderExport& r, DecodedPaths& paths) -> CopyResult {
                    paths.leaf("reference", r.reference);
                    return Copied{
                        domain::WireExportAck{domain::Entity::order_export, text(r.reference)}, {}};
                });
        case gate::Operation::m2_create_admin_token:
            return decode_with<M2CreateAdminToken>(
                attempt, soap_get_ns6__integrationAdminTokenServiceV1CreateAdminAccessTokenRequest,
                "ns6:integrationAdminTokenServiceV1CreateAdminAccessTokenRequest",
                [](const M2CreateAdminToken& r, DecodedPaths& paths) -> CopyResult {
                    paths.leaf("username", r.username);
                    paths.leaf("password", r.password);
                    return Copied{domain::WireCreateToken{text(r.username), text(r.password)}, {}};
                });
    }
    return std::string{"Unknown operation"};
}

// --- Reply writing

constexpr std::string_view soap11_envelope_ns = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr std::string_view soap12_envelope_ns = "http://www.w3.org/2003/05/soap-envelope";
constexpr std::string_view soap11_encoding_ns = "http://schemas.xmlsoap.org/soap/encoding/";
constexpr std::string_view soap12_encoding_ns = "http://www.w3.org/2003/05/soap-encoding";

// The element that carries the result of a Magento-1 operation, as PHP SoapServer names it
// from the WSDL's output part (wsdl/magento1.wsdl).
std::string_view magento1_result_part(std::string_view operation) {
    if (operation == "login") return "loginReturn";
    if (operation == "endSession") return "endSessionReturn";
    return "result";
}

std::string encode_result(const DecodedRequest& request, std::string_view value,
                          std::string_view xsd_type) {
    const bool v12 = request.version == SoapVersion::v12;
    std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)";
    out += '\n';
    if (request.style == Style::m1_rpc) {
        const auto part = magento1_result_part(request.operation);
        const auto encoding_ns = v12 ? soap12_encoding_ns : soap11_encoding_ns;
        out += R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV=")";
        out += v12 ? soap12_envelope_ns : soap11_envelope_ns;
        out += R"(" xmlns:ns1="urn:Magento" xmlns:xsd="http://www.w3.org/2001/XMLSchema")";
        out += R"( xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:SOAP-ENC=")";
        out += encoding_ns;
        out += '"';
        // SOAP 1.1 lets encodingStyle sit on the Envelope (as PHP does); 1.2 only below Body.
        if (!v12)
            out += std::string{R"( SOAP-ENV:encodingStyle=")"} + std::string(encoding_ns) + '"';
        out += "><SOAP-ENV:Body><ns1:";
        out += request.operation;
        out += "Response";
        if (v12)
            out += std::string{R"( SOAP-ENV:encodingStyle=")"} + std::string(encoding_ns) + '"';
        out += "><";
        out += part;
        out += R"( xsi:type="xsd:)";
        out += xsd_type;
        out += R"(">)";
        append_escaped(out, value);
        out += "</";
        out += part;
        out += "></ns1:";
        out += request.operation;
        out += "Response></SOAP-ENV:Body></SOAP-ENV:Envelope>\n";
        return out;
    }
    out += R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV=")";
    out += v12 ? soap12_envelope_ns : soap11_envelope_ns;
    out += R"(" xmlns:ns1=")";
    append_escaped(out, request.namespace_uri);
    out += R"("><SOAP-ENV:Body><ns1:)";
    out += request.operation;
    out += "Response><result>";
    append_escaped(out, value);
    out += "</result></ns1:";
    out += request.operation;
    out += "Response></SOAP-ENV:Body></SOAP-ENV:Envelope>\n";
    return out;
}

}  // namespace

DecodeResult decode(std::string_view body, std::string_view content_type,
                    std::string_view soap_action, const GateLimits& limits) {
    auto transcoded = transcode::to_utf8(body, content_type);
    if (!transcoded.problem.empty()) {
        const bool v12 = content_type.find("soap+xml") != std::string_view::npos;
        return Fault{FaultKind::client, "", "Malformed request: " + transcoded.problem,
                     v12 ? SoapVersion::v12 : SoapVersion::v11};
    }
    if (transcoded.utf8) body = *transcoded.utf8;

    auto gated = gate::inspect(body, content_type, soap_action, limits);
    if (auto* fault = std::get_if<Fault>(&gated)) return *fault;
    const auto& verdict = std::get<gate::Verdict>(gated);

    // SOAP-ENC array members may have any name (SOAP 1.1 §5.4.2); gSOAP reads them as <item>.
    std::string renamed;
    if (!verdict.member_names.empty()) {
        renamed.assign(body);
        auto names = verdict.member_names;
        std::sort(names.begin(), names.end(), std::greater<>{});
        for (const auto& [offset, size] : names) renamed.replace(offset, size, "item");
    }
    struct soap* context = thread_context();
    InputCursor cursor{renamed.empty() ? body : std::string_view{renamed}};
    RequestScope scope{context, &cursor};
    apply_limits(context, limits, body.size());
    auto typed = decode_typed(DecodeAttempt{context, cursor, scope, verdict});
    if (auto* message = std::get_if<std::string>(&typed))
        return Fault{FaultKind::client, "", std::move(*message), verdict.version};

    DecodedRequest request;
    request.version = verdict.version;
    request.style = verdict.style;
    request.operation = verdict.operation_name;
    request.namespace_uri = verdict.namespace_uri;
    request.service = verdict.service;
    request.message = std::move(std::get<WireMessage>(typed));
    if (transcoded.utf8) request.utf8_body = std::move(*transcoded.utf8);
    return request;
}

std::string encode_string_result(const DecodedRequest& request, std::string_view result) {
    return encode_result(request, result, "string");
}

std::string encode_bool_result(const DecodedRequest& request, bool result) {
    return encode_result(request, result ? "true" : "false", "boolean");
}

// SOAP 1.1: <faultcode> is SOAP-ENV:Client / SOAP-ENV:Server, or the bare Magento number ("2",
// "5") exactly as Magento-1 sends it. SOAP 1.2 needs a QName in Code/Value, so the Code is
// env:Sender / env:Receiver and a Magento number travels in <env:Detail><ns1:faultcode>.
std::string encode_fault(const Fault& fault) {
    const bool client = fault.kind == FaultKind::client;
    std::string out = R"(<?xml version="1.0" encoding="UTF-8"?>)";
    out += '\n';
    if (fault.version == SoapVersion::v11) {
        out += R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV=")";
        out += soap11_envelope_ns;
        out += R"("><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>)";
        if (fault.code.empty())
            out += client ? "SOAP-ENV:Client" : "SOAP-ENV:Server";
        else
            append_escaped(out, fault.code);
        out += "</faultcode><faultstring>";
        append_escaped(out, fault.message);
        out += "</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>\n";
        return out;
    }
    out += R"(<env:Envelope xmlns:env=")";
    out += soap12_envelope_ns;
    out += R"("><env:Body><env:Fault><env:Code><env:Value>)";
    out += client ? "env:Sender" : "env:Receiver";
    out += R"(</env:Value></env:Code><env:Reason><env:Text xml:lang="en">)";
    append_escaped(out, fault.message);
    out += "</env:Text></env:Reason>";
    if (!fault.code.empty()) {
        out += R"(<env:Detail><ns1:faultcode xmlns:ns1="urn:Magento">)";
        append_escaped(out, fault.code);
        out += "</ns1:faultcode></env:Detail>";
    }
    out += "</env:Fault></env:Body></env:Envelope>\n";
    return out;
}

std::string_view content_type(SoapVersion version) {
    return version == SoapVersion::v12 ? "application/soap+xml; charset=utf-8"
                                       : "text/xml; charset=utf-8";
}

unsigned fault_http_status(const Fault& fault) {
    return fault.kind == FaultKind::server ? 503u : 500u;
}

namespace {

std::string_view local_part(std::string_view qualified_name) {
    const auto colon = qualified_name.find(':');
    return colon == std::string_view::npos ? qualified_name : qualified_name.substr(colon + 1);
}

struct ByteRange {
    std::size_t begin;
    std::size_t end;
};

// Fallback for bodies pugixml refuses: mask the text after every `<prefix:secret ...>` up to the
// next '<'. Less precise (CDATA, comments), but a malformed body must not leak a password either.
std::vector<ByteRange> scan_secret_ranges(std::string_view body, SecretName is_secret) {
    std::vector<ByteRange> ranges;
    for (auto open = body.find('<'); open != std::string_view::npos;
         open = body.find('<', open + 1)) {
        auto name_end = body.find_first_of(" \t\r\n/>", open + 1);
        if (name_end == std::string_view::npos) break;
        if (!is_secret(local_part(body.substr(open + 1, name_end - open - 1)))) continue;
        auto tag_end = body.find('>', name_end);
        if (tag_end == std::string_view::npos) break;
        if (body[tag_end - 1] == '/') continue;  // <sessionId/>
        auto text_end = body.find('<', tag_end + 1);
        if (text_end == std::string_view::npos) text_end = body.size();
        ranges.push_back({tag_end + 1, text_end});
    }
    return ranges;
}

}  // namespace

std::string mask_secrets(std::string_view body, SecretName is_secret) {
    std::vector<ByteRange> ranges;
    pugi::xml_document document;
    // No escapes / EOL normalisation: node values keep their raw length, so offset_debug() + the
    // value's length is exactly the byte range in the original body.
    const unsigned options = pugi::parse_cdata | pugi::parse_ws_pcdata;
    if (document.load_buffer(body.data(), body.size(), options, pugi::encoding_utf8)) {
        std::vector<pugi::xml_node> pending{document};
        while (!pending.empty()) {
            auto node = pending.back();
            pending.pop_back();
            for (auto child : node.children())
                if (child.type() == pugi::node_element) pending.push_back(child);
            if (node.type() != pugi::node_element || !is_secret(local_part(node.name()))) continue;
            for (auto child : node.children()) {
                if (child.type() != pugi::node_pcdata && child.type() != pugi::node_cdata) continue;
                const auto offset = child.offset_debug();
                if (offset < 0) continue;
                const auto begin = static_cast<std::size_t>(offset);
                ranges.push_back({begin, begin + std::strlen(child.value())});
            }
        }
    } else {
        ranges = scan_secret_ranges(body, is_secret);
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });

    std::string masked;
    masked.reserve(body.size());
    std::size_t copied = 0;
    for (const auto& range : ranges) {
        if (range.begin < copied || range.end > body.size()) continue;
        masked.append(body.substr(copied, range.begin - copied));
        masked += "***";
        copied = range.end;
    }
    masked.append(body.substr(copied));
    return masked;
}

}  // namespace ofbridge::soap
