#include "ofbridge/ingest/auth_registry.h"

#include <gtest/gtest.h>

#include "ofbridge/ingest/secrets.h"

using namespace ofbridge;

namespace {
std::map<std::string, config::StoreConfig> stores() {
    config::StoreConfig a;
    a.code = "default";
    a.wms.username = "wms";
    a.wms.api_key = "key-a";
    a.wms.token = "token-a";
    config::StoreConfig b;
    b.code = "eu";
    b.wms.username = "wms-eu";
    b.wms.api_key = "key-b";
    b.wms.anonymous = true;
    return {{"default", a}, {"eu", b}};
}
}  // namespace

TEST(AuthRegistry, CredentialsPickTheirStore) {
    ingest::AuthRegistry registry(stores(), {});
    EXPECT_EQ(registry.store_for_credentials("wms", "key-a"), "default");
    EXPECT_EQ(registry.store_for_credentials("wms-eu", "key-b"), "eu");
    EXPECT_FALSE(registry.store_for_credentials("wms", "key-b"));
    EXPECT_FALSE(registry.store_for_credentials("wms", ""));
}

TEST(AuthRegistry, SessionsExpire) {
    const std::string session = "session-secret";
    ingest::AuthRegistry registry(
        stores(), {{ingest::sha256_hex(session), "m1_session", "default", "wms", 1000}});
    EXPECT_EQ(registry.store_for_session(session, 999), "default");
    EXPECT_FALSE(registry.store_for_session(session, 1000));
    EXPECT_FALSE(registry.store_for_session("other", 10));
    EXPECT_FALSE(registry.store_for_session("", 10));
    // A session is not a bearer token, and the reverse.
    EXPECT_FALSE(registry.bearer_allowed("default", session, 10));
}

TEST(AuthRegistry, BearerTokens) {
    ingest::AuthRegistry registry(stores(), {});
    EXPECT_TRUE(registry.bearer_allowed("default", "token-a", 0));
    EXPECT_FALSE(registry.bearer_allowed("default", "token-b", 0));
    EXPECT_FALSE(registry.bearer_allowed("default", "", 0));
    EXPECT_TRUE(registry.bearer_allowed("eu", "", 0));  // anonymous store
    EXPECT_FALSE(registry.bearer_allowed("nowhere", "token-a", 0));
    registry.add({ingest::sha256_hex("issued"), "m2_token", "default", "wms", 50});
    EXPECT_TRUE(registry.bearer_allowed("default", "issued", 49));
    EXPECT_FALSE(registry.bearer_allowed("default", "issued", 50));
    EXPECT_TRUE(registry.remove(ingest::sha256_hex("issued")));
    EXPECT_FALSE(registry.bearer_allowed("default", "issued", 1));
}

TEST(Secrets, RandomHashAndCompare) {
    auto a = ingest::random_secret();
    EXPECT_EQ(a.size(), 64u);
    EXPECT_NE(a, ingest::random_secret());
    EXPECT_EQ(ingest::sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_TRUE(ingest::constant_time_equals("x", "x"));
    EXPECT_FALSE(ingest::constant_time_equals("x", "xy"));
}
