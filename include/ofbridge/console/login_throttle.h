// Login rate limit (DESIGN §4.3): failed logins are counted per remote address and per user
// name. The first kFreeFailures of either cost nothing; after that each attempt must wait
// 2^(failures - kFreeFailures) seconds after the last failure, up to kMaxDelay, and an attempt
// made earlier is refused without checking the password (so guessing costs the guesser time,
// not the broker Argon2 work). A success clears the user's and the address's count. Counts live
// in memory (a restart forgets them) and are bounded: beyond kMaxKeys, counts older than
// kMaxDelay are forgotten first, then the oldest. Clock passed in; thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace ofbridge::console {

class LoginThrottle {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr unsigned kFreeFailures = 3;
    static constexpr std::chrono::seconds kMaxDelay{15 * 60};
    static constexpr std::size_t kMaxKeys = 10'000;

    // How long an attempt from `address` for `user` must still wait; zero = check it now.
    std::chrono::seconds wait(const std::string& address, const std::string& user,
                              Clock::time_point now) const;
    void failed(const std::string& address, const std::string& user, Clock::time_point now);
    void succeeded(const std::string& address, const std::string& user);

private:
    struct Failures {
        unsigned count = 0;
        Clock::time_point last{};
    };
    std::chrono::seconds wait_for(const std::string& key, Clock::time_point now) const;
    void count(const std::string& key, Clock::time_point now);

    mutable std::mutex mutex_;
    std::map<std::string, Failures> failures_;
};

}  // namespace ofbridge::console
