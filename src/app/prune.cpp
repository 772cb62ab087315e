// `ofbridge prune [--dry-run] [--json]`: the retention pass of `serve` on demand (src/retention),
// standalone or beside a running broker. Each slice is a transaction of its own (BEGIN
// IMMEDIATE, at most [storage] slice_rows rows and about batch_budget of work, COMMIT), so the
// broker's writer waits at most one slice for SQLite's write lock. --dry-run counts what a pass
// would delete, on a read-only connection. Progress goes to stderr about once a second on long
// runs; the summary to stdout.
//
// --convert: a store created before incremental vacuum keeps freed pages on its freelist (they
// are reused, the file does not shrink). Converting rewrites the whole file once (VACUUM), so it
// needs the broker stopped and free disk space of about the store's size.
#include <algorithm>
#include <boost/json.hpp>
#include <iostream>
#include <vector>

#include "commands.h"
#include "ofbridge/retention/pruner.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/transaction.h"

namespace ofbridge::app {

namespace {
// A slice writes a few hundred pages at most: 8 of them keep the WAL to a few MB between the
// checkpoints `prune` runs itself.
constexpr std::uint64_t kSlicesPerCheckpoint = 8;
}  // namespace

int prune(const CommonOptions& common, const PruneOptions& options) {
    const auto config = load(common);
    retention::RetentionPolicy policy;
    policy.bodies_days = config.retention.bodies_days;
    policy.reports_days = config.retention.reports_days;
    policy.vacuum_pages_per_slice = config.retention.vacuum_pages;

    if (options.convert) {
        auto db = storage::open_writable(config.database_path(), 0, std::chrono::seconds(10));
        if (retention::incremental_vacuum_on(db)) {
            std::cout << "incremental vacuum already on\n";
            return 0;
        }
        std::cerr << "rewriting " << config.database_path().string()
                  << " with incremental vacuum (VACUUM; the broker must be stopped)\n";
        db.exec("PRAGMA auto_vacuum=INCREMENTAL");
        db.exec("VACUUM");
        std::cout << (retention::incremental_vacuum_on(db) ? "incremental vacuum on\n"
                                                           : "conversion failed\n");
        return retention::incremental_vacuum_on(db) ? 0 : 1;
    }

    auto db = options.dry_run
                  ? storage::open_read_only(config.database_path(), 7, "export log",
                                            "start the broker once")
                  : storage::open_writable(config.database_path(), 0, std::chrono::seconds(10));
    if (!options.dry_run) {
        // Deletes acknowledge nothing: a slice lost with the power is deleted again by the next
        // pass. NORMAL keeps the fsync out of the write lock, which a running broker waits for.
        db.exec("PRAGMA synchronous=NORMAL");
        // SQLite's automatic checkpoint would run inside the COMMIT that crosses 1000 frames,
        // on this connection, and land a checkpoint (with its fsync) in that slice. Instead the
        // WAL is checkpointed between slices, PASSIVE: no write lock held, a broker's writer
        // never waits for it.
        db.exec("PRAGMA wal_autocheckpoint=0");
        storage::sqlite::migrate(db, storage::embedded_migrations());
    }
    const bool vacuum_on = retention::incremental_vacuum_on(db);
    retention::Pruner pruner(policy, std::chrono::system_clock::now(), options.dry_run);
    const auto started = std::chrono::steady_clock::now();
    auto next_progress = started + std::chrono::seconds(1);
    std::uint64_t slices = 0;
    std::chrono::microseconds longest_slice{0};  // how long the write lock was held at most
    std::vector<std::int64_t> slice_us;          // each slice's time: the tail is what a broker
                                                 // beside it may wait for the write lock
    while (!pruner.finished()) {
        const auto slice_started = std::chrono::steady_clock::now();
        storage::SliceBudget budget{config.storage.slice_rows,
                                    std::chrono::steady_clock::now() + config.storage.batch_budget};
        if (options.dry_run) {
            budget.max_rows = 100'000;  // reads only: no one waits for it
            budget.until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
            pruner.slice(db, budget);
        } else {
            storage::sqlite::Transaction transaction(db);
            pruner.slice(db, budget);
            transaction.commit();
        }
        const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - slice_started);
        if (!options.dry_run && (slices + 1) % kSlicesPerCheckpoint == 0)
            db.exec("PRAGMA wal_checkpoint(PASSIVE)");
        ++slices;
        longest_slice = std::max(longest_slice, took);
        slice_us.push_back(took.count());
        if (const auto now = std::chrono::steady_clock::now(); now >= next_progress) {
            const auto& c = pruner.counts();
            std::cerr << "prune: " << pruner.phase_name() << ": " << c.bodies << " bodies, "
                      << c.import_reports << " import reports, " << c.export_runs
                      << " export exchanges so far\n";
            next_progress = now + std::chrono::seconds(1);
        }
    }
    std::sort(slice_us.begin(), slice_us.end());
    const auto percentile = [&slice_us](double p) -> std::int64_t {
        if (slice_us.empty()) return 0;
        return slice_us[static_cast<std::size_t>(p * static_cast<double>(slice_us.size() - 1))];
    };
    const auto& c = pruner.counts();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    if (options.json) {
        boost::json::object out{{"dry_run", options.dry_run},
                                {"bodies_cutoff", pruner.bodies_cutoff()},
                                {"reports_cutoff", pruner.reports_cutoff()},
                                {"bodies", c.bodies},
                                {"import_reports", c.import_reports},
                                {"import_lines", c.import_lines},
                                {"export_runs", c.export_runs},
                                {"export_lines", c.export_lines},
                                {"vacuumed_pages", c.vacuumed_pages},
                                {"incremental_vacuum", vacuum_on},
                                {"slices", slices},
                                {"longest_slice_us", longest_slice.count()},
                                {"slice_us_p50", percentile(0.50)},
                                {"slice_us_p90", percentile(0.90)},
                                {"slice_us_p99", percentile(0.99)},
                                {"duration_ms", ms}};
        std::cout << boost::json::serialize(out) << "\n";
        return 0;
    }
    const char* verb = options.dry_run ? "would delete" : "deleted";
    std::cout << "prune " << verb << ": " << c.bodies << " bodies (done before "
              << (pruner.bodies_cutoff().empty() ? "never" : pruner.bodies_cutoff()) << "), "
              << c.import_reports << " import reports (" << c.import_lines << " lines), "
              << c.export_runs << " export exchanges (" << c.export_lines << " lines) (before "
              << (pruner.reports_cutoff().empty() ? "never" : pruner.reports_cutoff()) << "); "
              << c.vacuumed_pages << " pages returned; " << ms << " ms in " << slices
              << " slices (median " << percentile(0.50) << " us, 90% " << percentile(0.90)
              << " us, 99% " << percentile(0.99) << " us, longest " << longest_slice.count()
              << " us)\n";
    if (!vacuum_on)
        std::cout << "note: this store was created without incremental vacuum: freed pages are "
                     "reused but the file does not shrink (ofbridge prune --convert, with the "
                     "broker stopped, rewrites it once)\n";
    return 0;
}

}  // namespace ofbridge::app
