// ISO-8601 formatting for display timestamps (see time_format.h).
#include "ofbridge/storage/time_format.h"

#include <cstdio>
#include <ctime>

namespace ofbridge::storage {

std::string format_utc_millis(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms_since_epoch = duration_cast<milliseconds>(t.time_since_epoch()).count();
    // Floor division so instants before 1970 still get a non-negative millisecond part.
    auto seconds = ms_since_epoch / 1000;
    auto millis = ms_since_epoch % 1000;
    if (millis < 0) {
        millis += 1000;
        seconds -= 1;
    }
    const std::time_t tt = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buffer[80];  // room for any int fields, so the compiler can prove no truncation
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(millis));
    return buffer;
}

}  // namespace ofbridge::storage
