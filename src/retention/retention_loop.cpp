#include "ofbridge/retention/retention_loop.h"

#include <spdlog/spdlog.h>

#include <future>
#include <memory>

#include "ofbridge/metrics/registry.h"
#include "ofbridge/storage/writer.h"

namespace ofbridge::retention {
namespace {

// /metrics: rows deleted by retention, by kind, and pages returned to the file system. Created
// with the loop, so the series read 0 before the first pass.
struct RetentionCounters {
    static RetentionCounters& get() {
        static RetentionCounters instance;
        return instance;
    }
    void count(const PruneCounts& c) {
        bodies.add(c.bodies);
        reports.add(c.import_reports);
        lines.add(c.import_lines);
        runs.add(c.export_runs);
        run_lines.add(c.export_lines);
        pages.add(c.vacuumed_pages);
        passes.add();
    }
    static metrics::Counter& deleted(const char* kind) {
        return metrics::registry().counter("ofbridge_retention_deleted_total",
                                           "Rows deleted by retention passes in serve, by kind.",
                                           {{"kind", kind}});
    }
    metrics::Counter& bodies = deleted("request_bodies");
    metrics::Counter& reports = deleted("import_reports");
    metrics::Counter& lines = deleted("import_lines");
    metrics::Counter& runs = deleted("export_runs");
    metrics::Counter& run_lines = deleted("export_run_lines");
    metrics::Counter& pages = metrics::registry().counter(
        "ofbridge_retention_vacuumed_pages_total",
        "Free pages handed back to the file system (incremental vacuum).");
    metrics::Counter& passes =
        metrics::registry().counter("ofbridge_retention_passes_total", "Retention passes run.");
};

}  // namespace

RetentionLoop::RetentionLoop(storage::Writer& writer, RetentionLoopOptions options)
    : writer_(writer),
      options_(std::move(options)),
      worker_({"retention", options_.first_delay}, [this] { return run(); }) {
    RetentionCounters::get();
}

RetentionLoop::~RetentionLoop() {
    stop();
}

void RetentionLoop::stop() {
    worker_.stop();
}

util::BackgroundWorker::Clock::duration RetentionLoop::run() {
    try {
        run_pass();
    } catch (const std::exception& e) {
        spdlog::error("retention: pass failed: {}; trying again in {} min", e.what(),
                      options_.interval.count());
    }
    return options_.interval;
}

// One pass: a sliced job whose every slice asks whether the loop is stopping, so shutdown never
// waits for a long pass.
void RetentionLoop::run_pass() {
    const auto started = std::chrono::steady_clock::now();
    auto pruner =
        std::make_shared<Pruner>(options_.policy, std::chrono::system_clock::now(), false);
    auto outcome = std::make_shared<std::promise<std::error_code>>();
    auto done = outcome->get_future();
    storage::WriteJob job;
    job.completion = storage::Completion::committed;  // nothing is acknowledged on it
    job.run_slice = [this, pruner](storage::sqlite::Database& db, std::uint64_t,
                                   const storage::SliceBudget& budget) {
        storage::SliceResult result;
        result.finished = worker_.stopping() || pruner->slice(db, budget);
        return result;
    };
    job.done = [outcome](std::error_code ec) { outcome->set_value(ec); };
    writer_.submit(std::move(job));
    const auto ec = done.get();
    const auto& c = pruner->counts();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    if (ec) {
        spdlog::error(
            "retention: pass stopped after {} ms: {} (deleted so far: {} bodies, {} "
            "import reports, {} export exchanges)",
            ms, ec.message(), c.bodies, c.import_reports, c.export_runs);
    } else if (c.rows() > 0 || c.vacuumed_pages > 0) {
        spdlog::info(
            "retention: deleted {} bodies, {} import reports ({} lines), {} export exchanges "
            "({} lines); {} pages returned; {} ms",
            c.bodies, c.import_reports, c.import_lines, c.export_runs, c.export_lines,
            c.vacuumed_pages, ms);
    } else {
        spdlog::debug("retention: nothing to delete ({} ms)", ms);
    }
    RetentionCounters::get().count(c);
    if (options_.on_pass) options_.on_pass(c);
}

}  // namespace ofbridge::retention
