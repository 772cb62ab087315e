// How long the SOAP edge takes to refuse the H7 attribute and namespace-declaration floods
// (reliability.md §4), against the element count: the gate must stay linear where gSOAP alone is
// quadratic (gsoap-beast notes §3: 80k attributes took 12.7 s). Google Benchmark fits the
// complexity; a linear fit (O(N)) with a small RMS is the expected result.
//
// Run: gate_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <string>
#include <variant>

#include "ofbridge/soap/codec.h"

namespace {

using namespace ofbridge;

std::string login_with(const std::string& attributes) {
    return R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" )"
           R"(xmlns:ns1="urn:Magento"><SOAP-ENV:Body><ns1:login><username)" +
           attributes +
           ">u</username><apiKey>k</apiKey></ns1:login></SOAP-ENV:Body></SOAP-ENV:Envelope>";
}

void refuse(benchmark::State& state, const std::string& body) {
    for (auto _ : state) {
        auto result = soap::decode(body, "text/xml", "", soap::GateLimits{});
        if (!std::holds_alternative<soap::Fault>(result)) state.SkipWithError("accepted");
        benchmark::DoNotOptimize(result);
    }
    state.SetComplexityN(state.range(0));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

void BM_AttributeFlood(benchmark::State& state) {
    std::string attributes;
    for (std::int64_t i = 0; i < state.range(0); ++i)
        attributes += " a" + std::to_string(i) + "=\"xxxx\"";
    refuse(state, login_with(attributes));
}
BENCHMARK(BM_AttributeFlood)->RangeMultiplier(2)->Range(10000, 80000)->Complexity(benchmark::oN);

void BM_NamespaceDeclarationFlood(benchmark::State& state) {
    std::string declarations;
    for (std::int64_t i = 0; i < state.range(0); ++i)
        declarations += " xmlns:p" + std::to_string(i) + "=\"urn:p" + std::to_string(i) + "\"";
    refuse(state, login_with(declarations));
}
BENCHMARK(BM_NamespaceDeclarationFlood)
    ->RangeMultiplier(2)
    ->Range(5000, 40000)
    ->Complexity(benchmark::oN);

}  // namespace

BENCHMARK_MAIN();
