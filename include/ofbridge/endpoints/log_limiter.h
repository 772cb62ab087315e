// At most N log lines per second for one kind of event, so a client sending garbage in a loop
// cannot flood the log (or the disk under it). The lines dropped in a second are not lost
// silently: the next line let through says how many were suppressed.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>

namespace ofbridge::endpoints {

class LogLimiter {
public:
    using Clock = std::chrono::steady_clock;

    explicit LogLimiter(std::size_t lines_per_second,
                        std::function<Clock::time_point()> now = Clock::now);

    // nullopt: drop this line. Otherwise log it, with the number of lines suppressed since the
    // last one let through (0 = none). Thread-safe.
    std::optional<std::size_t> admit();

private:
    const std::size_t lines_per_second_;
    const std::function<Clock::time_point()> now_;
    std::mutex mutex_;
    Clock::time_point window_start_{};
    std::size_t admitted_in_window_ = 0;
    std::size_t suppressed_ = 0;
};

}  // namespace ofbridge::endpoints
