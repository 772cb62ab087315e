// One retention pass in slices (pruner.h). Each phase walks its parent table by primary key
// from where the last slice stopped: ids grow with time (AUTOINCREMENT, receipt order), so the
// first row younger than the cutoff ends the phase and a pass never scans what it keeps, except
// the few old rows it must keep (a dead request's body and reports), which it steps over.
// Children are deleted explicitly before their parent, so the same statements work on a
// connection without foreign_keys (the CLI's) as on the writer's.
#include "ofbridge/retention/pruner.h"

#include <algorithm>
#include <optional>

#include "ofbridge/storage/sqlite/database.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/time_format.h"

namespace ofbridge::retention {
namespace {

using storage::SliceBudget;
using storage::sqlite::Database;
using storage::sqlite::Statement;

std::string cutoff(std::chrono::system_clock::time_point now, unsigned days) {
    if (days == 0) return "";
    return storage::format_utc_millis(now - std::chrono::hours(24) * days);
}

// Parents looked at per query; a slice stops early on its row budget.
constexpr int kBatch = 64;

}  // namespace

Pruner::Pruner(RetentionPolicy policy, std::chrono::system_clock::time_point now, bool dry_run)
    : policy_(policy),
      dry_run_(dry_run),
      bodies_cutoff_(cutoff(now, policy.bodies_days)),
      reports_cutoff_(cutoff(now, policy.reports_days)) {}

const char* Pruner::phase_name() const noexcept {
    switch (phase_) {
        case Phase::bodies:
            return "bodies";
        case Phase::reports:
            return "reports";
        case Phase::exports:
            return "exports";
        case Phase::vacuum:
            return "vacuum";
        case Phase::finished:
            return "finished";
    }
    return "finished";
}

bool incremental_vacuum_on(Database& db) {
    return db.query_int64("PRAGMA auto_vacuum") == 2;
}

bool Pruner::slice(Database& db, const SliceBudget& budget) {
    std::size_t rows = 0;
    while (phase_ != Phase::finished && !budget.spent(rows)) {
        const Phase before = phase_;
        switch (phase_) {
            case Phase::bodies:
                rows += slice_bodies(db, budget);
                break;
            case Phase::reports:
                rows += slice_reports(db, budget);
                break;
            case Phase::exports:
                rows += slice_exports(db, budget);
                break;
            case Phase::vacuum:
                slice_vacuum(db);
                return phase_ == Phase::finished;  // a vacuum step is a slice of its own
            case Phase::finished:
                break;
        }
        if (phase_ != before) cursor_ = 0;
    }
    return phase_ == Phase::finished;
}

// Bodies of `done` requests received before the cutoff. Steps over the others.
std::size_t Pruner::slice_bodies(Database& db, const SliceBudget& budget) {
    if (bodies_cutoff_.empty()) {
        phase_ = Phase::reports;
        return 0;
    }
    Statement select(db,
                     "SELECT b.request_id, r.state, r.received_at FROM request_bodies b"
                     " JOIN requests r ON r.id = b.request_id"
                     " WHERE b.request_id > ?1 ORDER BY b.request_id LIMIT ?2");
    select.bind(1, cursor_).bind(2, kBatch);
    std::optional<Statement> remove;
    if (!dry_run_) remove.emplace(db, "DELETE FROM request_bodies WHERE request_id = ?1");
    std::size_t rows = 0, seen = 0;
    while (select.step()) {
        ++seen;
        const auto id = select.column_int64(0);
        if (select.column_text_view(2) >= bodies_cutoff_) {
            phase_ = Phase::reports;
            return rows;
        }
        cursor_ = id;
        if (select.column_text_view(1) != "done") continue;
        if (remove) {
            remove->bind(1, id).run();
            remove->reset();
        }
        ++counts_.bodies;
        if (budget.spent(++rows)) return rows;
    }
    if (seen < static_cast<std::size_t>(kBatch)) phase_ = Phase::reports;
    return rows;
}

// Import reports (and their lines) of `done` requests created before the cutoff.
std::size_t Pruner::slice_reports(Database& db, const SliceBudget& budget) {
    if (reports_cutoff_.empty()) {
        phase_ = Phase::exports;
        return 0;
    }
    Statement select(db,
                     "SELECT rep.id, rep.created_at, r.state,"
                     " (SELECT count(*) FROM import_lines l WHERE l.report_id = rep.id)"
                     " FROM import_reports rep LEFT JOIN requests r ON r.id = rep.request_id"
                     " WHERE rep.id > ?1 ORDER BY rep.id LIMIT ?2");
    select.bind(1, cursor_).bind(2, kBatch);
    std::optional<Statement> remove_lines, remove_report;
    if (!dry_run_) {
        remove_lines.emplace(db, "DELETE FROM import_lines WHERE report_id = ?1");
        remove_report.emplace(db, "DELETE FROM import_reports WHERE id = ?1");
    }
    std::size_t rows = 0, seen = 0;
    while (select.step()) {
        ++seen;
        const auto id = select.column_int64(0);
        if (select.column_text_view(1) >= reports_cutoff_) {
            phase_ = Phase::exports;
            return rows;
        }
        cursor_ = id;
        // A report of a request that is not done (reprocessed and waiting, retrying, dead) is
        // what an admin needs to see what happened: it stays with its request.
        if (select.column_text_view(2) != "done") continue;
        const auto lines = static_cast<std::uint64_t>(select.column_int64(3));
        if (remove_lines) {
            remove_lines->bind(1, id).run();
            remove_lines->reset();
            remove_report->bind(1, id).run();
            remove_report->reset();
        }
        ++counts_.import_reports;
        counts_.import_lines += lines;
        rows += 1 + lines;
        if (budget.spent(rows)) return rows;
    }
    if (seen < static_cast<std::size_t>(kBatch)) phase_ = Phase::exports;
    return rows;
}

// Export log exchanges (and their lines) finished before the cutoff.
std::size_t Pruner::slice_exports(Database& db, const SliceBudget& budget) {
    if (reports_cutoff_.empty()) {
        phase_ = Phase::vacuum;
        return 0;
    }
    Statement select(db,
                     "SELECT e.id, e.finished_at,"
                     " (SELECT count(*) FROM export_run_lines l WHERE l.run_id = e.id)"
                     " FROM export_runs e WHERE e.id > ?1 ORDER BY e.id LIMIT ?2");
    select.bind(1, cursor_).bind(2, kBatch);
    std::optional<Statement> remove_lines, remove_run;
    if (!dry_run_) {
        remove_lines.emplace(db, "DELETE FROM export_run_lines WHERE run_id = ?1");
        remove_run.emplace(db, "DELETE FROM export_runs WHERE id = ?1");
    }
    std::size_t rows = 0, seen = 0;
    while (select.step()) {
        ++seen;
        const auto id = select.column_int64(0);
        if (select.column_text_view(1) >= reports_cutoff_) {
            phase_ = Phase::vacuum;
            return rows;
        }
        cursor_ = id;
        const auto lines = static_cast<std::uint64_t>(select.column_int64(2));
        if (remove_lines) {
            remove_lines->bind(1, id).run();
            remove_lines->reset();
            remove_run->bind(1, id).run();
            remove_run->reset();
        }
        ++counts_.export_runs;
        counts_.export_lines += lines;
        rows += 1 + lines;
        if (budget.spent(rows)) return rows;
    }
    if (seen < static_cast<std::size_t>(kBatch)) phase_ = Phase::vacuum;
    return rows;
}

// Hands freelist pages back to the file system, a few at a time (each moves pages from the
// end of the file into the holes): only in a store created with auto_vacuum = INCREMENTAL.
void Pruner::slice_vacuum(Database& db) {
    if (dry_run_ || policy_.vacuum_pages_per_slice == 0 || !incremental_vacuum_on(db)) {
        phase_ = Phase::finished;
        return;
    }
    const auto free_pages = db.query_int64("PRAGMA freelist_count");
    if (free_pages <= 0) {
        phase_ = Phase::finished;
        return;
    }
    const auto pages = std::min<std::int64_t>(free_pages, policy_.vacuum_pages_per_slice);
    Statement vacuum(db, "PRAGMA incremental_vacuum(" + std::to_string(pages) + ")");
    while (vacuum.step()) {
    }
    const auto left = db.query_int64("PRAGMA freelist_count");
    counts_.vacuumed_pages +=
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, free_pages - left));
    if (left <= 0 || left >= free_pages) phase_ = Phase::finished;
}

}  // namespace ofbridge::retention
