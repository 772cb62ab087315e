// libFuzzer target: the SOAP edge as a request meets it. Any byte string goes through the gate
// and the decoder; whatever is accepted must also survive masking and reply encoding, and the
// masked body (what is stored and shown) must still be accepted as the same operation, since a
// re-delivery is recognised and an admin reprocesses from it. The masked body decode() makes from
// its one parse must be what mask_secrets() makes from the body on its own.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "ofbridge/ingest/secrets.h"
#include "ofbridge/soap/codec.h"

namespace {

// Small limits, so the fuzzer reaches each one with short inputs.
const ofbridge::soap::GateLimits limits{.max_depth = 16,
                                        .max_attributes_per_element = 8,
                                        .max_namespace_declarations = 8,
                                        .max_elements = 400,
                                        .max_text_bytes = 512,
                                        .max_name_bytes = 64};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ofbridge::soap;
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    auto decoded =
        decode(body, "text/xml; charset=utf-8", "", limits, ofbridge::ingest::is_secret_field);
    auto* request = std::get_if<DecodedRequest>(&decoded);
    if (request == nullptr) {
        (void)encode_fault(std::get<Fault>(decoded));
        return 0;
    }
    (void)encode_string_result(*request, "Success - Message 1 Received");
    (void)encode_bool_result(*request, true);

    // What is stored: the UTF-8 form of the body, masked.
    const std::string_view stored = request->utf8_body.empty() ? body : request->utf8_body;
    const auto masked = mask_secrets(stored, ofbridge::ingest::is_secret_field);
    if (masked != request->stored_body) std::abort();
    if (mask_secrets(masked, ofbridge::ingest::is_secret_field) != masked) std::abort();
    auto again = decode(masked, "text/xml; charset=utf-8", "", limits);
    auto* masked_request = std::get_if<DecodedRequest>(&again);
    if (masked_request == nullptr || masked_request->operation != request->operation) std::abort();
    return 0;
}
