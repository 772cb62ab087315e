// Strict TOML loading. Each table is read through a KeyReader that remembers which keys were
// consumed; whatever is left over is an unknown key and an error naming it.
#include "ofbridge/config/config.h"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <cstring>
#include <fstream>
#include <limits>
#include <set>

namespace ofbridge::config {
namespace {

class KeyReader {
public:
    KeyReader(const toml::table& table, std::string prefix)
        : table_(table), prefix_(std::move(prefix)) {}

    std::string name(std::string_view key) const {
        return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
    }

    void read(std::string_view key, std::string& out) {
        if (auto* node = take(key)) {
            auto v = node->value<std::string>();
            if (!node->is_string() || !v) fail(key, "a string");
            out = *v;
        }
    }

    void read(std::string_view key, bool& out) {
        if (auto* node = take(key)) {
            if (!node->is_boolean()) fail(key, "true or false");
            out = *node->value<bool>();
        }
    }

    void read(std::string_view key, std::vector<std::string>& out) {
        if (auto* node = take(key)) {
            const auto* array = node->as_array();
            if (!array) fail(key, "an array of strings");
            std::vector<std::string> values;
            for (const auto& element : *array) {
                auto v = element.value<std::string>();
                if (!element.is_string() || !v) fail(key, "an array of strings");
                values.push_back(*v);
            }
            out = std::move(values);
        }
    }

