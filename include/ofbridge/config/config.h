// The broker's configuration: one TOML file (etc/ofbridge.toml documents every key with its
// default). Loading is strict: an unknown key or a bad value stops start-up with the key's
// full name, because a typo in a production config must never silently fall back to a default.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ofbridge::config {

struct ServerConfig {
    std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 = any free port
    std::filesystem::path data_dir = "data";
    std::size_t max_body_bytes = 4 * 1024 * 1024;
    std::size_t max_header_bytes = 16 * 1024;
    std::chrono::milliseconds read_timeout{30'000};
    std::chrono::milliseconds idle_timeout{30'000};
    std::chrono::milliseconds write_timeout{30'000};
    std::chrono::milliseconds shutdown_grace{8'000};
    std::size_t max_buffered_body_bytes = 64 * 1024 * 1024;
    std::string public_url;                    // "" = WSDL address from the request's Host
    std::vector<std::string> trusted_proxies;  // IP addresses whose X-Forwarded-* are honoured
    std::size_t max_connections = 1024;
    unsigned handler_threads = 2;
    std::string log_level = "info";
    // Backpressure (README "Durability contract"): requests admitted and not yet answered by the
    // writer and the WAL syncer, and their bytes; beyond either, 503 + Retry-After at once.
    std::size_t max_pending_requests = 1024;
    std::size_t max_pending_bytes = 64 * 1024 * 1024;
    // A request not durable by then is answered 503 + Retry-After (it may still be stored).
    std::chrono::milliseconds request_deadline{10'000};
    // TLS on the listener: both files set = HTTPS only; both "" = plain HTTP.
    std::filesystem::path tls_cert;
    std::filesystem::path tls_key;
    std::string tls_min_version = "1.2";  // "1.2" or "1.3"
    std::filesystem::path tls_client_ca;  // "" = no client certificate asked for
};

struct StorageConfig {
    bool synchronous_full = true;
    std::size_t max_batch = 512;
    std::chrono::microseconds batch_budget{2000};  // work per group commit (storage/writer.h)
    std::size_t slice_rows = 500;                  // rows per slice of big work (orders import)
};

struct LimitsConfig {
    std::size_t max_depth = 64;
    std::size_t max_attributes_per_element = 64;
    std::size_t max_namespace_declarations = 64;
    std::size_t max_elements = 50'000;
    std::size_t max_text_bytes = 65'536;
    std::size_t max_sku_length = 64;
    std::size_t max_lines = 10'000;
};

struct WorkerConfig {
    unsigned workers = 1;
    std::size_t batch_size = 100;
    std::chrono::seconds lease{30};
    unsigned max_attempts = 5;
    std::chrono::milliseconds retry_base{1000};
    std::chrono::milliseconds retry_max{300'000};
    std::chrono::milliseconds gather{30};  // worker.gather_ms
};

struct InventoryConfig {
    bool allow_negative = false;
    bool reject_unknown_skus = false;
    std::string adjust_inventory = "none";  // "none" or "unsent_orders"
    unsigned unsent_order_cutoff_days = 30;
    std::vector<std::string> unsent_order_statuses{"pending", "processing"};
    std::string unsent_orders_source = "default";  // the MSI source that carries the adjustment
};

struct ShipmentsConfig {
    std::string configurable_item = "parent";  // "parent" (Magento's way) or "child"
};

struct ApiConfig {
    std::string token;  // bearer token for /api/v1/*; "" = the admin JSON API is off
};

// [admin]: the web console (src/console). Its own listener, so it can stay on loopback (or behind
// a VPN) while the WMS listener faces the internet.
struct AdminConfig {
    std::string listen = "127.0.0.1:8090";  // HOST:PORT; "" = no console
    std::filesystem::path tls_cert;         // both set = HTTPS only
    std::filesystem::path tls_key;
    std::string tls_min_version = "1.2";
    unsigned quiet_minutes = 60;     // alert when no WMS message arrived for this long; 0 = never
    unsigned session_minutes = 480;  // a login lasts this long
};

// [retention]: what ages out of the store (src/retention, README "Retention").
struct RetentionConfig {
    unsigned bodies_days = 30;       // raw bodies of done requests; 0 = keep forever
    unsigned reports_days = 90;      // import reports and export logs; 0 = keep forever
    unsigned interval_minutes = 60;  // a pass in `serve` this often; 0 = only `ofbridge prune`
    unsigned vacuum_pages = 256;     // freed pages returned to the file system per slice
};

struct WmsAuthConfig {
    std::string username = "wms";
    std::string api_key;  // M1 login(username, apiKey) and M2 CreateAdminAccessToken password
    std::string token;    // M2 integration bearer token; "" = none configured
    bool anonymous = false;
    std::chrono::seconds session_ttl{3600};
};

// [stores.<code>.export]: products and orders to the WMS (DESIGN §5, src/export).
struct ExportConfig {
    std::string mode = "off";  // "off", "notify" or "push"
    std::string endpoint;      // OrderFlow base URL with its trailing '/'
    std::string username;      // HTTP Basic
    std::string password;
    std::string channel;
    std::string organisation;
    bool products = true;
    bool orders = true;
    std::size_t batch_size = 100;
    std::chrono::milliseconds interval{1000};
    std::chrono::milliseconds timeout{10'000};
    unsigned concurrency = 4;
    unsigned max_attempts = 8;
    std::chrono::milliseconds retry_base{1000};
    std::chrono::milliseconds retry_max{300'000};
    // notify mode: a queued entity not fetched within this is notified again
    // (queued_timeout_seconds, or the older queued_timeout_minutes).
    std::chrono::seconds queued_timeout{3600};
    std::vector<std::string> exportable_statuses{"processing"};
    std::string min_order_datetime;  // "YYYY-MM-DD HH:MM:SS" UTC; "" = no limit
    std::string tls_ca_file;         // "" = the system's CA store
};

// [stores.<code>.magento]: the magento2 target (DESIGN §6, src/magento). REST at
// <base_url>rest/<store_code>/V1/. Auth is a bearer `token` (with `username` and `password` set,
// a 401 fetches a new admin token once), or the four OAuth 1.0a secrets of an integration.
struct MagentoConfig {
    std::string base_url;  // "https://shop.example/" (trailing '/')
    std::string store_code = "all";
    std::string token;
    std::string username;
    std::string password;
    std::string oauth_consumer_key;
    std::string oauth_consumer_secret;
    std::string oauth_access_token;
    std::string oauth_access_token_secret;
    std::string stock_api = "msi";  // "msi" or "legacy"
    std::size_t source_items_chunk = 20;
    unsigned concurrency = 2;
    std::chrono::milliseconds timeout{15'000};
    std::chrono::seconds pull_interval{60};
    std::size_t pull_page_size = 100;
    std::map<std::string, std::string> source_map;  // WMS source -> Magento source code
    std::string tls_ca_file;                        // "" = the system's CA store
    std::chrono::milliseconds retry_base{1000};     // delivery backoff, doubling...
    std::chrono::milliseconds retry_max{300'000};   // ...up to this
    bool oauth() const { return !oauth_consumer_key.empty(); }
};

struct StoreConfig {
    std::string code;
    std::string target = "local";  // "local" or "magento2"
    WmsAuthConfig wms;
    ExportConfig export_;   // [stores.<code>.export]
    MagentoConfig magento;  // [stores.<code>.magento]; used when target = "magento2"
};

struct Config {
    ServerConfig server;
    StorageConfig storage;
    LimitsConfig limits;
    WorkerConfig worker;
    InventoryConfig inventory;
    ShipmentsConfig shipments;
    ApiConfig api;
    AdminConfig admin;
    RetentionConfig retention;
    std::map<std::string, StoreConfig> stores;  // by store code

    std::filesystem::path database_path() const { return server.data_dir / "ofbridge.db"; }
};

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The built-in defaults: what etc/ofbridge.toml spells out (one store "default" with
// username "wms" and api_key "change-me").
Config default_config();

// The canonical text of an IPv4 or IPv6 address (an IPv4-mapped IPv6 address as IPv4), or
// nullopt when `text` is not one. [server] trusted_proxies holds addresses in this form.
std::optional<std::string> normalized_ip_address(std::string_view text);

Config load_config_file(const std::filesystem::path& path);  // throws ConfigError
Config parse_config(std::string_view toml_text,
                    std::string_view source_name);  // throws ConfigError

}  // namespace ofbridge::config
