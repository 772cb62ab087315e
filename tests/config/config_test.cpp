#include "ofbridge/config/config.h"

#include <gtest/gtest.h>

using namespace ofbridge::config;

namespace {
std::string error_of(std::string_view text) {
    try {
        parse_config(text, "test.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}
}  // namespace

TEST(Config, ShippedSampleEqualsBuiltInDefaults) {
    auto sample = load_config_file(OFBRIDGE_SAMPLE_CONFIG);
    auto defaults = default_config();
    EXPECT_EQ(sample.server.listen, defaults.server.listen);
    EXPECT_EQ(sample.server.data_dir, defaults.server.data_dir);
    EXPECT_EQ(sample.server.max_body_bytes, defaults.server.max_body_bytes);
    EXPECT_EQ(sample.server.max_header_bytes, defaults.server.max_header_bytes);
    EXPECT_EQ(sample.server.read_timeout, defaults.server.read_timeout);
    EXPECT_EQ(sample.server.idle_timeout, defaults.server.idle_timeout);
    EXPECT_EQ(sample.server.write_timeout, defaults.server.write_timeout);
    EXPECT_EQ(sample.server.shutdown_grace, defaults.server.shutdown_grace);
    EXPECT_EQ(sample.server.max_buffered_body_bytes, defaults.server.max_buffered_body_bytes);
    EXPECT_EQ(sample.server.public_url, defaults.server.public_url);
    EXPECT_EQ(sample.server.trusted_proxies, defaults.server.trusted_proxies);
    EXPECT_EQ(sample.server.max_connections, defaults.server.max_connections);
    EXPECT_EQ(sample.server.handler_threads, defaults.server.handler_threads);
    EXPECT_EQ(sample.server.log_level, defaults.server.log_level);
    EXPECT_EQ(sample.storage.synchronous_full, defaults.storage.synchronous_full);
    EXPECT_EQ(sample.storage.max_batch, defaults.storage.max_batch);
    EXPECT_EQ(sample.limits.max_depth, defaults.limits.max_depth);
    EXPECT_EQ(sample.limits.max_lines, defaults.limits.max_lines);
    EXPECT_EQ(sample.limits.max_text_bytes, defaults.limits.max_text_bytes);
    EXPECT_EQ(sample.worker.workers, defaults.worker.workers);
    EXPECT_EQ(sample.worker.batch_size, defaults.worker.batch_size);
    EXPECT_EQ(sample.worker.lease, defaults.worker.lease);
    EXPECT_EQ(sample.worker.max_attempts, defaults.worker.max_attempts);
    EXPECT_EQ(sample.worker.retry_base, defaults.worker.retry_base);
    EXPECT_EQ(sample.worker.retry_max, defaults.worker.retry_max);
    EXPECT_EQ(sample.inventory.allow_negative, defaults.inventory.allow_negative);
    EXPECT_EQ(sample.inventory.reject_unknown_skus, defaults.inventory.reject_unknown_skus);
    EXPECT_EQ(sample.inventory.adjust_inventory, defaults.inventory.adjust_inventory);
    EXPECT_EQ(sample.inventory.unsent_order_cutoff_days,
              defaults.inventory.unsent_order_cutoff_days);
    EXPECT_EQ(sample.inventory.unsent_order_statuses, defaults.inventory.unsent_order_statuses);
    EXPECT_EQ(sample.inventory.unsent_orders_source, defaults.inventory.unsent_orders_source);
    EXPECT_EQ(sample.shipments.configurable_item, defaults.shipments.configurable_item);
    EXPECT_EQ(sample.api.token, defaults.api.token);
    EXPECT_EQ(sample.admin.listen, defaults.admin.listen);
    EXPECT_EQ(sample.admin.tls_cert, defaults.admin.tls_cert);
    EXPECT_EQ(sample.admin.tls_key, defaults.admin.tls_key);
    EXPECT_EQ(sample.admin.tls_min_version, defaults.admin.tls_min_version);
    EXPECT_EQ(sample.admin.quiet_minutes, defaults.admin.quiet_minutes);
    EXPECT_EQ(sample.admin.session_minutes, defaults.admin.session_minutes);
    ASSERT_EQ(sample.stores.size(), 1u);
    const auto& store = sample.stores.at("default");
    const auto& expected = defaults.stores.at("default");
    EXPECT_EQ(store.target, expected.target);
    EXPECT_EQ(store.wms.username, expected.wms.username);
    EXPECT_EQ(store.wms.api_key, expected.wms.api_key);
    EXPECT_EQ(store.wms.token, expected.wms.token);
    EXPECT_EQ(store.wms.anonymous, expected.wms.anonymous);
    EXPECT_EQ(store.wms.session_ttl, expected.wms.session_ttl);
    const auto& e = store.export_;
    const auto& d = expected.export_;
    EXPECT_EQ(e.mode, "off");
    EXPECT_EQ(e.mode, d.mode);
    EXPECT_EQ(e.endpoint, d.endpoint);
    EXPECT_EQ(e.username, d.username);
    EXPECT_EQ(e.password, d.password);
    EXPECT_EQ(e.channel, d.channel);
    EXPECT_EQ(e.organisation, d.organisation);
    EXPECT_EQ(e.products, d.products);
    EXPECT_EQ(e.orders, d.orders);
    EXPECT_EQ(e.batch_size, d.batch_size);
    EXPECT_EQ(e.interval, d.interval);
    EXPECT_EQ(e.timeout, d.timeout);
    EXPECT_EQ(e.concurrency, d.concurrency);
    EXPECT_EQ(e.max_attempts, d.max_attempts);
    EXPECT_EQ(e.retry_base, d.retry_base);
    EXPECT_EQ(e.retry_max, d.retry_max);
    EXPECT_EQ(e.queued_timeout, d.queued_timeout);
    EXPECT_EQ(e.queued_timeout, std::chrono::seconds(3600));
    EXPECT_EQ(e.exportable_statuses, d.exportable_statuses);
    EXPECT_EQ(e.min_order_datetime, d.min_order_datetime);
    EXPECT_EQ(e.tls_ca_file, d.tls_ca_file);
}

TEST(Config, ExportKeys) {
    auto config = parse_config(
        "[stores.a.wms]\napi_key=\"k\"\n[stores.a.export]\nmode = \"push\"\n"
        "endpoint = \"https://wms.example/web/\"\nusername = \"u\"\npassword = \"p\"\n"
        "channel = \"WEB\"\norganisation = \"ACME\"\nbatch_size = 50\n"
        "exportable_statuses = [\"processing\", \"complete\"]\n"
        "min_order_datetime = \"2026-01-01 00:00:00\"\n",
        "test.toml");
    const auto& e = config.stores.at("a").export_;
    EXPECT_EQ(e.mode, "push");
    EXPECT_EQ(e.batch_size, 50u);
    EXPECT_EQ(e.exportable_statuses, (std::vector<std::string>{"processing", "complete"}));
    EXPECT_EQ(e.min_order_datetime, "2026-01-01 00:00:00");
    const std::string base = "[stores.a.wms]\napi_key=\"k\"\n[stores.a.export]\n";
    EXPECT_EQ(error_of(base + "colour = 1\n"), "unknown key 'stores.a.export.colour'");
    EXPECT_EQ(error_of(base + "mode = \"sometimes\"\n"),
              "bad value for 'stores.a.export.mode': expected \"off\", \"notify\" or \"push\"");
    EXPECT_EQ(error_of(base + "mode = \"push\"\nendpoint = \"http://wms/web\"\n"),
              "bad value for 'stores.a.export.endpoint': expected an http:// or https:// base "
              "URL ending in '/'");
    EXPECT_EQ(error_of(base + "mode = \"push\"\nendpoint = \"http://wms/\"\n"),
              "bad value for 'stores.a.export.username': expected the OrderFlow user (export is "
              "on)");
    EXPECT_EQ(error_of(base + "min_order_datetime = \"2026-01-01\"\n"),
              "bad value for 'stores.a.export.min_order_datetime': expected \"YYYY-MM-DD "
              "HH:MM:SS\" (UTC) or \"\"");
    EXPECT_EQ(error_of(base + "batch_size = 0\n"),
              "bad value for 'stores.a.export.batch_size': expected an integer in [1, 10000]");
    // The queued timeout in seconds (short ones for tests and impatient WMSs), or in minutes as
    // before; not both.
    EXPECT_EQ(parse_config(base + "queued_timeout_seconds = 2\n", "t.toml")
                  .stores.at("a")
                  .export_.queued_timeout,
              std::chrono::seconds(2));
    EXPECT_EQ(parse_config(base + "queued_timeout_minutes = 2\n", "t.toml")
                  .stores.at("a")
                  .export_.queued_timeout,
              std::chrono::seconds(120));
    EXPECT_EQ(error_of(base + "queued_timeout_seconds = 0\n"),
              "bad value for 'stores.a.export.queued_timeout_seconds': expected an integer in "
              "[1, 604800]");
    EXPECT_EQ(error_of(base + "queued_timeout_seconds = 5\nqueued_timeout_minutes = 1\n"),
              "bad value for 'stores.a.export.queued_timeout_seconds': expected no "
              "queued_timeout_minutes beside it (one of the two)");
    // notify mode is on like push mode: it needs the same endpoint and credentials.
    EXPECT_EQ(error_of(base + "mode = \"notify\"\nendpoint = \"http://wms/\"\n"),
              "bad value for 'stores.a.export.username': expected the OrderFlow user (export is "
              "on)");
}

TEST(Config, UnknownKeysAreNamed) {
    EXPECT_EQ(error_of("[server]\nlisen = \"x:1\"\n[stores.a.wms]\napi_key=\"k\"\n"),
              "unknown key 'server.lisen'");
    EXPECT_EQ(error_of("[stores.a.wms]\napi_key=\"k\"\ncolour = 1\n"),
              "unknown key 'stores.a.wms.colour'");
    EXPECT_EQ(error_of("[stores.a.wms]\napi_key=\"k\"\n[extra]\n"), "unknown key 'extra'");
}

TEST(Config, BadValuesAreNamed) {
    EXPECT_EQ(error_of("[server]\nmax_body_bytes = \"big\"\n[stores.a.wms]\napi_key=\"k\"\n"),
              "bad value for 'server.max_body_bytes': expected an integer");
    EXPECT_EQ(error_of("[server]\nmax_body_bytes = 1\n[stores.a.wms]\napi_key=\"k\"\n"),
              "bad value for 'server.max_body_bytes': expected an integer in [1024, 268435456]");
    EXPECT_EQ(error_of("[stores.a]\ntarget = \"magento3\"\n[stores.a.wms]\napi_key=\"k\"\n"),
              "bad value for 'stores.a.target': expected \"local\" or \"magento2\"");
    EXPECT_EQ(error_of("[stores.a.wms]\nanonymous = \"yes\"\n"),
              "bad value for 'stores.a.wms.anonymous': expected true or false");
    EXPECT_EQ(error_of("[storage]\nsynchronous = \"off\"\n[stores.a.wms]\napi_key=\"k\"\n"),
              "bad value for 'storage.synchronous': expected \"full\" or \"normal\"");
    EXPECT_EQ(error_of("[server]\nlisten = \"nowhere\"\n[stores.a.wms]\napi_key=\"k\"\n"),
              "bad value for 'server.listen': expected HOST:PORT");
    EXPECT_NE(error_of("[server\n").find("test.toml:1"), std::string::npos);
}

TEST(Config, WorkerAndInventory) {
    auto config = parse_config(
        "[worker]\nworkers = 4\nbatch_size = 10\n[inventory]\nallow_negative = true\n"
        "[stores.a.wms]\napi_key=\"k\"\n",
        "x");
    EXPECT_EQ(config.worker.workers, 4u);
    EXPECT_EQ(config.worker.batch_size, 10u);
    EXPECT_TRUE(config.inventory.allow_negative);
    EXPECT_EQ(
        error_of("[inventory]\nadjust_inventory = \"quotes\"\n[stores.a.wms]\napi_key=\"k\"\n"),
        "bad value for 'inventory.adjust_inventory': expected \"none\" or \"unsent_orders\"");
    EXPECT_EQ(error_of("[inventory]\nunsent_order_statuses = [1]\n[stores.a.wms]\napi_key=\"k\"\n"),
              "bad value for 'inventory.unsent_order_statuses': expected an array of strings");
    EXPECT_EQ(
        error_of("[shipments]\nconfigurable_item = \"both\"\n[stores.a.wms]\napi_key=\"k\"\n"),
        "bad value for 'shipments.configurable_item': expected \"parent\" or \"child\"");
    auto adjusted = parse_config(
        "[inventory]\nadjust_inventory = \"unsent_orders\"\nunsent_order_statuses = "
        "[\"processing\"]\n"
        "[api]\ntoken = \"t\"\n[stores.a.wms]\napi_key=\"k\"\n",
        "x");
    EXPECT_EQ(adjusted.inventory.unsent_order_statuses, std::vector<std::string>{"processing"});
    EXPECT_EQ(adjusted.api.token, "t");
    EXPECT_EQ(adjusted.inventory.unsent_orders_source, "default");
    EXPECT_EQ(parse_config("[inventory]\nunsent_orders_source = \"wh-2\"\n[stores.a.wms]\n"
                           "api_key=\"k\"\n",
                           "x")
                  .inventory.unsent_orders_source,
              "wh-2");
    EXPECT_EQ(error_of("[inventory]\nunsent_orders_source = \"\"\n[stores.a.wms]\napi_key=\"k\"\n"),
              "bad value for 'inventory.unsent_orders_source': expected a source code");
    EXPECT_EQ(error_of("[worker]\nworkers = 65\n[stores.a.wms]\napi_key=\"k\"\n"),
              "bad value for 'worker.workers': expected an integer in [0, 64]");
}

TEST(Config, StoresNeedCredentials) {
    EXPECT_EQ(error_of("[server]\n"), "no store configured: add a [stores.<code>] table");
    EXPECT_EQ(error_of("[stores.a]\n"), "stores.a.wms: set api_key, token, or anonymous = true");
    auto config = parse_config("[stores.eu.wms]\ntoken = \"t\"\nsession_ttl_seconds = 120\n", "x");
    EXPECT_EQ(config.stores.at("eu").wms.token, "t");
    EXPECT_EQ(config.stores.at("eu").wms.session_ttl, std::chrono::seconds{120});
    EXPECT_EQ(config.database_path(), std::filesystem::path("data/ofbridge.db"));
}

TEST(Config, ServerHardeningKeys) {
    const auto defaults = default_config().server;
    EXPECT_EQ(defaults.shutdown_grace, std::chrono::milliseconds(8'000));
    EXPECT_EQ(defaults.write_timeout, std::chrono::milliseconds(30'000));
    EXPECT_EQ(defaults.max_buffered_body_bytes, 64U * 1024 * 1024);
    EXPECT_TRUE(defaults.public_url.empty());
    EXPECT_TRUE(defaults.trusted_proxies.empty());

    const auto config = parse_config(
        "[server]\nshutdown_grace_ms = 250\nwrite_timeout_ms = 1500\n"
        "max_buffered_body_bytes = 8388608\npublic_url = \"https://wms.example.com/shop\"\n"
        "trusted_proxies = [\"127.0.0.1\", \"::ffff:10.0.0.7\", \"0:0::1\"]\n"
        "[stores.a.wms]\napi_key=\"k\"\n",
        "test.toml");
    EXPECT_EQ(config.server.shutdown_grace, std::chrono::milliseconds(250));
    EXPECT_EQ(config.server.write_timeout, std::chrono::milliseconds(1500));
    EXPECT_EQ(config.server.max_buffered_body_bytes, 8U * 1024 * 1024);
    EXPECT_EQ(config.server.public_url, "https://wms.example.com/shop");
    EXPECT_EQ(config.server.trusted_proxies,
              (std::vector<std::string>{"127.0.0.1", "10.0.0.7", "::1"}));
}

TEST(Config, BadServerHardeningValuesAreNamed) {
    const std::string store = "[stores.a.wms]\napi_key=\"k\"\n";
    EXPECT_EQ(error_of("[server]\nshutdown_grace_ms = -1\n" + store),
              "bad value for 'server.shutdown_grace_ms': expected an integer in [0, 3600000]");
    EXPECT_EQ(error_of("[server]\nmax_body_bytes = 4096\nmax_buffered_body_bytes = 2048\n" + store),
              "bad value for 'server.max_buffered_body_bytes': expected at least max_body_bytes");
    for (const char* url :
         {"ftp://x", "https://", "wms.example.com", "https://a b", "https://x/\"><x"}) {
        EXPECT_NE(error_of("[server]\npublic_url = '" + std::string(url) + "'\n" + store)
                      .find("bad value for 'server.public_url'"),
                  std::string::npos)
            << url;
    }
    EXPECT_EQ(error_of("[server]\ntrusted_proxies = [\"proxy.local\"]\n" + store),
              "bad value for 'server.trusted_proxies': expected an array of IP addresses");
    EXPECT_EQ(error_of("[server]\ntrusted_proxies = \"127.0.0.1\"\n" + store),
              "bad value for 'server.trusted_proxies': expected an array of strings");
}

TEST(Config, MagentoTarget) {
    const std::string head = "[stores.a]\ntarget = \"magento2\"\n[stores.a.wms]\napi_key=\"k\"\n";
    auto config = parse_config(head +
                                   "[stores.a.magento]\nbase_url = \"https://shop.example/\"\n"
                                   "token = \"t\"\n[stores.a.magento.source_map]\nwh1 = \"eu-1\"\n",
                               "test.toml");
    const auto& m = config.stores.at("a").magento;
    EXPECT_EQ(m.base_url, "https://shop.example/");
    EXPECT_EQ(m.store_code, "all");
    EXPECT_EQ(m.stock_api, "msi");
    EXPECT_EQ(m.source_items_chunk, 20u);
    EXPECT_EQ(m.concurrency, 2u);
    EXPECT_EQ(m.timeout, std::chrono::milliseconds{15'000});
    EXPECT_EQ(m.pull_interval, std::chrono::seconds{60});
    EXPECT_EQ(m.pull_page_size, 100u);
    EXPECT_EQ(m.source_map.at("wh1"), "eu-1");
    EXPECT_FALSE(m.oauth());
    auto oauth = parse_config(head +
                                  "[stores.a.magento]\nbase_url = \"http://127.0.0.1:9/\"\n"
                                  "oauth_consumer_key=\"ck\"\noauth_consumer_secret=\"cs\"\n"
                                  "oauth_access_token=\"at\"\noauth_access_token_secret=\"as\"\n"
                                  "stock_api = \"legacy\"\nsource_items_chunk = 500\n",
                              "test.toml");
    EXPECT_TRUE(oauth.stores.at("a").magento.oauth());
    EXPECT_EQ(oauth.stores.at("a").magento.source_items_chunk, 500u);

    EXPECT_EQ(error_of(head),
              "bad value for 'stores.a.magento': expected a [stores.a.magento] "
              "table (target is magento2)");
    EXPECT_EQ(error_of("[stores.a.wms]\napi_key=\"k\"\n[stores.a.magento]\n"),
              "bad value for 'stores.a.magento': expected absent unless target = \"magento2\"");
    const std::string mt = head + "[stores.a.magento]\n";
    EXPECT_EQ(error_of(mt + "token = \"t\"\n"),
              "bad value for 'stores.a.magento.base_url': expected the shop's http:// or "
              "https:// base URL ending in '/'");
    EXPECT_EQ(error_of(mt + "base_url = \"https://s/\"\n"),
              "bad value for 'stores.a.magento.token': expected a bearer token, username and "
              "password, or the four oauth_* secrets (target is magento2)");
    EXPECT_EQ(error_of(mt + "base_url = \"https://s/\"\nusername = \"u\"\n"),
              "bad value for 'stores.a.magento.password': expected set together with username "
              "and password (admin token refresh)");
    EXPECT_EQ(error_of(mt + "base_url = \"https://s/\"\noauth_consumer_key = \"k\"\n"),
              "bad value for 'stores.a.magento.oauth_consumer_key': expected all four of "
              "oauth_consumer_key, oauth_consumer_secret, oauth_access_token and "
              "oauth_access_token_secret, or none");
    EXPECT_EQ(error_of(mt + "base_url = \"https://s/\"\ntoken = \"t\"\nstock_api = \"v1\"\n"),
              "bad value for 'stores.a.magento.stock_api': expected \"msi\" or \"legacy\"");
    EXPECT_EQ(error_of(mt + "base_url = \"https://s/\"\ntoken = \"t\"\ncolour = 1\n"),
              "unknown key 'stores.a.magento.colour'");
    EXPECT_EQ(error_of(mt + "base_url = \"https://s/\"\ntoken = \"t\"\n"
                            "[stores.a.magento.source_map]\nwh1 = \"eu 1\"\n"),
              "bad value for 'stores.a.magento.source_map': expected a table of WMS source = "
              "\"Magento source code\" (no spaces)");
    // Secrets never appear in an error.
    const auto error = error_of(mt +
                                "base_url = \"https://s/\"\ntoken = \"s3cret\"\n"
                                "stock_api = 1\n");
    EXPECT_EQ(error.find("s3cret"), std::string::npos);
}

TEST(Config, AdminKeysAreCheckedByName) {
    const std::string store = "[stores.a.wms]\napi_key=\"k\"\n";
    EXPECT_EQ(error_of("[admin]\ntls_cert = \"c.pem\"\n" + store),
              "bad value for 'admin.tls_key': expected set together with tls_cert and tls_key "
              "(both \"\" = no TLS)");
    EXPECT_EQ(error_of("[admin]\nsession_minutes = 0\n" + store),
              "bad value for 'admin.session_minutes': expected an integer in [1, 43200]");
    EXPECT_EQ(error_of("[admin]\nlisten_on = \"x\"\n" + store), "unknown key 'admin.listen_on'");
    const auto config = ofbridge::config::parse_config("[admin]\nlisten = \"\"\n" + store, "t");
    EXPECT_EQ(config.admin.listen, "");
}
