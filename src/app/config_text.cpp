// The effective configuration as TOML for the console's Configuration page: every key the
// broker runs with, defaults included, in etc/ofbridge.toml's order. Credentials (api keys,
// tokens, passwords) are shown as "***" when set, so the page proves they are set without
// showing them.
#include <sstream>

#include "commands.h"

namespace ofbridge::app {
namespace {

class TomlOut {
public:
    void table(const std::string& name) {
        out_ << (first_ ? "" : "\n") << "[" << name << "]\n", first_ = false;
    }
    void text(const std::string& key, const std::string& value) {
        out_ << key << " = ";
        quoted(value);
        out_ << "\n";
    }
    // A key read from the operator's file (a WMS source name), quoted whatever it holds.
    void text_under_quoted_key(const std::string& key, const std::string& value) {
        quoted(key);
        text("", value);
    }
    void secret(const std::string& key, const std::string& value) {
        text(key, value.empty() ? "" : "***");
    }
    template <typename T>
    void number(const std::string& key, T value) {
        out_ << key << " = " << value << "\n";
    }
    void flag(const std::string& key, bool value) {
        out_ << key << " = " << (value ? "true" : "false") << "\n";
    }
    void list(const std::string& key, const std::vector<std::string>& values) {
        out_ << key << " = [";
        for (std::size_t i = 0; i < values.size(); ++i) {
            out_ << (i ? ", " : "");
            quoted(values[i]);
        }
        out_ << "]\n";
    }
    std::string str() const { return out_.str(); }

private:
    void quoted(const std::string& value) {
        out_ << '"';
        for (const char c : value) {
            if (c == '"' || c == '\\') out_ << '\\';
            out_ << c;
        }
        out_ << '"';
    }

