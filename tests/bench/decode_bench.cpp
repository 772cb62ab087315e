// What the SOAP edge costs per message on the hot path: a Magento-1 inventory message of 1 and
// 100 lines (the shape tests/bench/inventory.lua sends) taken from bytes to domain wire structs
// plus the masked body that is stored. The alternatives measured when choosing the parser sit
// beside it: pugixml's parse alone (the floor of any DOM approach) and gSOAP's generated
// deserialiser alone (what the typed decoding cost before it left the request path).
//
// The Magento-2 SOAP and REST JSON inventory messages of the same size sit beside it: the worker
// expands stored bodies of all three wires with these decoders.
//
// Run: decode_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <pugixml.hpp>
#include <string>
#include <utility>
#include <variant>

#include "ofbridge/codec/json_messages.h"
#include "ofbridge/ingest/secrets.h"
#include "ofbridge/soap/codec.h"
#include "soapH.h"

namespace {

using namespace ofbridge;

std::string inventory_message(int lines) {
    std::string qtys;
    std::string seqs;
    for (int i = 1; i <= lines; ++i) {
        const auto sku = "BENCH-1-" + std::to_string(i);
        qtys += R"(<item xsi:type="ns1:skuQty"><key xsi:type="xsd:string">)" + sku +
                R"(</key><value xsi:type="xsd:int">)" + std::to_string(i) + "</value></item>";
        seqs += R"(<item xsi:type="ns1:skuSeq"><key xsi:type="xsd:string">)" + sku +
                R"(</key><value xsi:type="xsd:int">100000042</value></item>)";
    }
    const auto count = std::to_string(lines);
    return R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" )"
           R"(xmlns:ns1="urn:Magento" xmlns:xsd="http://www.w3.org/2001/XMLSchema" )"
           R"(xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" )"
           R"(xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" )"
           R"(SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">)"
           R"(<SOAP-ENV:Body><ns1:orderflowInventoryMultiUpdate>)"
           R"(<sessionId xsi:type="xsd:string">0b6fd9e1c9f1e2d8a4f30b6fd9e1c9f1</sessionId>)"
           R"(<skuQty SOAP-ENC:arrayType="ns1:skuQty[)" +
           count + R"(]" xsi:type="ns1:skuQtyArray">)" + qtys +
           R"(</skuQty><skuSeqId SOAP-ENC:arrayType="ns1:skuSeq[)" + count +
           R"(]" xsi:type="ns1:skuSeqArray">)" + seqs +
           R"(</skuSeqId><messageSeqId xsi:type="xsd:int">100000042</messageSeqId>)"
           R"(</ns1:orderflowInventoryMultiUpdate></SOAP-ENV:Body></SOAP-ENV:Envelope>)";
}

// The same lines as Magento-2 sends them: document/literal, <item> members, sku pairing.
std::string m2_inventory_message(int lines) {
    std::string qtys;
    std::string seqs;
    for (int i = 1; i <= lines; ++i) {
        const auto sku = "BENCH-1-" + std::to_string(i);
        qtys += "<item><sku>" + sku + "</sku><qty>" + std::to_string(i) +
                "</qty><source>default</source></item>";
        seqs += "<item><sku>" + sku + "</sku><seq>100000042</seq></item>";
    }
    return R"(<?xml version="1.0" encoding="UTF-8"?>)"
           R"(<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" )"
           R"(xmlns:ns1="http://magento.example/soap/default?services=)"
           R"(realtimeDespatchOrderFlowInventoryRequestManagementV1"><env:Body>)"
           R"(<ns1:realtimeDespatchOrderFlowInventoryRequestManagementV1UpdateRequest>)"
           R"(<productQtys>)" +
           qtys + "</productQtys><productSeqs>" + seqs +
           R"(</productSeqs><messageSeqId>100000042</messageSeqId>)"
           R"(</ns1:realtimeDespatchOrderFlowInventoryRequestManagementV1UpdateRequest>)"
           R"(</env:Body></env:Envelope>)";
}

std::string m2_inventory_json(int lines) {
    std::string qtys;
    std::string seqs;
    for (int i = 1; i <= lines; ++i) {
        const auto sku = "\"BENCH-1-" + std::to_string(i) + "\"";
        if (i > 1) {
            qtys += ',';
            seqs += ',';
        }
        qtys += R"({"sku":)" + sku + R"(,"qty":)" + std::to_string(i) + R"(,"source":"default"})";
        seqs += R"({"sku":)" + sku + R"(,"seq":100000042})";
    }
    return R"({"productQtys":[)" + qtys + R"(],"productSeqs":[)" + seqs +
           R"(],"messageSeqId":100000042})";
}

void set_counters(benchmark::State& state, const std::string& body) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
    state.counters["lines"] = static_cast<double>(state.range(0));
}

