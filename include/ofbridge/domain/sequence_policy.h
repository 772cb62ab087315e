// The inventory staleness rule (DESIGN §3.1), as one pure function: no I/O, no clock.
//
// Every (sku, source) key has a high-water mark: the largest sequence id applied for it. A
// line with sequence s against a mark h is
//   s > h (or no mark yet) -> Success     (apply; the mark becomes s)
//   s = h                  -> Duplicate   ("Duplicate Inventory Request Ignored.")
//   s < h                  -> Superseded  ("Product quantity update to Q discarded as already
//                                           superseded by inventory record H")
// Lines of one message that share a key are decided from the highest sequence down, so within
// a message the newest record wins and the older ones are Superseded by it (a repeat of the
// same sequence is a Duplicate). The result is the same whatever order messages arrive in.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ofbridge/domain/messages.h"

namespace ofbridge::domain {

enum class LineResult { success, duplicate, superseded, failure };

std::string_view to_string(LineResult result);  // "Success", "Duplicate", "Superseded", "Failure"

struct StockKey {
    std::string sku;
    std::string source;
    auto operator<=>(const StockKey&) const = default;
};

struct SequenceDecision {
    LineResult result = LineResult::success;
    std::int64_t high_water = 0;  // the mark the line was compared with after deciding it:
                                  // its own seq for Success/Duplicate, the winner's for Superseded
};

struct SequenceOutcome {
    std::vector<SequenceDecision> decisions;          // one per input line, in input order
    std::map<StockKey, std::int64_t> new_high_water;  // keys whose mark moved up, new value
    std::map<StockKey, std::size_t> applied_line;     // key -> index of the line that applies
};

// `lines` are the message's lines (all valid: Failure lines are decided by the caller and not
// passed in); `high_water` holds the current mark of each key that has one.
SequenceOutcome decide_sequences(const std::vector<InventoryLine>& lines,
                                 const std::map<StockKey, std::int64_t>& high_water);

// The import-report message for a decided line; `qty` is the units the line carried.
std::string sequence_message(LineResult result, std::int64_t qty, std::int64_t high_water);

}  // namespace ofbridge::domain
