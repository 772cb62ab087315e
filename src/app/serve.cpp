// `ofbridge serve`: wires the layers together and runs until SIGTERM/SIGINT.
//
// Start-up: config -> the one writer (creates and migrates the database) -> workers -> ingest
// (loads live sessions) -> HTTP listener -> "listening on HOST:PORT" on stdout. Every write goes
// through the writer: requests, sessions, the workers' claims and applies, the orders API. Every
// commit of new requests wakes a worker. Shutdown on a signal: the listener stops accepting and
// finishes in-flight requests, the workers finish their batch, the writer commits whatever is
// queued and closes; exit 0. The same shutdown with exit 1 when the writer lost durability (a
// failed WAL fsync). Signals are taken by a dedicated thread with
// sigwait(), so no work is done in a signal handler; SIGHUP re-reads the TLS certificate.
//
// Under a service manager (service_manager.h): READY=1 once the listener accepts connections,
// STOPPING=1 when a stop begins, WATCHDOG=1 pings while the writer turns, journal-style log
// lines, and the sample api_key "change-me" refuses to start (an unattended service must not
// run with a published credential); run by hand it is only a warning.
#include <pthread.h>
#include <signal.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <optional>
#include <thread>

#include "commands.h"
#include "ofbridge/console/console.h"
#include "ofbridge/endpoints/router.h"
#include "ofbridge/export/export_reader.h"
#include "ofbridge/export/exporter.h"
#include "ofbridge/http/server.h"
#include "ofbridge/ingest/ingest.h"
#include "ofbridge/magento/pull.h"
#include "ofbridge/metrics/registry.h"
#include "ofbridge/retention/retention_loop.h"
#include "ofbridge/storage/writer.h"
#include "ofbridge/worker/worker_pool.h"
#include "service_manager.h"

namespace ofbridge::app {
namespace {

// "<N>": the syslog priority of a line, which the journal reads off stderr (sd-daemon(3)).
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        static constexpr char kPriority[] = {'7', '7', '6', '4', '3', '2', '6'};
        const auto level = static_cast<std::size_t>(msg.level);
        dest.push_back('<');
        dest.push_back(level < sizeof kPriority ? kPriority[level] : '6');
        dest.push_back('>');
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<SyslogPriorityFlag>();
    }
};

void set_up_logging(const std::string& level) {
    auto logger = spdlog::stderr_logger_mt("ofbridge");
    if (stderr_is_journal()) {  // the journal stamps the time and reads the priority prefix
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%l %v");
        logger->set_formatter(std::move(formatter));
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    }
    logger->set_level(spdlog::level::from_str(level));
    spdlog::set_default_logger(logger);
}

std::pair<std::string, std::uint16_t> split_listen(const std::string& listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos)
        throw config::ConfigError("listen must be HOST:PORT, got '" + listen + "'");
    auto host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    int port = -1;
    try {
        std::size_t used = 0;
        port = std::stoi(listen.substr(colon + 1), &used);
        if (used != listen.size() - colon - 1) port = -1;
    } catch (const std::exception&) {
    }
    if (port < 0 || port > 65535)
        throw config::ConfigError("listen port must be 0-65535, got '" + listen + "'");
    return {host, static_cast<std::uint16_t>(port)};
}

// One descriptor per connection (max_connections, plus the overflow connections that get their
// 503) and some for the database, its WAL, the journal and the listener. The soft limit is raised
// up to the hard one when it is lower (the unit's LimitNOFILE sets both); what still falls short
// is warned about, since accept() would then fail under load.
void ensure_descriptor_limit(std::size_t max_connections) {
    const rlim_t needed = static_cast<rlim_t>(max_connections) + 64 + 64;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed) return;
    const rlim_t raised = std::min(needed, limit.rlim_max);
    if (raised > limit.rlim_cur) {
        limit.rlim_cur = raised;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    if (raised < needed)
        spdlog::warn(
            "open-file limit {} is below the {} that max_connections = {} needs: raise "
            "LimitNOFILE (ulimit -n) or lower server.max_connections",
            static_cast<unsigned long long>(raised), static_cast<unsigned long long>(needed),
            max_connections);
}