// The request path: decode(), with the masked body it hands over to be stored.
void BM_Decode(benchmark::State& state) {
    const auto body = inventory_message(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        auto result = soap::decode(body, "text/xml; charset=utf-8", "", soap::GateLimits{},
                                   ingest::is_secret_field);
        const auto* request = std::get_if<soap::DecodedRequest>(&result);
        if (!request || request->stored_body.empty())
            state.SkipWithError("the message was not decoded and masked");
        benchmark::DoNotOptimize(result);
    }
    set_counters(state, body);
}
BENCHMARK(BM_Decode)->Arg(1)->Arg(100);

// Magento-2 SOAP 1.2, document/literal: the same decode() the worker runs to expand the body.
void BM_DecodeMagento2Soap(benchmark::State& state) {
    const auto body = m2_inventory_message(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        auto result = soap::decode(body, "application/soap+xml; charset=utf-8", "",
                                   soap::GateLimits{}, ingest::is_secret_field);
        const auto* request = std::get_if<soap::DecodedRequest>(&result);
        const auto* update =
            request ? std::get_if<domain::WireInventoryUpdate>(&request->message) : nullptr;
        if (!update || update->qtys.size() != static_cast<std::size_t>(state.range(0)))
            state.SkipWithError("the message was not decoded");
        benchmark::DoNotOptimize(result);
    }
    set_counters(state, body);
}
BENCHMARK(BM_DecodeMagento2Soap)->Arg(1)->Arg(100);

// Magento-2 REST JSON, as the worker expands a stored m2_json body.
void BM_DecodeMagento2Json(benchmark::State& state) {
    const auto body = m2_inventory_json(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        auto result = codec::decode_inventory_json(body);
        const auto* update = std::get_if<domain::WireInventoryUpdate>(&result);
        if (!update || update->qtys.size() != static_cast<std::size_t>(state.range(0)))
            state.SkipWithError("the message was not decoded");
        benchmark::DoNotOptimize(result);
    }
    set_counters(state, body);
}
BENCHMARK(BM_DecodeMagento2Json)->Arg(1)->Arg(100);

// The floor of a DOM decoder: pugixml's parse alone, options as the gate uses them.
void BM_PugixmlParseOnly(benchmark::State& state) {
    const auto body = inventory_message(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        pugi::xml_document document;
        auto parsed = document.load_buffer(body.data(), body.size(),
                                           pugi::parse_doctype | pugi::parse_cdata |
                                               pugi::parse_declaration | pugi::parse_ws_pcdata,
                                           pugi::encoding_utf8);
        if (!parsed) state.SkipWithError(parsed.description());
        benchmark::DoNotOptimize(document);
    }
    set_counters(state, body);
}
BENCHMARK(BM_PugixmlParseOnly)->Arg(1)->Arg(100);

// gSOAP's generated deserialiser alone (envelope, operation, copy-free), one context reused as
// the old decoder did: no limits, no census, no masking.
std::size_t read_body(struct soap* context, char* buffer, std::size_t capacity) {
    auto* cursor = static_cast<std::pair<const std::string*, std::size_t>*>(context->user);
    const std::size_t count = std::min(capacity, cursor->first->size() - cursor->second);
    std::memcpy(buffer, cursor->first->data() + cursor->second, count);
    cursor->second += count;
    return count;
}

void BM_GsoapDeserialiseOnly(benchmark::State& state) {
    const auto body = inventory_message(static_cast<int>(state.range(0)));
    struct soap* context = soap_new1(SOAP_ENC_PLAIN | SOAP_C_UTFSTRING);
    soap_set_namespaces(context, namespaces);
    context->frecv = read_body;
    std::pair<const std::string*, std::size_t> cursor{&body, 0};
    context->user = &cursor;
    for (auto _ : state) {
        cursor.second = 0;
        struct ns1__orderflowInventoryMultiUpdate request;
        const bool ok = !soap_begin_recv(context) && !soap_envelope_begin_in(context) &&
                        !soap_recv_header(context) && !soap_body_begin_in(context) &&
                        soap_get_ns1__orderflowInventoryMultiUpdate(
                            context, &request, "ns1:orderflowInventoryMultiUpdate", nullptr) &&
                        !soap_body_end_in(context) && !soap_envelope_end_in(context) &&
                        !soap_end_recv(context);
        if (!ok || !request.skuQty ||
            request.skuQty->item.size() != static_cast<std::size_t>(state.range(0)))
            state.SkipWithError("gSOAP did not decode the message");
        benchmark::DoNotOptimize(request);
        soap_destroy(context);
        soap_end(context);
    }
    soap_free(context);
    set_counters(state, body);
}
BENCHMARK(BM_GsoapDeserialiseOnly)->Arg(1)->Arg(100);

}  // namespace

BENCHMARK_MAIN();
