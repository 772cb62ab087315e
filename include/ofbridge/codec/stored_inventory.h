// A stored inventory request's lines, expanded from its stored body (DESIGN §3): receipt stores
// the request row, its masked body and its dedupe key, not a row per line, and whoever needs the
// lines (the worker's apply, `requests show`) decodes the body again here, through the same
// decoders the endpoints used (soap::decode, or the REST JSON decoder of json_messages.h) and
// the same domain::validate, so a line means exactly what it meant when it was acknowledged.
//
// The body was accepted at receipt, so its expansion must not depend on today's configuration:
// an admin may have lowered `[limits]` since. It is decoded with the widest limits the
// configuration accepts (widest_gate_limits, widest_limits), an empty Content-Type and SOAPAction
// (both were checked at receipt), and no masking (the stored body is already masked). A body that
// no longer decodes is reported as an error naming the request's wire, never as an empty message.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "ofbridge/domain/messages.h"
#include "ofbridge/domain/validation.h"
#include "ofbridge/soap/codec.h"

namespace ofbridge::codec {

struct ExpandError {
    std::string message;
};

// `wire`: requests.wire ("m1_soap", "m2_soap" or "m2_json"); `body`: request_bodies.raw_body.
std::variant<domain::InventoryUpdate, ExpandError> expand_inventory(std::string_view wire,
                                                                    std::string_view body);

// The upper bounds config.cpp accepts for [limits] (the widest a body may have been accepted
// under), and the fixed ones.
soap::GateLimits widest_gate_limits();
domain::Limits widest_limits();

}  // namespace ofbridge::codec