// The workers' and the writer's counters since start-up as Prometheus text (the console's
// /metrics adds the queue depth and the WAL size).
std::string process_metrics_text(const worker::Metrics& m, const storage::WriterStats& w) {
    std::string out;
    const auto counter = [&out](
                             const std::string& name, const std::string& help,
                             std::initializer_list<std::pair<std::string, std::uint64_t>> values) {
        out += "# HELP " + name + " " + help + "\n# TYPE " + name + " counter\n";
        for (const auto& [labels, value] : values)
            out += name + labels + " " + std::to_string(value) + "\n";
    };
    counter("ofbridge_worker_requests_total", "Requests the workers finished, by outcome.",
            {{"{outcome=\"done\"}", m.requests_done.load()},
             {"{outcome=\"failed\"}", m.requests_failed.load()},
             {"{outcome=\"dead\"}", m.requests_dead.load()}});
    counter("ofbridge_worker_lines_total", "Import lines written by the workers, by result.",
            {{"{result=\"Success\"}", m.lines_applied.load()},
             {"{result=\"Duplicate\"}", m.lines_duplicate.load()},
             {"{result=\"Superseded\"}", m.lines_superseded.load()},
             {"{result=\"Failure\"}", m.lines_failed.load()}});
    counter("ofbridge_writer_commits_total", "Group commits of the one writer.", {{"", w.commits}});
    counter("ofbridge_writer_syncs_total", "WAL fsyncs that made commits durable.",
            {{"", w.syncs}});
    counter("ofbridge_writer_failed_jobs_total", "Writer jobs answered with an error.",
            {{"", w.failed_jobs}});
    counter("ofbridge_writer_failed_commits_total", "Batches that failed as a whole.",
            {{"", w.failed_commits}});
    counter("ofbridge_writer_checkpoints_total", "WAL checkpoints completed.",
            {{"", w.checkpoints}});
    // What the layers count where it happens (ingest, WAL fsync, export, Magento, retention).
    out += metrics::registry().render();
    return out;
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

int serve(const CommonOptions& common, const ServeOptions& options) {
    auto config = load(common);
    if (!options.listen.empty()) config.server.listen = options.listen;
    auto [host, port] = split_listen(config.server.listen);
    set_up_logging(config.server.log_level);
    for (const auto& [code, store] : config.stores) {
        if (store.wms.api_key != "change-me") continue;
        if (under_service_manager())
            throw config::ConfigError("stores." + code +
                                      ".wms.api_key is the sample \"change-me\": set the WMS's own "
                                      "key (and username) in " +
                                      (common.config_file.empty() ? std::string("the config file")
                                                                  : common.config_file.string()) +
                                      " before starting the service");
        spdlog::warn("store {} uses the sample api_key 'change-me': set stores.{}.wms.api_key",
                     code, code);
    }

    ensure_descriptor_limit(config.server.max_connections);

    // Block the stop signals before any thread exists so every thread inherits the mask and
    // only the sigwait() thread below ever receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGHUP);   // re-read the TLS certificate
    sigaddset(&stop_signals, SIGUSR1);  // internal: wakes the signal thread on other exits
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    // The writer exists before the workers (it creates and migrates the database); its commit
    // hook reaches them through this pointer once they run.
    std::atomic<worker::WorkerPool*> workers{nullptr};
    std::atomic<exporting::Exporter*> exporter_hook{nullptr};
    std::atomic<magento::Delivery*> delivery_hook{nullptr};
    storage::WriterOptions writer_options{config.database_path(), config.storage.max_batch,
                                          config.storage.synchronous_full};
    writer_options.batch_budget = config.storage.batch_budget;
    writer_options.slice_rows = config.storage.slice_rows;
    writer_options.on_commit = [&workers, &exporter_hook, &delivery_hook] {
        if (auto* pool = workers.load()) pool->notify();
        if (auto* exporter = exporter_hook.load()) exporter->notify();
        if (auto* delivery = delivery_hook.load()) delivery->notify();
    };
    // A failed WAL fsync leaves the writer unable to acknowledge anything (storage/writer.h):
    // stop like on SIGTERM, but exit non-zero so the service manager restarts the broker and
    // SQLite recovers from what is on disk.
    std::atomic<bool> durability_lost{false};
    writer_options.on_durability_lost = [&durability_lost] {
        spdlog::critical("stopping: the writer can no longer acknowledge requests durably");
        durability_lost = true;
        ::kill(::getpid(), SIGTERM);
    };
    storage::Writer writer(writer_options);
    spdlog::info("store open at {} (synchronous={})", config.database_path().string(),
                 config.storage.synchronous_full ? "full" : "normal");
    worker::Metrics metrics;
    auto pool_options = worker_options(config);
    pool_options.writer = &writer;  // claims and applies run on the one writer's thread
    pool_options.after_apply = [&delivery_hook] {
        if (auto* delivery = delivery_hook.load()) delivery->notify();
    };
    worker::WorkerPool pool(pool_options, metrics);
    workers = &pool;
    pool.notify();  // requests left pending by a previous run
    if (config.worker.workers == 0)
        spdlog::warn("worker.workers = 0: requests are stored and acknowledged but not applied");
    else
        spdlog::info("{} worker(s) started, batch_size={}", config.worker.workers,
                     config.worker.batch_size);
    // The exporter (stores with [stores.<code>.export] mode = "push"): its writes go through the
    // writer, its selection reads a read-only connection.
    auto export_options = exporter_options(config);
    export_options.writer = &writer;
    exporting::Exporter exporter(export_options);
    for (const auto& store : export_options.stores)
        spdlog::info("export of store {} to {} ({}, batch_size={}, concurrency={})",
                     store.store_code, store.endpoint, store.mode, store.batch_size,
                     store.mode == "notify" ? store.concurrency : 1u);
    exporter.start();
    exporter_hook = &exporter;
    // Delivery to Magento (stores with target = "magento2"): reads the outbox on a read-only
    // connection, writes every outcome through the writer (src/magento/delivery.cpp).
    auto magento_options = delivery_options(config);
    magento_options.writer = &writer;
    magento::Delivery delivery(magento_options);
    for (const auto& store : magento_options.stores)
        spdlog::info("store {} delivers to Magento at {}rest/{}/V1/ ({}, chunk {}, concurrency {})",
                     store.store_code, store.client.base_url, store.client.store_code,
                     store.stock_api, store.source_items_chunk, store.client.concurrency);
    delivery.start();
    delivery_hook = &delivery;
    // The incremental pull of the magento2 stores' orders and products, every
    // pull_interval_seconds, written through the writer (src/magento/pull.cpp).
    magento::Puller puller({config.database_path(), &writer, magento_options.stores, {}});
    for (const auto& store : magento_options.stores)
        spdlog::info("store {} pulls orders and products from Magento every {} s (page {})",
                     store.store_code, store.pull_interval.count(), store.pull_page_size);
    puller.start();
    // Retention ([retention]): hourly passes in slices on the writer (src/retention).
    std::optional<retention::RetentionLoop> retention_loop;
    if (config.retention.interval_minutes > 0 &&
        (config.retention.bodies_days > 0 || config.retention.reports_days > 0)) {
        retention::RetentionLoopOptions retention_options;
        retention_options.policy.bodies_days = config.retention.bodies_days;
        retention_options.policy.reports_days = config.retention.reports_days;
        retention_options.policy.vacuum_pages_per_slice = config.retention.vacuum_pages;
        retention_options.interval = std::chrono::minutes(config.retention.interval_minutes);
        retention_loop.emplace(writer, std::move(retention_options));
    }
    ingest::Ingest ingest(config, writer, unix_now);

    endpoints::RouterOptions router_options;
    router_options.gate.max_depth = config.limits.max_depth;
    router_options.gate.max_attributes_per_element = config.limits.max_attributes_per_element;
    router_options.gate.max_namespace_declarations = config.limits.max_namespace_declarations;
    router_options.gate.max_elements = config.limits.max_elements;
    router_options.gate.max_text_bytes = config.limits.max_text_bytes;
    router_options.fallback_host = config.server.listen;
    router_options.public_url = config.server.public_url;
    router_options.trusted_proxies = config.server.trusted_proxies;
    router_options.api_token = config.api.token;
    router_options.writer = &writer;  // the orders API writes through the one writer
    router_options.backpressure.max_requests = config.server.max_pending_requests;
    router_options.backpressure.max_bytes = config.server.max_pending_bytes;
    router_options.backpressure.deadline = config.server.request_deadline;
    // Notify mode's fetches run on the handler threads, each reading a connection of its own.
    exporting::ExportReader export_reader(config.database_path(), config.server.handler_threads);
    router_options.export_reader = &export_reader;
    endpoints::Router router(ingest, router_options);

    http::ServerOptions server_options;
    server_options.host = host;
    server_options.port = port;
    server_options.max_body_bytes = config.server.max_body_bytes;
    server_options.max_header_bytes = config.server.max_header_bytes;
    server_options.read_timeout = config.server.read_timeout;
    server_options.idle_timeout = config.server.idle_timeout;
    server_options.write_timeout = config.server.write_timeout;
    server_options.shutdown_grace = config.server.shutdown_grace;
    server_options.max_buffered_body_bytes = config.server.max_buffered_body_bytes;
    server_options.max_connections = config.server.max_connections;
    server_options.handler_threads = config.server.handler_threads;
    if (!config.server.tls_cert.empty()) {
        http::TlsOptions tls;
        tls.certificate_file = config.server.tls_cert;
        tls.key_file = config.server.tls_key;
        tls.min_version = config.server.tls_min_version;
        tls.client_ca_file = config.server.tls_client_ca;
        server_options.tls = std::move(tls);
    }
    // The listener's own events (handshake failures, overload) are for debugging.
    server_options.log = [](std::string_view message) { spdlog::debug("{}", message); };
    http::Server server(server_options, router);
    const auto bound = server.listen();
    router.set_fallback_host(bound);  // the real port, also when port 0 was asked for

    // The admin console ([admin] listen): a listener of its own. It is not what the WMS needs,
    // so a console that cannot start (port taken, bad certificate) is logged as an error and
    // the broker serves the WMS without it.
    std::unique_ptr<console::Console> admin_console;
    std::unique_ptr<http::Server> admin_server;
    std::string admin_bound;
    if (!config.admin.listen.empty()) {
        try {
            auto [admin_host, admin_port] = split_listen(config.admin.listen);
            console::ConsoleOptions console_options;
            console_options.database = config.database_path();
            console_options.writer = &writer;
            console_options.tls = !config.admin.tls_cert.empty();
            console_options.session_ttl = std::chrono::minutes(config.admin.session_minutes);
            console_options.quiet_minutes = config.admin.quiet_minutes;
            console_options.configuration_text = configuration_text(config);
            // `requests reprocess`'s own path, its claims and applies on the one writer.
            console_options.reprocess = [&config, &writer, &metrics](std::int64_t id) {
                auto reprocess_options = worker_options(config);
                reprocess_options.writer = &writer;
                const auto result = worker::reprocess_request(reprocess_options, id, &metrics);
                return console::ReprocessOutcome{result.report_id, result.state};
            };
            console_options.process_metrics = [&metrics, &writer] {
                return process_metrics_text(metrics, writer.stats());
            };
            admin_console = std::make_unique<console::Console>(std::move(console_options));
            http::ServerOptions admin_options;
            admin_options.host = admin_host;
            admin_options.port = admin_port;
            admin_options.max_body_bytes = 1024 * 1024;  // forms only
            admin_options.max_connections = 64;
            admin_options.handler_threads = 2;
            admin_options.shutdown_grace = config.server.shutdown_grace;
            if (!config.admin.tls_cert.empty()) {
                http::TlsOptions tls;
                tls.certificate_file = config.admin.tls_cert;
                tls.key_file = config.admin.tls_key;
                tls.min_version = config.admin.tls_min_version;
                admin_options.tls = std::move(tls);
            }
            admin_options.log = [](std::string_view message) {
                spdlog::debug("admin: {}", message);
            };
            admin_server = std::make_unique<http::Server>(admin_options, *admin_console);
            admin_bound = admin_server->listen();
            // Only in the log, before stdout's "listening on" line (what scripts read).
            spdlog::info("admin console on {}{}", admin_bound,
                         config.admin.tls_cert.empty() ? "" : " (TLS)");
        } catch (const std::exception& e) {
            spdlog::error("admin console not started on {}: {}", config.admin.listen, e.what());
            admin_server.reset();
            admin_console.reset();
        }
    }
    std::thread admin_thread;
    if (admin_server) admin_thread = std::thread([&] { admin_server->run(); });

    std::thread signal_thread([&] {
        for (;;) {
            int received = 0;
            sigwait(&stop_signals, &received);
            if (received == SIGUSR1) return;
            if (received == SIGHUP) {
                if (!server_options.tls && (!admin_server || config.admin.tls_cert.empty())) {
                    spdlog::info("SIGHUP: no TLS certificate to re-read");
                    continue;
                }
                try {
                    if (admin_server && !config.admin.tls_cert.empty()) admin_server->reload_tls();
                    server.reload_tls();
                    spdlog::info("SIGHUP: TLS certificate re-read from {}",
                                 config.server.tls_cert.string());
                } catch (const std::exception& e) {
                    spdlog::error("SIGHUP: {}; still serving the previous certificate", e.what());
                }
                continue;
            }
            notify_service_manager("STOPPING=1");
            spdlog::info("signal {} received: stopping", received);
            if (admin_server) admin_server->stop();
            server.stop();
            return;
        }
    });

    std::cout << "listening on " << bound << std::endl;
    spdlog::info("listening on {}{}", bound, server_options.tls ? " (TLS)" : "");
    // The socket is listening: connections made from now on are served once run() starts.
    notify_service_manager("READY=1");
    std::optional<WriterWatchdog> watchdog;
    if (const auto interval = watchdog_interval()) watchdog.emplace(writer, *interval);
    server.run();
    watchdog.reset();
    if (admin_server) {  // its reprocesses use the writer: done before the writer closes
        admin_server->stop();
        admin_thread.join();
        admin_server.reset();
    }
    router.stop();  // no deadline reply after the listener is gone
    pthread_kill(signal_thread.native_handle(), SIGUSR1);
    signal_thread.join();
    // The workers finish their batch through the writer before it closes.
    workers = nullptr;
    exporter_hook = nullptr;
    exporter.stop();  // the exchange in flight ends within timeout_ms; its outcome is written
    delivery_hook = nullptr;
    delivery.stop();  // a ship call cut off stays marked and is checked at the next start
    puller.stop();    // a window cut short keeps its watermark and is pulled again
    pool.stop();
    if (retention_loop) retention_loop->stop();  // a pass ends after its current slice
    writer.close();
    spdlog::info(
        "stopped: {} requests done, {} lines applied, {} duplicate, {} superseded, "
        "{} failed, {} requests dead",
        metrics.requests_done.load(), metrics.lines_applied.load(), metrics.lines_duplicate.load(),
        metrics.lines_superseded.load(), metrics.lines_failed.load(), metrics.requests_dead.load());
    return durability_lost ? 1 : 0;
}

}  // namespace ofbridge::app
