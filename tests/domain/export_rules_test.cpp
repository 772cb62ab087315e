// The export's pure rules: order eligibility, capped backoff, the next status after an attempt.
#include "ofbridge/domain/export_rules.h"

#include <gtest/gtest.h>

namespace ofbridge::domain {
namespace {

using std::chrono::milliseconds;

TEST(ExportRules, OrderEligibleByStatusVirtualAndCreationTime) {
    OrderEligibility rules;  // processing, no time limit
    EXPECT_TRUE(order_eligible(rules, "processing", false, "2026-01-01 00:00:00"));
    EXPECT_FALSE(order_eligible(rules, "pending", false, "2026-01-01 00:00:00"));
    EXPECT_FALSE(order_eligible(rules, "processing", true, "2026-01-01 00:00:00"));
    rules.min_created_at = "2026-01-01 00:00:00";
    EXPECT_TRUE(order_eligible(rules, "processing", false, "2026-01-01 00:00:00")) << "at = after";
    EXPECT_FALSE(order_eligible(rules, "processing", false, "2025-12-31 23:59:59"));
    rules.statuses = {"processing", "complete"};
    EXPECT_TRUE(order_eligible(rules, "complete", false, "2026-02-01 00:00:00"));
}

TEST(ExportRules, BackoffDoublesAndIsCapped) {
    EXPECT_EQ(export_backoff(0, milliseconds{100}, milliseconds{1000}), milliseconds{0});
    EXPECT_EQ(export_backoff(1, milliseconds{100}, milliseconds{1000}), milliseconds{100});
    EXPECT_EQ(export_backoff(2, milliseconds{100}, milliseconds{1000}), milliseconds{200});
    EXPECT_EQ(export_backoff(4, milliseconds{100}, milliseconds{1000}), milliseconds{800});
    EXPECT_EQ(export_backoff(5, milliseconds{100}, milliseconds{1000}), milliseconds{1000});
    EXPECT_EQ(export_backoff(4000, milliseconds{100}, milliseconds{1000}), milliseconds{1000});
}

TEST(ExportRules, DuplicateIsExportedFailuresRetryUntilMaxAttempts) {
    EXPECT_EQ(export_next(ExportResult::success, 3, 8), ExportNext::exported);
    EXPECT_EQ(export_next(ExportResult::duplicate, 0, 8), ExportNext::exported);
    EXPECT_EQ(export_next(ExportResult::failure, 0, 8), ExportNext::retry);
    EXPECT_EQ(export_next(ExportResult::missing, 6, 8), ExportNext::retry);
    EXPECT_EQ(export_next(ExportResult::error, 7, 8), ExportNext::failed);
    EXPECT_EQ(export_next(ExportResult::failure, 0, 1), ExportNext::failed);
}

TEST(ExportRules, DecimalTextIsPlain) {
    EXPECT_EQ(decimal_text(34.0), "34");
    EXPECT_EQ(decimal_text(40.8), "40.8");
    EXPECT_EQ(decimal_text(0.12345), "0.1235");
    EXPECT_EQ(decimal_text(1e20), "100000000000000000000");
    EXPECT_EQ(decimal_text(-0.00001), "0");
}

}  // namespace
}  // namespace ofbridge::domain
