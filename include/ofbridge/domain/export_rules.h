// The export's pure rules (DESIGN §5): which orders are eligible, how long a failed export waits
// before its next attempt, and what an attempt's outcome does to the entity's state. No I/O, no
// clock: times are passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ofbridge::domain {

// An order is exported when its status is one of `statuses` (Magento's status label; default
// "processing", i.e. invoiced), it is not virtual (nothing to ship) and it was created at or
// after `min_created_at` ("YYYY-MM-DD HH:MM:SS" UTC, as Magento writes it; "" = no limit).
struct OrderEligibility {
    std::vector<std::string> statuses{"processing"};
    std::string min_created_at;
};

bool order_eligible(const OrderEligibility& rules, std::string_view status, bool is_virtual,
                    std::string_view created_at);

// Capped exponential backoff: the wait before attempt n+1 after n failed attempts (n >= 1) is
// base * 2^(n-1), at most `max`.
std::chrono::milliseconds export_backoff(unsigned failed_attempts, std::chrono::milliseconds base,
                                         std::chrono::milliseconds max);

// What the WMS said about one entity of an exchange.
enum class ExportResult {
    success,    // imported (or notified)
    duplicate,  // it already had it: as good as a success (a re-sent batch stays idempotent)
    failure,    // refused it, with a message
    missing,    // the import report did not mention it
    error,      // the exchange as a whole failed (HTTP error, timeout, error page, ...)
};

std::string_view to_string(ExportResult result);  // "Success", "Duplicate", "Failure", ...

// The status an entity goes to after an attempt: exported on success or duplicate; otherwise
// pending again (retried after export_backoff) until `max_attempts` attempts have failed, then
// failed.
enum class ExportNext { exported, retry, failed };
ExportNext export_next(ExportResult result, unsigned failed_attempts_before, unsigned max_attempts);

// A JSON number as the export writes it: plain decimal, at most 4 decimals (Magento's
// decimal(20,4)), trailing zeros dropped ("34", "40.8", "-0.5"); never exponent notation.
std::string decimal_text(double value);

}  // namespace ofbridge::domain
