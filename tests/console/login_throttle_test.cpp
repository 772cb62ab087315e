#include "ofbridge/console/login_throttle.h"

#include <gtest/gtest.h>

namespace ofbridge::console {
namespace {

using std::chrono::seconds;

TEST(LoginThrottle, DelaysGrowAfterTheFreeFailuresPerAddressAndPerUser) {
    LoginThrottle throttle;
    const LoginThrottle::Clock::time_point t0{};
    for (unsigned i = 0; i < LoginThrottle::kFreeFailures; ++i) {
        EXPECT_EQ(throttle.wait("10.0.0.1", "alice", t0), seconds{0});
        throttle.failed("10.0.0.1", "alice", t0);
    }
    EXPECT_EQ(throttle.wait("10.0.0.1", "alice", t0), seconds{1});
    // The same user from elsewhere, and another user from the same address, wait as well.
    EXPECT_EQ(throttle.wait("10.0.0.2", "alice", t0), seconds{1});
    EXPECT_EQ(throttle.wait("10.0.0.1", "bob", t0), seconds{1});
    EXPECT_EQ(throttle.wait("10.0.0.2", "bob", t0), seconds{0});

    throttle.failed("10.0.0.1", "alice", t0 + seconds{1});
    EXPECT_EQ(throttle.wait("10.0.0.1", "alice", t0 + seconds{1}), seconds{2});
    throttle.failed("10.0.0.1", "alice", t0 + seconds{3});
    EXPECT_EQ(throttle.wait("10.0.0.1", "alice", t0 + seconds{3}), seconds{4});
    EXPECT_EQ(throttle.wait("10.0.0.1", "alice", t0 + seconds{7}), seconds{0});
    for (int i = 0; i < 40; ++i) throttle.failed("10.0.0.1", "alice", t0 + seconds{7});
    EXPECT_EQ(throttle.wait("10.0.0.1", "alice", t0 + seconds{7}), LoginThrottle::kMaxDelay);

    throttle.succeeded("10.0.0.1", "alice");
    EXPECT_EQ(throttle.wait("10.0.0.1", "alice", t0 + seconds{7}), seconds{0});
}

TEST(LoginThrottle, MemoryIsBounded) {
    LoginThrottle throttle;
    const LoginThrottle::Clock::time_point t0{};
    for (std::size_t i = 0; i < LoginThrottle::kMaxKeys; ++i)
        throttle.failed("addr" + std::to_string(i), "user", t0 + seconds{i});
    // Still counting, and the newest keys are kept.
    for (unsigned i = 0; i < LoginThrottle::kFreeFailures; ++i)
        throttle.failed("fresh", "other", t0 + seconds{LoginThrottle::kMaxKeys});
    EXPECT_GT(throttle.wait("fresh", "other", t0 + seconds{LoginThrottle::kMaxKeys}), seconds{0});
}

}  // namespace
}  // namespace ofbridge::console
