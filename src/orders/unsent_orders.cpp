// UnsentOrderCounter and normalise_order_time (see unsent_orders.h): one prepared statement per
// connection, run for every applied stock line inside the apply transaction.
#include "ofbridge/orders/unsent_orders.h"

#include <algorithm>
#include <cstdio>

namespace ofbridge::orders {
namespace {

using SystemClock = std::chrono::system_clock;

// Reads exactly `digits` decimal digits at `pos`; advances `pos`.
std::optional<int> read_number(std::string_view text, std::size_t& pos, std::size_t digits) {
    if (pos + digits > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        const char c = text[pos + i];
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    pos += digits;
    return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
    if (pos >= text.size() || text[pos] != c) return false;
    ++pos;
    return true;
}

std::string format_order_time(SystemClock::time_point t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t - day)};
    char out[32];
    std::snprintf(out, sizeof out, "%04d-%02u-%02u %02ld:%02ld:%02ld", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                  static_cast<long>(hms.seconds().count()));
    return out;
}

// Parameters ?3.. are the statuses, so the list is bound, never spliced into the SQL.
std::string count_sql(std::size_t status_count) {
    std::string in;
    for (std::size_t i = 0; i < status_count; ++i) {
        if (i) in += ", ";
        in += "?" + std::to_string(i + 4);
    }
    return "SELECT coalesce(sum(max(i.qty_ordered - i.qty_shipped - i.qty_canceled, 0)), 0)"
           " FROM order_items i JOIN orders o ON o.id = i.order_id"
           " WHERE i.sku = ?1"
           " AND o.export_status <> 'exported' AND o.export_status <> 'cancelled'"
           " AND o.created_at >= ?2"
           " AND (?3 IS NULL OR o.created_at > ?3)"
           " AND o.status IN (" +
           in +
           ")"
           " AND NOT EXISTS (SELECT 1 FROM order_items c"
           " WHERE c.order_id = i.order_id AND c.parent_item_id = i.item_id)";
}

}  // namespace

std::optional<std::string> normalise_order_time(std::string_view text) {
    std::size_t pos = 0;
    const auto year = read_number(text, pos, 4);
    if (!year || !expect(text, pos, '-')) return std::nullopt;
    const auto month = read_number(text, pos, 2);
    if (!month || !expect(text, pos, '-')) return std::nullopt;
    const auto day = read_number(text, pos, 2);
    if (!day) return std::nullopt;
    int hour = 0, minute = 0, second = 0;
    if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
        ++pos;
        const auto h = read_number(text, pos, 2);
        if (!h || !expect(text, pos, ':')) return std::nullopt;
        const auto m = read_number(text, pos, 2);
        if (!m || !expect(text, pos, ':')) return std::nullopt;
        const auto s = read_number(text, pos, 2);
        if (!s) return std::nullopt;
        hour = *h;
        minute = *m;
        second = *s;
        if (pos < text.size() && text[pos] == '.') {
            ++pos;
            const auto digits_start = pos;
            while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
            if (pos == digits_start) return std::nullopt;
        }
    }
    int offset_minutes = 0;
    if (pos < text.size() && text[pos] == 'Z') {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        const auto oh = read_number(text, pos, 2);
        if (!oh) return std::nullopt;
        expect(text, pos, ':');
        const auto om = read_number(text, pos, 2);
        if (!om || *oh > 23 || *om > 59) return std::nullopt;
        offset_minutes = sign * (*oh * 60 + *om);
    }
    if (pos != text.size()) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year{*year},
                                          std::chrono::month{static_cast<unsigned>(*month)},
                                          std::chrono::day{static_cast<unsigned>(*day)}};
    if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    // A local time with offset +01:00 is one hour ahead of UTC: UTC = local - offset.
    const auto local = std::chrono::sys_days{ymd} + std::chrono::hours{hour} +
                       std::chrono::minutes{minute} + std::chrono::seconds{second};
    return format_order_time(local - std::chrono::minutes{offset_minutes});
}

UnsentOrderCounter::UnsentOrderCounter(storage::sqlite::Database& db, std::chrono::days cutoff,
                                       std::vector<std::string> statuses)
    : cutoff_(cutoff), statuses_(std::move(statuses)), count_(db, count_sql(statuses_.size())) {}

std::int64_t UnsentOrderCounter::units(std::string_view sku, std::string_view last_order_exported,
                                       SystemClock::time_point now) {
    auto& s = count_;
    storage::sqlite::ResetOnExit reset(s);
    const std::string since = format_order_time(now - cutoff_);
    const auto after =
        last_order_exported.empty() ? std::nullopt : normalise_order_time(last_order_exported);
    s.bind_no_copy(1, sku).bind_no_copy(2, since);
    if (after)
        s.bind_no_copy(3, *after);
    else
        s.bind_null(3);
    for (std::size_t i = 0; i < statuses_.size(); ++i)
        s.bind_no_copy(static_cast<int>(i + 4), statuses_[i]);
    if (!s.step()) return 0;
    return std::max<std::int64_t>(s.column_int64(0), 0);
}

}  // namespace ofbridge::orders
