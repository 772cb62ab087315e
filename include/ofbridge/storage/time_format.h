// The database's two time representations, in one place so every table agrees: ISO-8601 UTC text
// with milliseconds for columns people read ("2026-11-23T09:00:00.123Z"), unix seconds for
// columns SQL compares (expires_at, lease_expires_at, next_attempt_at).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ofbridge::storage {

std::string format_utc_millis(std::chrono::system_clock::time_point t);

inline std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace ofbridge::storage
