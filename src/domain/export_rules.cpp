// The export's pure rules (see export_rules.h).
#include "ofbridge/domain/export_rules.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ofbridge::domain {

bool order_eligible(const OrderEligibility& rules, std::string_view status, bool is_virtual,
                    std::string_view created_at) {
    if (is_virtual) return false;
    // Magento's "YYYY-MM-DD HH:MM:SS" in UTC: text order is time order.
    if (!rules.min_created_at.empty() && created_at < rules.min_created_at) return false;
    return std::find(rules.statuses.begin(), rules.statuses.end(), status) != rules.statuses.end();
}

std::chrono::milliseconds export_backoff(unsigned failed_attempts, std::chrono::milliseconds base,
                                         std::chrono::milliseconds max) {
    if (failed_attempts == 0 || base.count() <= 0) return std::chrono::milliseconds{0};
    auto wait = base;
    for (unsigned i = 1; i < failed_attempts && wait < max; ++i) wait *= 2;
    return std::min(wait, max);
}

std::string_view to_string(ExportResult result) {
    switch (result) {
        case ExportResult::success:
            return "Success";
        case ExportResult::duplicate:
            return "Duplicate";
        case ExportResult::failure:
            return "Failure";
        case ExportResult::missing:
            return "Missing";
        case ExportResult::error:
            return "Error";
    }
    return "Error";
}

ExportNext export_next(ExportResult result, unsigned failed_attempts_before,
                       unsigned max_attempts) {
    if (result == ExportResult::success || result == ExportResult::duplicate)
        return ExportNext::exported;
    return failed_attempts_before + 1 >= max_attempts ? ExportNext::failed : ExportNext::retry;
}

std::string decimal_text(double value) {
    if (!std::isfinite(value)) return "0";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.4f", value);
    std::string text(buffer);
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    if (text == "-0") text = "0";
    return text;
}

}  // namespace ofbridge::domain