    std::ostringstream out_;
    bool first_ = true;
};

}  // namespace

std::string configuration_text(const config::Config& c) {
    TomlOut t;
    const auto& s = c.server;
    t.table("server");
    t.text("listen", s.listen);
    t.text("data_dir", s.data_dir.string());
    t.number("max_body_bytes", s.max_body_bytes);
    t.number("max_header_bytes", s.max_header_bytes);
    t.number("read_timeout_ms", s.read_timeout.count());
    t.number("idle_timeout_ms", s.idle_timeout.count());
    t.number("write_timeout_ms", s.write_timeout.count());
    t.number("shutdown_grace_ms", s.shutdown_grace.count());
    t.number("max_buffered_body_bytes", s.max_buffered_body_bytes);
    t.text("public_url", s.public_url);
    t.list("trusted_proxies", s.trusted_proxies);
    t.number("max_connections", s.max_connections);
    t.number("handler_threads", s.handler_threads);
    t.text("log_level", s.log_level);
    t.number("max_pending_requests", s.max_pending_requests);
    t.number("max_pending_bytes", s.max_pending_bytes);
    t.number("request_deadline_ms", s.request_deadline.count());
    t.text("tls_cert", s.tls_cert.string());
    t.text("tls_key", s.tls_key.string());
    t.text("tls_min_version", s.tls_min_version);
    t.text("tls_client_ca", s.tls_client_ca.string());
    t.table("storage");
    t.text("synchronous", c.storage.synchronous_full ? "full" : "normal");
    t.number("max_batch", c.storage.max_batch);
    t.number("batch_budget_us", c.storage.batch_budget.count());
    t.number("slice_rows", c.storage.slice_rows);
    t.table("limits");
    t.number("max_depth", c.limits.max_depth);
    t.number("max_attributes_per_element", c.limits.max_attributes_per_element);
    t.number("max_namespace_declarations", c.limits.max_namespace_declarations);
    t.number("max_elements", c.limits.max_elements);
    t.number("max_text_bytes", c.limits.max_text_bytes);
    t.number("max_sku_length", c.limits.max_sku_length);
    t.number("max_lines", c.limits.max_lines);
    t.table("worker");
    t.number("workers", c.worker.workers);
    t.number("batch_size", c.worker.batch_size);
    t.number("lease_seconds", c.worker.lease.count());
    t.number("max_attempts", c.worker.max_attempts);
    t.number("retry_base_ms", c.worker.retry_base.count());
    t.number("retry_max_ms", c.worker.retry_max.count());
    t.number("gather_ms", c.worker.gather.count());
    t.table("inventory");
    t.flag("allow_negative", c.inventory.allow_negative);
    t.flag("reject_unknown_skus", c.inventory.reject_unknown_skus);
    t.text("adjust_inventory", c.inventory.adjust_inventory);
    t.number("unsent_order_cutoff_days", c.inventory.unsent_order_cutoff_days);
    t.list("unsent_order_statuses", c.inventory.unsent_order_statuses);
    t.text("unsent_orders_source", c.inventory.unsent_orders_source);
    t.table("shipments");
    t.text("configurable_item", c.shipments.configurable_item);
    t.table("api");
    t.secret("token", c.api.token);
    t.table("admin");
    t.text("listen", c.admin.listen);
    t.text("tls_cert", c.admin.tls_cert.string());
    t.text("tls_key", c.admin.tls_key.string());
    t.text("tls_min_version", c.admin.tls_min_version);
    t.number("quiet_minutes", c.admin.quiet_minutes);
    t.number("session_minutes", c.admin.session_minutes);
    t.table("retention");
    t.number("bodies_days", c.retention.bodies_days);
    t.number("reports_days", c.retention.reports_days);
    t.number("interval_minutes", c.retention.interval_minutes);
    t.number("vacuum_pages", c.retention.vacuum_pages);
    for (const auto& [code, store] : c.stores) {
        t.table("stores." + code);
        t.text("target", store.target);
        t.table("stores." + code + ".wms");
        t.text("username", store.wms.username);
        t.secret("api_key", store.wms.api_key);
        t.secret("token", store.wms.token);
        t.flag("anonymous", store.wms.anonymous);
        t.number("session_ttl_seconds", store.wms.session_ttl.count());
        const auto& e = store.export_;
        t.table("stores." + code + ".export");
        t.text("mode", e.mode);
        t.text("endpoint", e.endpoint);
        t.text("username", e.username);
        t.secret("password", e.password);
        t.text("channel", e.channel);
        t.text("organisation", e.organisation);
        t.flag("products", e.products);
        t.flag("orders", e.orders);
        t.number("batch_size", e.batch_size);
        t.number("interval_ms", e.interval.count());
        t.number("timeout_ms", e.timeout.count());
        t.number("concurrency", e.concurrency);
        t.number("max_attempts", e.max_attempts);
        t.number("retry_base_ms", e.retry_base.count());
        t.number("retry_max_ms", e.retry_max.count());
        t.number("queued_timeout_seconds", e.queued_timeout.count());
        t.list("exportable_statuses", e.exportable_statuses);
        t.text("min_order_datetime", e.min_order_datetime);
        t.text("tls_ca_file", e.tls_ca_file);
        if (store.target != "magento2") continue;
        const auto& m = store.magento;
        t.table("stores." + code + ".magento");
        t.text("base_url", m.base_url);
        t.text("store_code", m.store_code);
        t.secret("token", m.token);
        t.text("username", m.username);
        t.secret("password", m.password);
        t.secret("oauth_consumer_key", m.oauth_consumer_key);
        t.secret("oauth_consumer_secret", m.oauth_consumer_secret);
        t.secret("oauth_access_token", m.oauth_access_token);
        t.secret("oauth_access_token_secret", m.oauth_access_token_secret);
        t.text("stock_api", m.stock_api);
        t.number("source_items_chunk", m.source_items_chunk);
        t.number("concurrency", m.concurrency);
        t.number("timeout_ms", m.timeout.count());
        t.number("pull_interval_seconds", m.pull_interval.count());
        t.number("pull_page_size", m.pull_page_size);
        t.text("tls_ca_file", m.tls_ca_file);
        t.number("retry_base_ms", m.retry_base.count());
        t.number("retry_max_ms", m.retry_max.count());
        if (m.source_map.empty()) continue;
        t.table("stores." + code + ".magento.source_map");
        for (const auto& [wms_source, magento_source] : m.source_map)
            t.text_under_quoted_key(wms_source, magento_source);
    }
    return t.str();
}

}  // namespace ofbridge::app
