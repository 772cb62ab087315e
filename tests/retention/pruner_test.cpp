// Retention on a store holding old and new rows of every kind, with requests in every state:
// only the bodies and reports of old done requests and the old export log go; nothing of a
// pending, claimed, retrying or dead request, no high-water mark, no outbox row is touched.
#include <gtest/gtest.h>

#include <future>

#include "ofbridge/retention/pruner.h"
#include "ofbridge/storage/schema.h"
#include "ofbridge/storage/sqlite/statement.h"
#include "ofbridge/storage/sqlite/transaction.h"
#include "ofbridge/storage/time_format.h"
#include "ofbridge/storage/writer.h"
#include "temp_dir.h"

namespace ofbridge::retention {
namespace {

using storage::sqlite::Database;
using storage::sqlite::Statement;
using namespace std::chrono_literals;

const auto kNow = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 20000);
const std::string kOld = storage::format_utc_millis(kNow - std::chrono::hours(24 * 100));
const std::string kMid = storage::format_utc_millis(kNow - std::chrono::hours(24 * 50));
const std::string kNew = storage::format_utc_millis(kNow - std::chrono::hours(1));

class PrunerTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto db = open();
        // Old (100 days) in every state, then 50-day-old done, then new done.
        add_request(db, "done", kOld, 3);
        add_request(db, "pending", kOld, 2);
        add_request(db, "processing", kOld, 2);
        add_request(db, "failed", kOld, 2);
        add_request(db, "dead", kOld, 2);
        add_request(db, "done", kMid, 4);  // body goes (> 30 days), report stays (< 90)
        add_request(db, "done", kNew, 1);
        for (const auto& when : {kOld, kOld, kNew}) add_export_run(db, when, 3);
        db.exec(
            "INSERT INTO stock_marks (sku, source, high_water_seq, updated_at) VALUES"
            " ('SKU-1', 'default', 7, '" +
            kOld +
            "');"
            "INSERT INTO magento_outbox (store_code, kind, state, next_attempt_at, created_at,"
            " updated_at) VALUES ('default', 'stock', 'waiting', '" +
            kOld + "', '" + kOld + "', '" + kOld + "'), ('default', 'stock', 'delivered', '" +
            kOld + "', '" + kOld + "', '" + kOld + "')");
    }

    Database open() {
        auto db = storage::open_writable(dir_.file("ofbridge.db"), 0, 5s);
        storage::sqlite::migrate(db, storage::embedded_migrations());
        return db;
    }

    void add_request(Database& db, const std::string& state, const std::string& at, int lines) {
        const auto id = ++requests_;
        Statement(db,
                  "INSERT INTO requests (id, entity, store_code, wire, message_key, body_sha256,"
                  " reply, state, line_count, received_at, last_delivered_at)"
                  " VALUES (?1, 'inventory', 'default', 'm1_soap', ?1, ?1, 'ok', ?2, ?3, ?4, ?4)")
            .bind(1, id)
            .bind(2, state)
            .bind(3, lines)
            .bind(4, at)
            .run();
        Statement(db, "INSERT INTO request_bodies VALUES (?1, '<xml/>')").bind(1, id).run();
        if (state == "pending") return;  // never applied: no report
        Statement(db,
                  "INSERT INTO import_reports (request_id, entity, successes, created_at)"
                  " VALUES (?1, 'inventory', ?2, ?3)")
            .bind(1, id)
            .bind(2, lines)
            .bind(3, at)
            .run();
        const auto report = db.last_insert_rowid();
        for (int line = 1; line <= lines; ++line)
            Statement(db,
                      "INSERT INTO import_lines (report_id, line_no, reference, source, result,"
                      " message) VALUES (?1, ?2, 'SKU-1', 'default', 'Success', '')")
                .bind(1, report)
                .bind(2, line)
                .run();
    }

    void add_export_run(Database& db, const std::string& at, int lines) {
        Statement(db,
                  "INSERT INTO export_runs (store_code, entity, mode, operation, url, started_at,"
                  " finished_at) VALUES ('default', 'product', 'push', 'merge', 'u', ?1, ?1)")
            .bind(1, at)
            .run();
        const auto run = db.last_insert_rowid();
        for (int line = 1; line <= lines; ++line)
            Statement(db,
                      "INSERT INTO export_run_lines (run_id, line_no, reference, result)"
                      " VALUES (?1, ?2, 'SKU-1', 'Success')")
                .bind(1, run)
                .bind(2, line)
                .run();
    }

    static std::int64_t count(Database& db, const std::string& sql) {
        return db.query_int64("SELECT count(*) FROM " + sql);
    }

    // What must be left after a pass with the defaults (30 / 90 days).
    void expect_pruned(Database& db) {
        // Bodies: old done and 50-day done gone; pending, processing, failed, dead, new kept.
        EXPECT_EQ(count(db, "request_bodies WHERE request_id IN (1, 6)"), 0);
        EXPECT_EQ(count(db, "request_bodies WHERE request_id IN (2, 3, 4, 5, 7)"), 5);
        // Requests themselves and their lines all stay.
        EXPECT_EQ(count(db, "requests"), 7);
        // Reports: only the old done one (3 lines) is gone; dead/failed/processing keep theirs.
        EXPECT_EQ(count(db, "import_reports WHERE request_id = 1"), 0);
        EXPECT_EQ(count(db, "import_reports"), 5);
        EXPECT_EQ(count(db, "import_lines"), 2 + 2 + 2 + 4 + 1);
        // Export log: the two old exchanges and their lines.
        EXPECT_EQ(count(db, "export_runs"), 1);
        EXPECT_EQ(count(db, "export_run_lines"), 3);
        EXPECT_EQ(count(db, "sequence_marks"), 1);
        EXPECT_EQ(count(db, "magento_outbox"), 2);
    }

    storage::testing::TempDir dir_;
    std::int64_t requests_ = 0;
};

