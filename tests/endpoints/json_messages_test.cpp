// REST bodies are stored as received: mask_json_secrets() changes only the values of the keys in
// the shared secret list (any depth, any case), and nothing else, byte for byte.
#include "ofbridge/codec/json_messages.h"

#include <gtest/gtest.h>

namespace ofbridge::codec {
namespace {

TEST(MaskJsonSecrets, KeepsTheBodyAsReceived) {
    const std::string body =
        "{ \"productQtys\" : [ {\"sku\":\"A\", \"qty\": 1.50e1} ],\n  \"messageSeqId\": 12 }";
    EXPECT_EQ(mask_json_secrets(body), body);
}

TEST(MaskJsonSecrets, MasksSharedNamesAtAnyDepthAndCase) {
    const std::string body =
        R"({"sessionId": "s1", "nested": {"Password": "p\"w", "deeper": [{"apiKey": 42}]},)"
        R"( "TOKEN": null, "note": "password", "list": ["sessionId"]})";
    const std::string expected =
        R"({"sessionId": "***", "nested": {"Password": "***", "deeper": [{"apiKey": "***"}]},)"
        R"( "TOKEN": null, "note": "password", "list": ["sessionId"]})";
    EXPECT_EQ(mask_json_secrets(body), expected);
}

TEST(MaskJsonSecrets, EscapedKeyNamesAndStructuredValues) {
    EXPECT_EQ(mask_json_secrets(R"({"pass\u0077ord":"x","token":{"a":"b","c":[1,true]}})"),
              R"({"pass\u0077ord":"***","token":{"a":"***","c":["***","***"]}})");
}

TEST(MaskJsonSecrets, InvalidJsonIsReturnedAsIs) {
    EXPECT_EQ(mask_json_secrets("{\"password\": "), "{\"password\": ");
}

}  // namespace
}  // namespace ofbridge::codec
