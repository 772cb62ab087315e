// Lines the rules refuse (DESIGN §2.3, §3.1): validated at receipt into lines that carry their
// reason, stored, then reported by the worker as Failure lines while the rest of the message is
// applied. Fed through domain::validate and the real RequestStore, as ingest feeds them.
#include <gtest/gtest.h>

#include <array>

#include "ofbridge/domain/validation.h"
#include "ofbridge/imports/import_reader.h"
#include "ofbridge/worker/request_processor.h"
#include "worker_fixtures.h"

namespace ofbridge::worker {
namespace {

using testing::query_int;
using testing::TempDir;
using testing::TestClock;

class InventoryFailuresTest : public ::testing::Test {
protected:
    std::filesystem::path path() const { return dir.file("broker.db"); }

    // Validates an M1 message of (sku, qty, seq) items, stores it and applies it.
    imports::ImportReport apply(std::vector<std::array<std::string, 3>> items) {
        domain::WireInventoryUpdate wire;
        for (const auto& [sku, qty, seq] : items) {
            wire.qtys.push_back({sku, qty, std::nullopt, std::nullopt});
            if (!seq.empty()) wire.seqs.push_back({sku, seq, std::nullopt});
        }
        wire.message_seq_id = std::to_string(++messages);
        auto validated = domain::validate(wire, domain::Limits{});
        if (auto* e = std::get_if<domain::ValidationError>(&validated))
            throw std::runtime_error("faulted: " + e->message);
        queue.add_m1(wire, std::get<domain::InventoryUpdate>(std::move(validated)));
        RequestProcessor p(testing::options_for(path(), &clock), "test/1");
        const auto outcomes = p.apply(p.claim(10).requests);
        EXPECT_EQ(outcomes.at(0).state, "done");
        return *imports::ImportReader(path()).get_import(outcomes.at(0).report_id);
    }

    TempDir dir;
    TestClock clock;
    testing::Queue queue{path()};
    int messages = 0;
};

TEST_F(InventoryFailuresTest, RefusedLinesAreFailureLinesAndTheRestIsApplied) {
    const auto r = apply({{"GOOD", "5", "10"},
                          {"NOSEQ", "1", ""},
                          {"ZERO", "1", "0"},
                          {"BIG", "2000000000", "7"},
                          {"ALSO", "6", "11"}});
    EXPECT_EQ(r.summary.successes, 2);
    EXPECT_EQ(r.summary.failures, 3);
    ASSERT_EQ(r.lines.size(), 5u);
    std::vector<std::string> results;
    for (const auto& l : r.lines) results.push_back(l.result);
    EXPECT_EQ(results,
              (std::vector<std::string>{"Success", "Failure", "Failure", "Failure", "Success"}));
    EXPECT_EQ(r.lines[1].message, "SKU 'NOSEQ': skusQty item has no matching skusSeqId item");
    EXPECT_EQ(r.lines[1].sequence_id, std::nullopt);
    EXPECT_EQ(r.lines[2].message,
              "skusSeqId/item[2]/value (SKU 'ZERO'): 0 is out of range [1, 9223372036854775807]");
    EXPECT_EQ(r.lines[2].sequence_id, std::nullopt);
    EXPECT_EQ(r.lines[3].message,
              "skusQty/item[4]/value (SKU 'BIG'): 2000000000 is out of range "
              "[-1000000000, 1000000000]");
    EXPECT_EQ(r.lines[3].sequence_id, 7);
    for (std::size_t i = 1; i <= 3; ++i) {
        EXPECT_EQ(r.lines[i].units_received, std::nullopt) << i;
        EXPECT_EQ(r.lines[i].final_qty, std::nullopt) << i;
    }
    EXPECT_EQ(r.lines[0].final_qty, 5);
    EXPECT_EQ(r.lines[4].final_qty, 6);
    // Refused lines change nothing: no stock row, no mark.
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM stock_levels"), 2);
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM sequence_marks"), 2);
}

TEST_F(InventoryFailuresTest, ARefusedLineDoesNotRaiseItsKeysMark) {
    // BIG's seq 7 came with a qty out of range: a later record with seq 5 still applies.
    apply({{"BIG", "2000000000", "7"}});
    const auto r = apply({{"BIG", "4", "5"}});
    EXPECT_EQ(r.lines.at(0).result, "Success");
    EXPECT_EQ(r.lines.at(0).final_qty, 4);
}

TEST_F(InventoryFailuresTest, ASeqItemWithoutAQtyItemIsAFailureLine) {
    domain::WireInventoryUpdate wire;
    wire.qtys = {{"A", "3", std::nullopt, std::nullopt}};
    wire.seqs = {{"A", "1", std::nullopt}, {"Z", "9", std::nullopt}};
    wire.message_seq_id = "1";
    queue.add_m1(wire, std::get<domain::InventoryUpdate>(domain::validate(wire, domain::Limits{})));
    RequestProcessor p(testing::options_for(path(), &clock), "test/1");
    const auto outcomes = p.apply(p.claim(10).requests);
    const auto r = *imports::ImportReader(path()).get_import(outcomes.at(0).report_id);
    ASSERT_EQ(r.lines.size(), 2u);
    EXPECT_EQ(r.lines[0].result, "Success");
    EXPECT_EQ(r.lines[1].reference, "Z");
    EXPECT_EQ(r.lines[1].result, "Failure");
    EXPECT_EQ(r.lines[1].sequence_id, 9);
    EXPECT_EQ(r.lines[1].message, "SKU 'Z': skusSeqId item has no matching skusQty item");
    EXPECT_EQ(query_int(path(), "SELECT count(*) FROM sequence_marks WHERE sku = 'Z'"), 0);
}

}  // namespace
}  // namespace ofbridge::worker
