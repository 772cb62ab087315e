// Shared helpers for the SOAP tests: sample messages from data/ and decode() shortcuts.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "ofbridge/soap/codec.h"

namespace ofbridge::soap::test {

inline std::string read_data(std::string_view name) {
    std::ifstream file(std::string(OFBRIDGE_SOAP_TEST_DATA) + "/" + std::string(name),
                       std::ios::binary);
    EXPECT_TRUE(file) << "missing test data " << name;
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

inline std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

inline DecodeResult decode_body(std::string_view body, std::string_view content_type = "",
                                std::string_view soap_action = "", const GateLimits& limits = {}) {
    return decode(body, content_type, soap_action, limits);
}

// The decoded request; fails the test (and returns an empty request) on a fault.
inline DecodedRequest expect_decoded(std::string_view body, std::string_view content_type = "",
                                     std::string_view soap_action = "") {
    auto result = decode_body(body, content_type, soap_action);
    if (const auto* fault = std::get_if<Fault>(&result)) {
        ADD_FAILURE() << "unexpected fault: " << fault->message;
        return {};
    }
    return std::get<DecodedRequest>(std::move(result));
}

// The fault's message; fails the test when the body is accepted or the fault is not a client one.
inline std::string expect_client_fault(std::string_view body, std::string_view content_type = "",
                                       std::string_view soap_action = "",
                                       const GateLimits& limits = {}) {
    auto result = decode_body(body, content_type, soap_action, limits);
    const auto* fault = std::get_if<Fault>(&result);
    if (!fault) {
        ADD_FAILURE() << "accepted, expected a fault";
        return {};
    }
    EXPECT_EQ(fault->kind, FaultKind::client);
    EXPECT_FALSE(fault->message.empty());
    return fault->message;
}

template <class Message>
Message expect_message(const DecodedRequest& request) {
    if (const auto* message = std::get_if<Message>(&request.message)) return *message;
    ADD_FAILURE() << "decoded to another message kind (operation " << request.operation << ")";
    return {};
}

}  // namespace ofbridge::soap::test
