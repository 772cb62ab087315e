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
#include "ofbridge/endpoints/router.h"
#include "ofbridge/export/export_reader.h"
#include "ofbridge/export/exporter.h"
#include "ofbridge/http/server.h"
#include "ofbridge/ingest/ingest.h"
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
    storage::WriterOptions writer_options{config.database_path(), config.storage.max_batch,
                                          config.storage.synchronous_full};
    writer_options.batch_budget = config.storage.batch_budget;
    writer_options.slice_rows = config.storage.slice_rows;
    writer_options.on_commit = [&workers, &exporter_hook] {
        if (auto* pool = workers.load()) pool->notify();
        if (auto* exporter = exporter_hook.load()) exporter->notify();
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

    std::thread signal_thread([&] {
        for (;;) {
            int received = 0;
            sigwait(&stop_signals, &received);
            if (received == SIGUSR1) return;
            if (received == SIGHUP) {
                if (!server_options.tls) {
                    spdlog::info("SIGHUP: no TLS certificate to re-read");
                    continue;
                }
                try {
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
    router.stop();  // no deadline reply after the listener is gone
    pthread_kill(signal_thread.native_handle(), SIGUSR1);
    signal_thread.join();
    // The workers finish their batch through the writer before it closes.
    workers = nullptr;
    exporter_hook = nullptr;
    exporter.stop();  // the exchange in flight ends within timeout_ms; its outcome is written
    pool.stop();
    writer.close();
    spdlog::info(
        "stopped: {} requests done, {} lines applied, {} duplicate, {} superseded, "
        "{} failed, {} requests dead",
        metrics.requests_done.load(), metrics.lines_applied.load(), metrics.lines_duplicate.load(),
        metrics.lines_superseded.load(), metrics.lines_failed.load(), metrics.requests_dead.load());
    return durability_lost ? 1 : 0;
}

}  // namespace ofbridge::app
