// The pull's UTC timestamps: Magento's "YYYY-MM-DD HH:MM:SS" both ways, and what --since takes.
#include <gtest/gtest.h>

#include <chrono>

#include "ofbridge/magento/pull.h"

namespace ofbridge::magento {
namespace {

TEST(PullTime, FormatsInUtcAndParsesBack) {
    const auto t = std::chrono::system_clock::from_time_t(1'764'320'400);  // 2025-11-28 09:00:00Z
    EXPECT_EQ(magento_time(t), "2025-11-28 09:00:00");
    EXPECT_EQ(parse_magento_time("2025-11-28 09:00:00"), t);
    EXPECT_EQ(parse_magento_time("2025-11-28T09:00:00"), t);
    EXPECT_EQ(magento_time(*parse_magento_time("2025-11-28")), "2025-11-28 00:00:00");
}

TEST(PullTime, RefusesWhatIsNotATimestamp) {
    for (const char* bad : {"", "yesterday", "2025-13-01", "2025-11-28 24:00:00",
                            "2025-11-28 09:00:00Z", "2025-11-28 09:00:00+01:00", "2025-11-2"})
        EXPECT_FALSE(parse_magento_time(bad)) << bad;
}

}  // namespace
}  // namespace ofbridge::magento