TEST_F(PrunerTest, DryRunCountsWhatAPassDeletesAndDeletesNothing) {
    auto db = open();
    Pruner dry({}, kNow, true);
    while (!dry.slice(db, {2, std::chrono::steady_clock::now() + 1s})) {
    }
    EXPECT_EQ(count(db, "request_bodies"), 7);
    EXPECT_EQ(count(db, "import_lines"), 14);

    Pruner pass({}, kNow, false);
    std::size_t slices = 0;
    while (!pass.finished()) {
        storage::sqlite::Transaction transaction(db);
        pass.slice(db, {2, std::chrono::steady_clock::now() + 1s});
        transaction.commit();
        ++slices;
    }
    EXPECT_GT(slices, 3u);  // small slices, each its own transaction
    const auto& d = dry.counts();
    const auto& p = pass.counts();
    EXPECT_EQ(d.bodies, 2u);
    EXPECT_EQ(d.import_reports, 1u);
    EXPECT_EQ(d.import_lines, 3u);
    EXPECT_EQ(d.export_runs, 2u);
    EXPECT_EQ(d.export_lines, 6u);
    EXPECT_EQ(p.rows(), d.rows());
    expect_pruned(db);

    Pruner again({}, kNow, false);  // a second pass finds nothing
    storage::sqlite::Transaction transaction(db);
    while (!again.slice(db, {100, std::chrono::steady_clock::now() + 1s})) {
    }
    transaction.commit();
    EXPECT_EQ(again.counts().rows(), 0u);
}

TEST_F(PrunerTest, ZeroDaysKeepsEverything) {
    auto db = open();
    Pruner pass({0, 0, 0}, kNow, false);
    while (!pass.slice(db, {100, std::chrono::steady_clock::now() + 1s})) {
    }
    EXPECT_EQ(pass.counts().rows(), 0u);
    EXPECT_EQ(count(db, "request_bodies"), 7);
    EXPECT_EQ(count(db, "export_runs"), 3);
}

// Through the writer as a sliced job, as `serve` runs it: the new store has incremental vacuum
// and gets its freed pages back.
TEST_F(PrunerTest, RunsAsASlicedJobOnTheWriterAndReturnsSpace) {
    {
        auto db = open();
        EXPECT_TRUE(incremental_vacuum_on(db));
        // Enough old export log to free whole pages.
        const std::string big(2000, 'x');
        for (int i = 0; i < 200; ++i) {
            add_export_run(db, kOld, 1);
            Statement(db, "UPDATE export_runs SET reply_body = ?1 WHERE id = ?2")
                .bind(1, big)
                .bind(2, db.last_insert_rowid())
                .run();
        }
        // The log is in time order: the new exchange of SetUp comes after these.
        db.exec(
            "UPDATE export_runs SET id = 1000 WHERE id = 3;"
            "UPDATE export_run_lines SET run_id = 1000 WHERE run_id = 3");
        db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    storage::WriterOptions options{dir_.file("ofbridge.db")};
    options.synchronous_full = false;
    storage::Writer writer(options);
    auto pruner = std::make_shared<Pruner>(RetentionPolicy{}, kNow, false);
    std::promise<std::error_code> done;
    storage::WriteJob job;
    job.completion = storage::Completion::committed;
    job.run_slice = [pruner](Database& db, std::uint64_t, const storage::SliceBudget& budget) {
        return storage::SliceResult{pruner->slice(db, budget), false};
    };
    job.done = [&done](std::error_code ec) { done.set_value(ec); };
    writer.submit(std::move(job));
    EXPECT_FALSE(done.get_future().get());
    EXPECT_EQ(pruner->counts().export_runs, 202u);
    EXPECT_GT(pruner->counts().vacuumed_pages, 50u);
    EXPECT_GT(writer.stats().slices, 1u);
    writer.close();
    auto db = open();
    expect_pruned(db);
}

}  // namespace
}  // namespace ofbridge::retention
