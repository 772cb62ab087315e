// Retention (README "Retention"): what the Magento extension called log cleaning, without its bug
// of deleting work that was never processed. Three kinds of rows age out:
//   - raw request bodies (request_bodies) of requests that are `done`, received before the
//     bodies cutoff; the request row, its reply and a shipment's rows stay (re-delivery
//     detection and the request grids need them). An inventory request keeps no line rows (its
//     lines are expanded from the body): once the body is gone, `requests show` shows the lines
//     of its newest import report, and it can no longer be reprocessed;
//   - import reports with their lines, created before the reports cutoff, of requests that are
//     `done`;
//   - export log exchanges with their lines, finished before the reports cutoff.
// Never touched: a request that is pending, processing (claimed), failed (retrying) or dead, or
// anything of one; high-water marks, stock, orders, shipments, export state, the Magento outbox.
//
// A Pruner is one pass, walked in slices: each slice() deletes (or, in a dry run, only counts)
// at most the rows its budget allows, oldest first, and remembers where it stopped, so the
// caller commits between slices (the writer's sliced jobs in `serve`, one transaction per slice
// in `ofbridge prune`). State machine: bodies -> reports -> exports -> vacuum -> finished; a
// phase ends at its first row younger than its cutoff (ids follow receipt order).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "ofbridge/storage/writer.h"

namespace ofbridge::storage::sqlite {
class Database;
}

namespace ofbridge::retention {

struct RetentionPolicy {
    unsigned bodies_days = 30;   // 0 = keep forever
    unsigned reports_days = 90;  // 0 = keep forever
    // Freelist pages handed back to the file system per slice (incremental vacuum); 0 = none.
    std::uint32_t vacuum_pages_per_slice = 256;
};

// What a pass deleted (or, in a dry run, would delete).
struct PruneCounts {
    std::uint64_t bodies = 0;
    std::uint64_t import_reports = 0;
    std::uint64_t import_lines = 0;
    std::uint64_t export_runs = 0;
    std::uint64_t export_lines = 0;
    std::uint64_t vacuumed_pages = 0;  // pages returned to the file system
    std::uint64_t rows() const {
        return bodies + import_reports + import_lines + export_runs + export_lines;
    }
};

class Pruner {
public:
    // `now` fixes the cutoffs for the whole pass. A dry run only reads and counts.
    Pruner(RetentionPolicy policy, std::chrono::system_clock::time_point now, bool dry_run);

    // One slice on `db` (the caller's transaction): at most budget.max_rows rows, and no new
    // parent row once budget.until has passed. Returns true once the pass is finished.
    bool slice(storage::sqlite::Database& db, const storage::SliceBudget& budget);

    const PruneCounts& counts() const noexcept { return counts_; }
    bool finished() const noexcept { return phase_ == Phase::finished; }
    // "bodies", "reports", "exports", "vacuum" or "finished": for progress lines.
    const char* phase_name() const noexcept;

    std::string bodies_cutoff() const { return bodies_cutoff_; }
    std::string reports_cutoff() const { return reports_cutoff_; }

private:
    enum class Phase { bodies, reports, exports, vacuum, finished };
    std::size_t slice_bodies(storage::sqlite::Database& db, const storage::SliceBudget& budget);
    std::size_t slice_reports(storage::sqlite::Database& db, const storage::SliceBudget& budget);
    std::size_t slice_exports(storage::sqlite::Database& db, const storage::SliceBudget& budget);
    void slice_vacuum(storage::sqlite::Database& db);

    RetentionPolicy policy_;
    bool dry_run_;
    std::string bodies_cutoff_;   // ISO-8601 UTC millis; "" = phase off
    std::string reports_cutoff_;  // ditto
    Phase phase_ = Phase::bodies;
    std::int64_t cursor_ = 0;  // last id looked at in the current phase
    PruneCounts counts_;
};

// Whether the store returns freed pages to the file system (PRAGMA auto_vacuum = INCREMENTAL,
// set when the file is created since this version; an older store keeps them on its freelist
// for reuse until `ofbridge prune --convert` rewrites it once).
bool incremental_vacuum_on(storage::sqlite::Database& db);

}  // namespace ofbridge::retention