    // Integers within [min, max]; `out` may be any integral type wide enough.
    template <typename T>
    void read_int(std::string_view key, T& out, std::int64_t min, std::int64_t max) {
        if (auto* node = take(key)) {
            if (!node->is_integer()) fail(key, "an integer");
            auto v = *node->value<std::int64_t>();
            if (v < min || v > max)
                fail(key,
                     "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
            out = static_cast<T>(v);
        }
    }

    void read_ms(std::string_view key, std::chrono::milliseconds& out, std::int64_t min,
                 std::int64_t max) {
        std::int64_t v = out.count();
        read_int(key, v, min, max);
        out = std::chrono::milliseconds{v};
    }

    const toml::table* table(std::string_view key) {
        if (auto* node = take(key)) {
            if (!node->is_table()) fail(key, "a table");
            return node->as_table();
        }
        return nullptr;
    }

    // After all reads: any key not taken is unknown.
    void finish() const {
        for (const auto& [key, node] : table_)
            if (!taken_.contains(std::string(key.str())))
                throw ConfigError("unknown key '" + name(key.str()) + "'");
    }

    [[noreturn]] void fail(std::string_view key, const std::string& expected) const {
        throw ConfigError("bad value for '" + name(key) + "': expected " + expected);
    }

private:
    const toml::node* take(std::string_view key) {
        taken_.insert(std::string(key));
        return table_.get(key);
    }

    const toml::table& table_;
    std::string prefix_;
    std::set<std::string> taken_;
};

bool valid_public_url(std::string_view url) {
    std::string_view rest;
    if (url.starts_with("http://"))
        rest = url.substr(7);
    else if (url.starts_with("https://"))
        rest = url.substr(8);
    else
        return false;
    if (rest.empty() || rest.front() == '/') return false;
    // It goes into WSDLs verbatim: URL characters only, nothing XML would need escaped.
    return url.find_first_not_of(
               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
               "-._~:/[]@!$()*+,;=%") == std::string_view::npos;
}

void read_server(KeyReader& r, ServerConfig& s) {
    r.read("listen", s.listen);
    if (s.listen.rfind(':') == std::string::npos) r.fail("listen", "HOST:PORT");
    std::string data_dir = s.data_dir.string();
    r.read("data_dir", data_dir);
    if (data_dir.empty()) r.fail("data_dir", "a directory path");
    s.data_dir = data_dir;
    r.read_int("max_body_bytes", s.max_body_bytes, 1024, 256 * 1024 * 1024);
    r.read_int("max_header_bytes", s.max_header_bytes, 1024, 1024 * 1024);
    r.read_ms("read_timeout_ms", s.read_timeout, 100, 3'600'000);
    r.read_ms("idle_timeout_ms", s.idle_timeout, 100, 3'600'000);
    r.read_ms("write_timeout_ms", s.write_timeout, 100, 3'600'000);
    r.read_ms("shutdown_grace_ms", s.shutdown_grace, 0, 3'600'000);
    r.read_int("max_buffered_body_bytes", s.max_buffered_body_bytes, 1024,
               std::int64_t{64} * 1024 * 1024 * 1024);
    if (s.max_buffered_body_bytes < s.max_body_bytes)
        r.fail("max_buffered_body_bytes", "at least max_body_bytes");
    r.read("public_url", s.public_url);
    if (!s.public_url.empty() && !valid_public_url(s.public_url))
        r.fail("public_url", "\"\" or an http:// or https:// URL without query or fragment");
    r.read("trusted_proxies", s.trusted_proxies);
    for (auto& proxy : s.trusted_proxies) {
        auto normalized = normalized_ip_address(proxy);
        if (!normalized) r.fail("trusted_proxies", "an array of IP addresses");
        proxy = *normalized;
    }
    r.read_int("max_connections", s.max_connections, 1, 1'000'000);
    r.read_int("handler_threads", s.handler_threads, 1, 256);
    r.read("log_level", s.log_level);
    r.read_int("max_pending_requests", s.max_pending_requests, 1, 1'000'000);
    r.read_int("max_pending_bytes", s.max_pending_bytes, 1024,
               std::int64_t{64} * 1024 * 1024 * 1024);
    r.read_ms("request_deadline_ms", s.request_deadline, 100, 3'600'000);
    static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
    if (!levels.contains(s.log_level))
        r.fail("log_level", "one of trace, debug, info, warn, error, off");
    std::string tls_cert = s.tls_cert.string(), tls_key = s.tls_key.string();
    std::string tls_client_ca = s.tls_client_ca.string();
    r.read("tls_cert", tls_cert);
    r.read("tls_key", tls_key);
    r.read("tls_min_version", s.tls_min_version);
    r.read("tls_client_ca", tls_client_ca);
    if (tls_cert.empty() != tls_key.empty())
        r.fail(tls_cert.empty() ? "tls_cert" : "tls_key",
               "set together with tls_cert and tls_key (both \"\" = no TLS)");
    if (s.tls_min_version != "1.2" && s.tls_min_version != "1.3")
        r.fail("tls_min_version", "\"1.2\" or \"1.3\"");
    if (!tls_client_ca.empty() && tls_cert.empty())
        r.fail("tls_client_ca", "\"\" unless tls_cert and tls_key are set");
    s.tls_cert = tls_cert;
    s.tls_key = tls_key;
    s.tls_client_ca = tls_client_ca;
    r.finish();
}

void read_storage(KeyReader& r, StorageConfig& s) {
    std::string synchronous = s.synchronous_full ? "full" : "normal";
    r.read("synchronous", synchronous);
    if (synchronous != "full" && synchronous != "normal")
        r.fail("synchronous", "\"full\" or \"normal\"");
    s.synchronous_full = synchronous == "full";
    r.read_int("max_batch", s.max_batch, 1, 100'000);
    std::int64_t budget_us = s.batch_budget.count();
    r.read_int("batch_budget_us", budget_us, 100, 10'000'000);
    s.batch_budget = std::chrono::microseconds{budget_us};
    r.read_int("slice_rows", s.slice_rows, 1, 1'000'000);
    r.finish();
}

void read_limits(KeyReader& r, LimitsConfig& l) {
    r.read_int("max_depth", l.max_depth, 8, 1024);
    r.read_int("max_attributes_per_element", l.max_attributes_per_element, 4, 4096);
    r.read_int("max_namespace_declarations", l.max_namespace_declarations, 4, 4096);
    r.read_int("max_elements", l.max_elements, 16, 10'000'000);
    r.read_int("max_text_bytes", l.max_text_bytes, 64, 16 * 1024 * 1024);
    r.read_int("max_sku_length", l.max_sku_length, 1, 1024);
    r.read_int("max_lines", l.max_lines, 1, 1'000'000);
    r.finish();
}

void read_worker(KeyReader& r, WorkerConfig& w) {
    r.read_int("workers", w.workers, 0, 64);
    r.read_int("batch_size", w.batch_size, 1, 10'000);
    std::int64_t lease = w.lease.count();
    r.read_int("lease_seconds", lease, 1, 3600);
    w.lease = std::chrono::seconds{lease};
    r.read_int("max_attempts", w.max_attempts, 1, 1000);
    r.read_ms("retry_base_ms", w.retry_base, 1, 3'600'000);
    r.read_ms("retry_max_ms", w.retry_max, 1, 86'400'000);
    if (w.retry_max < w.retry_base) r.fail("retry_max_ms", "a value >= retry_base_ms");
    r.read_ms("gather_ms", w.gather, 0, 1000);
    r.finish();
}

void read_inventory(KeyReader& r, InventoryConfig& i) {
    r.read("allow_negative", i.allow_negative);
    r.read("reject_unknown_skus", i.reject_unknown_skus);
    r.read("adjust_inventory", i.adjust_inventory);
    // Quotes live only in Magento, which the local target does not reach.
    if (i.adjust_inventory != "none" && i.adjust_inventory != "unsent_orders")
        r.fail("adjust_inventory", "\"none\" or \"unsent_orders\"");
    r.read_int("unsent_order_cutoff_days", i.unsent_order_cutoff_days, 1, 3650);
    r.read("unsent_order_statuses", i.unsent_order_statuses);
    if (i.unsent_order_statuses.empty()) r.fail("unsent_order_statuses", "at least one status");
    r.read("unsent_orders_source", i.unsent_orders_source);
    if (i.unsent_orders_source.empty()) r.fail("unsent_orders_source", "a source code");
    r.finish();
}

void read_shipments(KeyReader& r, ShipmentsConfig& s) {
    r.read("configurable_item", s.configurable_item);
    if (s.configurable_item != "parent" && s.configurable_item != "child")
        r.fail("configurable_item", "\"parent\" or \"child\"");
    r.finish();
}

void read_api(KeyReader& r, ApiConfig& a) {
    r.read("token", a.token);
    r.finish();
}

void read_admin(KeyReader& r, AdminConfig& a) {
    r.read("listen", a.listen);
    std::string cert = a.tls_cert.string(), key = a.tls_key.string();
    r.read("tls_cert", cert);
    r.read("tls_key", key);
    a.tls_cert = cert;
    a.tls_key = key;
    if (cert.empty() != key.empty())
        r.fail(cert.empty() ? "tls_cert" : "tls_key",
               "set together with tls_cert and tls_key (both \"\" = no TLS)");
    r.read("tls_min_version", a.tls_min_version);
    if (a.tls_min_version != "1.2" && a.tls_min_version != "1.3")
        r.fail("tls_min_version", "\"1.2\" or \"1.3\"");
    r.read_int("quiet_minutes", a.quiet_minutes, 0, 7 * 24 * 60);
    r.read_int("session_minutes", a.session_minutes, 1, 30 * 24 * 60);
    r.finish();
}

void read_retention(KeyReader& r, RetentionConfig& c) {
    r.read_int("bodies_days", c.bodies_days, 0, 100 * 365);
    r.read_int("reports_days", c.reports_days, 0, 100 * 365);
    r.read_int("interval_minutes", c.interval_minutes, 0, 7 * 24 * 60);
    r.read_int("vacuum_pages", c.vacuum_pages, 0, 1'000'000);
    r.finish();
}

bool is_datetime(const std::string& text) {
    // "YYYY-MM-DD HH:MM:SS", Magento's created_at form (compared as text).
    if (text.size() != 19) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool digit = c >= '0' && c <= '9';
        if (i == 4 || i == 7) {
            if (c != '-') return false;
        } else if (i == 10) {
            if (c != ' ') return false;
        } else if (i == 13 || i == 16) {
            if (c != ':') return false;
        } else if (!digit) {
            return false;
        }
    }
    return true;
}

void read_export(KeyReader& r, ExportConfig& e) {
    r.read("mode", e.mode);
    if (e.mode != "off" && e.mode != "notify" && e.mode != "push")
        r.fail("mode", "\"off\", \"notify\" or \"push\"");
    r.read("endpoint", e.endpoint);
    r.read("username", e.username);
    r.read("password", e.password);
    r.read("channel", e.channel);
    r.read("organisation", e.organisation);
    r.read("products", e.products);
    r.read("orders", e.orders);
    r.read_int("batch_size", e.batch_size, 1, 10'000);
    r.read_ms("interval_ms", e.interval, 10, 86'400'000);
    r.read_ms("timeout_ms", e.timeout, 100, 3'600'000);
    r.read_int("concurrency", e.concurrency, 1, 64);
    r.read_int("max_attempts", e.max_attempts, 1, 1000);
    r.read_ms("retry_base_ms", e.retry_base, 1, 3'600'000);
    r.read_ms("retry_max_ms", e.retry_max, 1, 86'400'000);
    // Seconds, so that a short timeout can be set; the older minutes key keeps working.
    std::int64_t queued_minutes = 0, queued_seconds = 0;
    r.read_int("queued_timeout_minutes", queued_minutes, 1, 10'080);
    r.read_int("queued_timeout_seconds", queued_seconds, 1, 604'800);
    if (queued_minutes > 0 && queued_seconds > 0)
        r.fail("queued_timeout_seconds", "no queued_timeout_minutes beside it (one of the two)");
    if (queued_minutes > 0) e.queued_timeout = std::chrono::minutes(queued_minutes);
    if (queued_seconds > 0) e.queued_timeout = std::chrono::seconds(queued_seconds);
    r.read("exportable_statuses", e.exportable_statuses);
    if (e.exportable_statuses.empty()) r.fail("exportable_statuses", "at least one order status");
    r.read("min_order_datetime", e.min_order_datetime);
    if (!e.min_order_datetime.empty() && !is_datetime(e.min_order_datetime))
        r.fail("min_order_datetime", "\"YYYY-MM-DD HH:MM:SS\" (UTC) or \"\"");
    r.read("tls_ca_file", e.tls_ca_file);
    if (e.retry_max < e.retry_base) r.fail("retry_max_ms", "at least retry_base_ms");
    if (e.mode != "off") {
        const bool http =
            e.endpoint.rfind("http://", 0) == 0 || e.endpoint.rfind("https://", 0) == 0;
        if (!http || e.endpoint.back() != '/')
            r.fail("endpoint", "an http:// or https:// base URL ending in '/'");
        if (e.username.empty()) r.fail("username", "the OrderFlow user (export is on)");
        if (e.channel.empty()) r.fail("channel", "the OrderFlow channel (export is on)");
        if (e.organisation.empty())
            r.fail("organisation", "the OrderFlow organisation (export is on)");
    }
    r.finish();
}

// Magento's codes (store views, MSI sources): no whitespace, no control characters.
bool valid_code(const std::string& code) {
    if (code.empty()) return false;
    for (unsigned char c : code)
        if (c <= ' ' || c == 0x7f || c == '/' || c == '?' || c == '#' || c == '%') return false;
    return true;
}

void read_magento(KeyReader& r, MagentoConfig& m) {
    r.read("base_url", m.base_url);
    r.read("store_code", m.store_code);
    r.read("token", m.token);
    r.read("username", m.username);
    r.read("password", m.password);
    r.read("oauth_consumer_key", m.oauth_consumer_key);
    r.read("oauth_consumer_secret", m.oauth_consumer_secret);
    r.read("oauth_access_token", m.oauth_access_token);
    r.read("oauth_access_token_secret", m.oauth_access_token_secret);
    r.read("stock_api", m.stock_api);
    r.read_int("source_items_chunk", m.source_items_chunk, 1, 10'000);
    r.read_int("concurrency", m.concurrency, 1, 64);
    r.read_ms("timeout_ms", m.timeout, 100, 3'600'000);
    std::int64_t pull_interval = m.pull_interval.count();
    r.read_int("pull_interval_seconds", pull_interval, 1, 86'400);
    m.pull_interval = std::chrono::seconds{pull_interval};
    r.read_int("pull_page_size", m.pull_page_size, 1, 10'000);
    r.read("tls_ca_file", m.tls_ca_file);
    r.read_ms("retry_base_ms", m.retry_base, 1, 3'600'000);
    r.read_ms("retry_max_ms", m.retry_max, 1, 86'400'000);
    if (const auto* map = r.table("source_map")) {
        for (const auto& [from, node] : *map) {
            auto to = node.value<std::string>();
            if (!node.is_string() || !to || !valid_code(*to) ||
                !valid_code(std::string(from.str())))
                r.fail("source_map", "a table of WMS source = \"Magento source code\" (no spaces)");
            m.source_map.emplace(std::string(from.str()), *to);
        }
    }
    const bool http = m.base_url.rfind("http://", 0) == 0 || m.base_url.rfind("https://", 0) == 0;
    if (!http || m.base_url.back() != '/' || m.base_url.find_first_of("?# ") != std::string::npos)
        r.fail("base_url", "the shop's http:// or https:// base URL ending in '/'");
    if (!valid_code(m.store_code)) r.fail("store_code", "a Magento store code such as \"all\"");
    if (m.stock_api != "msi" && m.stock_api != "legacy")
        r.fail("stock_api", "\"msi\" or \"legacy\"");
    if (m.retry_max < m.retry_base) r.fail("retry_max_ms", "at least retry_base_ms");
    if (m.username.empty() != m.password.empty())
        r.fail(m.username.empty() ? "username" : "password",
               "set together with username and password (admin token refresh)");
    const int oauth_set = !m.oauth_consumer_key.empty() + !m.oauth_consumer_secret.empty() +
                          !m.oauth_access_token.empty() + !m.oauth_access_token_secret.empty();
    if (oauth_set != 0 && oauth_set != 4)
        r.fail("oauth_consumer_key",
               "all four of oauth_consumer_key, oauth_consumer_secret, oauth_access_token and "
               "oauth_access_token_secret, or none");
    if (oauth_set == 4 && (!m.token.empty() || !m.username.empty()))
        r.fail("token", "\"\" when the OAuth 1.0a secrets are set (one way to authenticate)");
    if (oauth_set == 0 && m.token.empty() && m.username.empty())
        r.fail("token",
               "a bearer token, username and password, or the four oauth_* secrets "
               "(target is magento2)");
    r.finish();
}

StoreConfig read_store(const std::string& code, const toml::table& table) {
    StoreConfig store;
    store.code = code;
    store.wms.api_key.clear();
    KeyReader r(table, "stores." + code);
    r.read("target", store.target);
    if (store.target != "local" && store.target != "magento2")
        r.fail("target", "\"local\" or \"magento2\"");
    if (const auto* wms = r.table("wms")) {
        KeyReader w(*wms, r.name("wms"));
        w.read("username", store.wms.username);
        w.read("api_key", store.wms.api_key);
        w.read("token", store.wms.token);
        w.read("anonymous", store.wms.anonymous);
        std::int64_t ttl = store.wms.session_ttl.count();
        w.read_int("session_ttl_seconds", ttl, 60, 30 * 24 * 3600);
        store.wms.session_ttl = std::chrono::seconds{ttl};
        w.finish();
    }
    if (const auto* export_table = r.table("export")) {
        KeyReader e(*export_table, r.name("export"));
        read_export(e, store.export_);
    }
    const auto* magento = r.table("magento");
    if (magento && store.target != "magento2")
        r.fail("magento", "absent unless target = \"magento2\"");
    if (store.target == "magento2") {
        if (!magento) r.fail("magento", "a [" + r.name("magento") + "] table (target is magento2)");
        KeyReader m(*magento, r.name("magento"));
        read_magento(m, store.magento);
    }
    r.finish();
    return store;
}

}  // namespace

std::optional<std::string> normalized_ip_address(std::string_view text) {
    const std::string address(text);
    char out[INET6_ADDRSTRLEN] = {};
    unsigned char v4[4];
    if (inet_pton(AF_INET, address.c_str(), v4) == 1)
        return inet_ntop(AF_INET, v4, out, sizeof out) ? std::optional<std::string>(out)
                                                       : std::nullopt;
    unsigned char v6[16];
    if (inet_pton(AF_INET6, address.c_str(), v6) != 1) return std::nullopt;
    static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6, mapped, sizeof mapped) == 0)
        return inet_ntop(AF_INET, v6 + 12, out, sizeof out) ? std::optional<std::string>(out)
                                                            : std::nullopt;
    return inet_ntop(AF_INET6, v6, out, sizeof out) ? std::optional<std::string>(out)
                                                    : std::nullopt;
}

Config default_config() {
    Config config;
    StoreConfig store;
    store.code = "default";
    store.wms.api_key = "change-me";
    config.stores.emplace(store.code, store);
    return config;
}

Config parse_config(std::string_view toml_text, std::string_view source_name) {
    toml::table root;
    try {
        root = toml::parse(toml_text, source_name);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        throw ConfigError(std::string(source_name) + ":" + std::to_string(where.line) + ":" +
                          std::to_string(where.column) + ": " + std::string(e.description()));
    }
    Config config;  // no stores unless the file names some
    KeyReader r(root, "");
    if (const auto* t = r.table("server")) {
        KeyReader s(*t, "server");
        read_server(s, config.server);
    }
    if (const auto* t = r.table("storage")) {
        KeyReader s(*t, "storage");
        read_storage(s, config.storage);
    }
    if (const auto* t = r.table("limits")) {
        KeyReader s(*t, "limits");
        read_limits(s, config.limits);
    }
    if (const auto* t = r.table("worker")) {
        KeyReader s(*t, "worker");
        read_worker(s, config.worker);
    }
    if (const auto* t = r.table("inventory")) {
        KeyReader s(*t, "inventory");
        read_inventory(s, config.inventory);
    }
    if (const auto* t = r.table("shipments")) {
        KeyReader s(*t, "shipments");
        read_shipments(s, config.shipments);
    }
    if (const auto* t = r.table("api")) {
        KeyReader s(*t, "api");
        read_api(s, config.api);
    }
    if (const auto* t = r.table("admin")) {
        KeyReader s(*t, "admin");
        read_admin(s, config.admin);
    }
    if (const auto* t = r.table("retention")) {
        KeyReader s(*t, "retention");
        read_retention(s, config.retention);
    }
    if (const auto* t = r.table("stores")) {
        for (const auto& [code, node] : *t) {
            std::string name(code.str());
            if (!node.is_table())
                throw ConfigError("bad value for 'stores." + name + "': expected a table");
            if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") !=
                                    std::string::npos)
                throw ConfigError("bad store code 'stores." + name +
                                  "': use lower-case letters, digits and _");
            config.stores.emplace(name, read_store(name, *node.as_table()));
        }
    }
    r.finish();
    if (config.stores.empty())
        throw ConfigError("no store configured: add a [stores.<code>] table");
    for (const auto& [code, store] : config.stores)
        if (store.wms.api_key.empty() && store.wms.token.empty() && !store.wms.anonymous)
            throw ConfigError("stores." + code + ".wms: set api_key, token, or anonymous = true");
    return config;
}

Config load_config_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError("cannot read config file " + path.string());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return parse_config(text, path.string());
}

}  // namespace ofbridge::config
