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

namespace {

// Orders line indices by key (the order of StockKey, so also of the marks map), then highest
// seq first; among equal seqs the earliest line in the message comes first, so the choice of
// which copy is the Success (and which the Duplicates) is deterministic.
struct KeyThenNewestFirst {
    const std::vector<InventoryLine>& lines;
    bool operator()(std::size_t a, std::size_t b) const {
        const auto& x = lines[a];
        const auto& y = lines[b];
        if (const int c = x.sku.compare(y.sku); c != 0) return c < 0;
        if (const int c = x.source.compare(y.source); c != 0) return c < 0;
        if (x.seq != y.seq) return x.seq > y.seq;
        return a < b;
    }
};

bool same_key(const InventoryLine& a, const InventoryLine& b) {
    return a.sku == b.sku && a.source == b.source;
}

// `key` < `line`'s key, in StockKey order.
bool key_before(const StockKey& key, const InventoryLine& line) {
    if (const int c = key.sku.compare(line.sku); c != 0) return c < 0;
    return key.source < line.source;
}

}  // namespace

SequenceOutcome decide_sequences(const std::vector<InventoryLine>& lines,
                                 const std::map<StockKey, std::int64_t>& high_water) {
    SequenceOutcome outcome;
    outcome.decisions.resize(lines.size());

    // Each key is decided on its own: keys never influence each other, and within a key only
    // the seq order matters, not the order in the message. Sorting the indices once groups
    // the keys (no container per key), and since the groups come in key order the marks are
    // read by walking the map alongside them instead of searching it per key.
    std::vector<std::size_t> order(lines.size());
    for (std::size_t index = 0; index < order.size(); ++index) order[index] = index;
    std::sort(order.begin(), order.end(), KeyThenNewestFirst{lines});

    auto next_mark = high_water.begin();
    for (std::size_t group = 0; group < order.size();) {
        const InventoryLine& newest = lines[order[group]];
        std::size_t group_end = group + 1;
        while (group_end < order.size() && same_key(lines[order[group_end]], newest)) ++group_end;

        while (next_mark != high_water.end() && key_before(next_mark->first, newest)) ++next_mark;
        std::optional<std::int64_t> mark;
        if (next_mark != high_water.end() && next_mark->first.sku == newest.sku &&
            next_mark->first.source == newest.source)
            mark = next_mark->second;

        // Apply the single-line rule to each line in descending seq order, carrying the mark.
        // After the first line the mark is max(old mark, highest seq), so every later line of
        // this key is either equal to it (Duplicate) or below it (Superseded by the winner):
        // only the newest line can be a Success.
        for (std::size_t at = group; at < group_end; ++at) {
            const std::size_t index = order[at];
            const std::int64_t seq = lines[index].seq;
            SequenceDecision& decision = outcome.decisions[index];
            if (!mark || seq > *mark) {
                decision.result = LineResult::success;
                decision.high_water = seq;
                mark = seq;
                const StockKey key{newest.sku, newest.source};
                // Keys come in order: each insertion is at the end.
                outcome.new_high_water.emplace_hint(outcome.new_high_water.end(), key, seq);
                outcome.applied_line.emplace_hint(outcome.applied_line.end(), key, index);
            } else if (seq == *mark) {
                decision.result = LineResult::duplicate;
                decision.high_water = seq;
            } else {
                decision.result = LineResult::superseded;
                decision.high_water = *mark;
            }
        }
        group = group_end;
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
