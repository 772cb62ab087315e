// The exporter (DESIGN §5): sends pending products and orders of every store with export on to
// the WMS, in push mode (one <imports> document per batch) or notify mode (one update.xml POST
// per entity, `concurrency` at once; the WMS fetches it later), and cancellations of orders the
// WMS has. Runs as a thread inside `serve` (woken by notify() and at every store's interval) or
// one round at a time (`ofbridge exports run`). See exporter.cpp for the state machine.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ofbridge/domain/export_rules.h"

namespace ofbridge::storage {
class Writer;
}

namespace ofbridge::exporting {

// One store's export settings ([stores.<code>.export]; mode "push" or "notify").
struct StoreExport {
    std::string mode = "push";
    std::string store_code;
    std::string endpoint;  // base URL with trailing '/'
    std::string username;
    std::string password;
    std::string channel;
    std::string organisation;
    bool products = true;
    bool orders = true;
    std::size_t batch_size = 100;
    std::chrono::milliseconds interval{1000};
    std::chrono::milliseconds timeout{10'000};
    unsigned max_attempts = 8;
    std::chrono::milliseconds retry_base{1000};
    std::chrono::milliseconds retry_max{300'000};
    domain::OrderEligibility eligible;
    std::filesystem::path tls_ca_file;
    // notify mode: notifications in flight at once (one kept-alive connection each), and how
    // long a queued entity waits for the WMS to fetch it before it is notified again.
    unsigned concurrency = 4;
    std::chrono::seconds queued_timeout{3600};
};

struct ExporterOptions {
    std::filesystem::path database;
    // serve: every write is a job on the one writer. nullptr: writes on a connection of the
    // exporter's own (the CLI, beside a broker or alone), taking turns on SQLite's write lock.
    storage::Writer* writer = nullptr;
    std::vector<StoreExport> stores;
    // Long rounds report progress here (the CLI prints it); may be empty.
    std::function<void(std::string_view)> progress;
};

struct RoundSummary {
    std::size_t exchanges = 0;  // HTTP exchanges with the WMS
    std::size_t sent = 0;       // entities sent
    std::size_t exported = 0;
    std::size_t queued = 0;  // notify mode: the WMS was told (it fetches later)
    std::size_t retried = 0;
    std::size_t failed = 0;
    std::size_t stale = 0;      // changed while in flight: pending again
    std::size_t cancelled = 0;  // cancel.xml confirmed
    std::size_t errors = 0;     // exchanges that failed as a whole
};

class Exporter {
public:
    explicit Exporter(ExporterOptions options);  // throws on a bad CA file or database
    ~Exporter();                                 // stops the thread if started
    Exporter(const Exporter&) = delete;
    Exporter& operator=(const Exporter&) = delete;

    // Runs rounds on a thread of its own until stop(): after notify() and at each interval.
    void start();
    void notify();
    void stop();  // aborts the exchange in flight (its entities are sent again later)

    // One round now, on the caller's thread: every store, every due entity.
    RoundSummary run_round();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ofbridge::exporting
