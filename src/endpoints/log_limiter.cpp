// A fixed one-second window per limiter (see log_limiter.h).
#include "ofbridge/endpoints/log_limiter.h"

namespace ofbridge::endpoints {

LogLimiter::LogLimiter(std::size_t lines_per_second, std::function<Clock::time_point()> now)
    : lines_per_second_(lines_per_second), now_(std::move(now)) {}

std::optional<std::size_t> LogLimiter::admit() {
    const auto now = now_();
    std::lock_guard lock(mutex_);
    if (admitted_in_window_ == 0 || now - window_start_ >= std::chrono::seconds(1)) {
        window_start_ = now;
        admitted_in_window_ = 0;
    }
    if (admitted_in_window_ >= lines_per_second_) {
        ++suppressed_;
        return std::nullopt;
    }
    ++admitted_in_window_;
    const auto suppressed = suppressed_;
    suppressed_ = 0;
    return suppressed;
}

}  // namespace ofbridge::endpoints
