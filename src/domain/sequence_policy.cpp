// The inventory staleness rule (DESIGN §3.1). This is the one place that decides whether a stock
// line is applied, ignored as a repeat, or discarded as stale; everything else only records the
// decision. It is pure so that it can be tested exhaustively and so that every worker and every
// broker instance reaches the same answer for the same marks.
#include "ofbridge/domain/sequence_policy.h"

#include <algorithm>
#include <string>
#include <utility>

namespace ofbridge::domain {

std::string_view to_string(LineResult result) {
    switch (result) {
        case LineResult::success:
            return "Success";
        case LineResult::duplicate:
            return "Duplicate";
        case LineResult::superseded:
            return "Superseded";
        case LineResult::failure:
            return "Failure";
    }
    return "Failure";  // unreachable for valid enumerators; keeps -Wreturn-type quiet
}

SequenceOutcome decide_sequences(const std::vector<InventoryLine>& lines,
                                 const std::map<StockKey, std::int64_t>& high_water) {
    SequenceOutcome outcome;
    outcome.decisions.resize(lines.size());

    // Group line indices by key, so that each key is decided on its own: keys never influence
    // each other, and within a key only the seq order matters, not the order in the message.
    std::map<StockKey, std::vector<std::size_t>> lines_by_key;
    for (std::size_t index = 0; index < lines.size(); ++index) {
        lines_by_key[StockKey{lines[index].sku, lines[index].source}].push_back(index);
    }

    for (auto& [key, indices] : lines_by_key) {
        // Highest seq first. Among equal seqs the earliest line in the message comes first, so
        // the choice of which copy is the Success (and which the Duplicates) is deterministic.
        std::stable_sort(indices.begin(), indices.end(), [&lines](std::size_t a, std::size_t b) {
            return lines[a].seq > lines[b].seq;
        });

        const auto existing = high_water.find(key);
        std::optional<std::int64_t> mark;
        if (existing != high_water.end()) mark = existing->second;

        // Apply the single-line rule to each line in descending seq order, carrying the mark.
        // After the first line the mark is max(old mark, highest seq), so every later line of
        // this key is either equal to it (Duplicate) or below it (Superseded by the winner).
        for (const std::size_t index : indices) {
            const std::int64_t seq = lines[index].seq;
            SequenceDecision& decision = outcome.decisions[index];
            if (!mark || seq > *mark) {
                decision.result = LineResult::success;
                decision.high_water = seq;
                mark = seq;
                outcome.new_high_water[key] = seq;
                outcome.applied_line[key] = index;
            } else if (seq == *mark) {
                decision.result = LineResult::duplicate;
                decision.high_water = seq;
            } else {
                decision.result = LineResult::superseded;
                decision.high_water = *mark;
            }
        }
    }
    return outcome;
}

// Failure messages are specific to what failed (missing seq, unknown SKU, ...), which only the
// caller knows; for LineResult::failure this returns an empty string and the caller supplies
// its own text.
std::string sequence_message(LineResult result, std::int64_t qty, std::int64_t high_water) {
    switch (result) {
        case LineResult::success:
            return "Product quantity updated to " + std::to_string(qty) + ".";
        case LineResult::duplicate:
            return "Duplicate Inventory Request Ignored.";
        case LineResult::superseded:
            // No trailing period: the wording is the one the WMS operators already know.
            return "Product quantity update to " + std::to_string(qty) +
                   " discarded as already superseded by inventory record " +
                   std::to_string(high_water);
        case LineResult::failure:
            return {};
    }
    return {};
}

}  // namespace ofbridge::domain
