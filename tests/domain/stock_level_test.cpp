// Tests for the stock level arithmetic (DESIGN §3.2): the adjustment for unsent orders, the
// clamp at zero, the in-stock flag, and that extreme values saturate instead of overflowing.
#include "ofbridge/domain/stock_level.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

using namespace ofbridge::domain;

namespace {

constexpr std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t highest = std::numeric_limits<std::int64_t>::max();

void expect_level(const StockLevel& level, std::int64_t received, std::int64_t adjustment,
                  std::int64_t final_qty, bool in_stock) {
    EXPECT_EQ(level.units_received, received);
    EXPECT_EQ(level.unsent_orders_adjustment, adjustment);
    EXPECT_EQ(level.final_qty, final_qty);
    EXPECT_EQ(level.is_in_stock, in_stock);
}

}  // namespace

TEST(StockLevel, NoAdjustmentKeepsUnitsReceived) {
    expect_level(compute_stock_level(10, 0, false), 10, 0, 10, true);
    expect_level(compute_stock_level(10, 0, true), 10, 0, 10, true);
}

TEST(StockLevel, UnsentOrderUnitsAreSubtracted) {
    expect_level(compute_stock_level(10, 3, false), 10, 3, 7, true);
}

TEST(StockLevel, ExactlyZeroIsOutOfStock) {
    expect_level(compute_stock_level(5, 5, false), 5, 5, 0, false);
    expect_level(compute_stock_level(0, 0, false), 0, 0, 0, false);
    expect_level(compute_stock_level(0, 0, true), 0, 0, 0, false);
}

TEST(StockLevel, OneUnitIsInStock) {
    expect_level(compute_stock_level(1, 0, false), 1, 0, 1, true);
    expect_level(compute_stock_level(6, 5, false), 6, 5, 1, true);
}

TEST(StockLevel, NegativeResultClampsToZeroByDefault) {
    // The adjustment is still reported in full: it is what the orders account for.
    expect_level(compute_stock_level(3, 5, false), 3, 5, 0, false);
}

TEST(StockLevel, NegativeResultKeptWhenAllowed) {
    expect_level(compute_stock_level(3, 5, true), 3, 5, -2, false);
}

TEST(StockLevel, NegativeUnitsReceived) {
    expect_level(compute_stock_level(-4, 0, false), -4, 0, 0, false);
    expect_level(compute_stock_level(-4, 0, true), -4, 0, -4, false);
    expect_level(compute_stock_level(-4, 2, true), -4, 2, -6, false);
}

TEST(StockLevel, NegativeUnsentOrderUnitsAreIgnored) {
    // A negative count would add stock; the adjustment only ever subtracts.
    expect_level(compute_stock_level(10, -3, false), 10, 0, 10, true);
    expect_level(compute_stock_level(10, lowest, true), 10, 0, 10, true);
}

TEST(StockLevel, LargestValuesDoNotOverflow) {
    expect_level(compute_stock_level(highest, 0, false), highest, 0, highest, true);
    expect_level(compute_stock_level(highest, highest, false), highest, highest, 0, false);
    expect_level(compute_stock_level(0, highest, true), 0, highest, -highest, false);
    expect_level(compute_stock_level(0, highest, false), 0, highest, 0, false);
}

TEST(StockLevel, SubtractionSaturatesAtTheLowestValue) {
    // Only the room above INT64_MIN is subtracted, so received - adjustment stays exact.
    expect_level(compute_stock_level(lowest + 1, 5, true), lowest + 1, 1, lowest, false);
    expect_level(compute_stock_level(lowest, highest, true), lowest, 0, lowest, false);
    expect_level(compute_stock_level(-1, highest, true), -1, highest, lowest, false);
    expect_level(compute_stock_level(-2, highest, true), -2, highest - 1, lowest, false);
    expect_level(compute_stock_level(lowest, highest, false), lowest, 0, 0, false);
}

TEST(StockLevel, InvariantsOverAGridOfValues) {
    const std::int64_t values[] = {lowest, lowest + 1, -1000, -1,          0,      1,
                                   2,      999,        1000,  highest - 1, highest};
    for (const std::int64_t received : values) {
        for (const std::int64_t unsent : values) {
            for (const bool allow_negative : {false, true}) {
                SCOPED_TRACE(testing::Message() << received << " - " << unsent
                                                << (allow_negative ? " (negative ok)" : ""));
                const StockLevel level = compute_stock_level(received, unsent, allow_negative);
                EXPECT_EQ(level.units_received, received);
                EXPECT_GE(level.unsent_orders_adjustment, 0);
                EXPECT_LE(level.unsent_orders_adjustment, unsent < 0 ? 0 : unsent);
                // Saturation can only bite when the received figure is already negative.
                if (received >= 0) {
                    EXPECT_EQ(level.unsent_orders_adjustment, unsent < 0 ? 0 : unsent);
                }
                const std::int64_t unclamped = received - level.unsent_orders_adjustment;
                EXPECT_LE(level.final_qty, received < 0 ? 0 : received);
                if (allow_negative || unclamped >= 0) {
                    EXPECT_EQ(level.final_qty, unclamped);
                } else {
                    EXPECT_EQ(level.final_qty, 0);
                }
                EXPECT_EQ(level.is_in_stock, level.final_qty > 0);
                if (!allow_negative) {
                    EXPECT_GE(level.final_qty, 0);
                }
            }
        }
    }
}
