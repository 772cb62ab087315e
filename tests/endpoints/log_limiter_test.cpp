// LogLimiter on a hand-driven clock: N lines per second, then a count of what was suppressed.
#include "ofbridge/endpoints/log_limiter.h"

#include <gtest/gtest.h>

namespace ofbridge::endpoints {
namespace {

TEST(LogLimiter, AdmitsNPerSecondAndCountsTheRest) {
    LogLimiter::Clock::time_point now{};
    LogLimiter limiter(3, [&now] { return now; });
    for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.admit(), std::optional<std::size_t>{0});
    for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.admit(), std::nullopt);
    now += std::chrono::milliseconds(999);
    EXPECT_EQ(limiter.admit(), std::nullopt);
    now += std::chrono::milliseconds(1);
    EXPECT_EQ(limiter.admit(), std::optional<std::size_t>{6});  // the first line of a new second
    EXPECT_EQ(limiter.admit(), std::optional<std::size_t>{0});
}

}  // namespace
}  // namespace ofbridge::endpoints
