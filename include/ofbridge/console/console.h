// The admin web console (DESIGN §4.3, §7): server-rendered pages and the /admin/api JSON
// documents over the features' read models, served on a listener of its own (http::Server with
// this Handler). Pages work without JavaScript; the one CSS file and the little script are
// embedded in the binary. Every template goes through mustache, which escapes what it inserts.
//
// A request goes through:
//   assets (/assets/...) and the login form: no session needed
//   every other path: session cookie -> SHA-256 -> admin_sessions row not expired, else the login
//     page (pages) or 401 (API)
//   POST: Origin (or Referer) must be this console's own origin, and the form's csrf field the
//     session's token, else 403 and nothing changes
//   login: the throttle first (login_throttle.h), then Argon2id; a session is handed out only
//     once its row is durable
// /healthz, /readyz (the store answers a query and the writer commits a no-op job within 2 s)
// and /metrics (Prometheus text) need no login: they show counts, never data, for probes and
// scrapers on the console's (loopback) listener.
// Writes (sessions, the audit log) are jobs on the one writer; a reprocess is the callback the
// app gives, the workers' own claim path (`requests reprocess`). Every reply carries a strict
// CSP (no inline script or style), X-Frame-Options DENY, nosniff, Referrer-Policy and no-store.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "ofbridge/http/server.h"

namespace ofbridge::storage {
class Writer;
}

namespace ofbridge::console {

struct ReprocessOutcome {
    std::int64_t report_id = 0;
    std::string state;
};

struct ConsoleOptions {
    std::filesystem::path database;
    storage::Writer* writer = nullptr;  // every write; must outlive the console
    bool tls = false;                   // the listener speaks TLS: cookies are Secure
    std::chrono::minutes session_ttl{480};
    unsigned quiet_minutes = 60;  // dashboard alert; 0 = never
    // `requests reprocess` through the workers' claim path; throws std::exception with a
    // message for people when it cannot.
    std::function<ReprocessOutcome(std::int64_t request_id)> reprocess;
    // The effective configuration as TOML-like text, secrets already masked.
    std::string configuration_text;
    std::function<std::chrono::system_clock::time_point()> clock{};  // empty = system clock
    // More Prometheus text for /metrics (the process's own counters: workers, writer); the
    // console adds the queue depth by state and the WAL size itself.
    std::function<std::string()> process_metrics{};
};

class Console : public http::Handler {
public:
    // Opens its read-only connections; throws std::runtime_error naming the database.
    explicit Console(ConsoleOptions options);
    ~Console() override;

    void handle(http::Request request, http::Responder respond) override;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::console
