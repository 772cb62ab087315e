#include "ofbridge/console/login_throttle.h"

#include <algorithm>

namespace ofbridge::console {
namespace {
std::string address_key(const std::string& address) {
    return "a:" + address;
}
std::string user_key(const std::string& user) {
    return "u:" + user;
}
}  // namespace

std::chrono::seconds LoginThrottle::wait_for(const std::string& key, Clock::time_point now) const {
    auto it = failures_.find(key);
    if (it == failures_.end() || it->second.count < kFreeFailures) return std::chrono::seconds{0};
    const unsigned doublings = std::min(it->second.count - kFreeFailures, 20u);
    const auto delay =
        std::min<std::chrono::seconds>(std::chrono::seconds{1LL << doublings}, kMaxDelay);
    const auto ready = it->second.last + delay;
    if (now >= ready) return std::chrono::seconds{0};
    return std::chrono::ceil<std::chrono::seconds>(ready - now);
}

std::chrono::seconds LoginThrottle::wait(const std::string& address, const std::string& user,
                                         Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    return std::max(wait_for(address_key(address), now), wait_for(user_key(user), now));
}

void LoginThrottle::count(const std::string& key, Clock::time_point now) {
    if (failures_.size() >= kMaxKeys && !failures_.contains(key)) {
        std::erase_if(failures_,
                      [&](const auto& entry) { return now - entry.second.last > kMaxDelay; });
        if (failures_.size() >= kMaxKeys)
            failures_.erase(std::min_element(
                failures_.begin(), failures_.end(),
                [](const auto& a, const auto& b) { return a.second.last < b.second.last; }));
    }
    auto& entry = failures_[key];
    ++entry.count;
    entry.last = now;
}

void LoginThrottle::failed(const std::string& address, const std::string& user,
                           Clock::time_point now) {
    std::lock_guard lock(mutex_);
    count(address_key(address), now);
    count(user_key(user), now);
}

void LoginThrottle::succeeded(const std::string& address, const std::string& user) {
    std::lock_guard lock(mutex_);
    failures_.erase(address_key(address));
    failures_.erase(user_key(user));
}

}  // namespace ofbridge::console
