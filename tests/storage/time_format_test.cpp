// The queue's display timestamps must sort as text and carry milliseconds.
#include "ofbridge/storage/time_format.h"

#include <gtest/gtest.h>

namespace ofbridge::storage {
namespace {

using namespace std::chrono;

TEST(TimeFormat, IsoUtcWithMilliseconds) {
    const system_clock::time_point t{milliseconds(1'795'424'400'123)};  // 2026-11-23T09:00:00.123Z
    EXPECT_EQ(format_utc_millis(t), "2026-11-23T09:00:00.123Z");
    EXPECT_EQ(unix_seconds(t), 1'795'424'400);
}

TEST(TimeFormat, EpochAndBeforeEpoch) {
    EXPECT_EQ(format_utc_millis(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_utc_millis(system_clock::time_point{milliseconds(-1)}),
              "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace ofbridge::storage
