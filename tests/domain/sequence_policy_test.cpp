// Tests for the inventory staleness rule (DESIGN §3.1). The rule decides whether stock is
// overwritten, so it is pinned down case by case here, and then checked against an independent
// oracle over thousands of random histories delivered out of order, split and re-delivered.
#include "ofbridge/domain/sequence_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

using namespace ofbridge::domain;

namespace {

InventoryLine line(std::string sku, std::int64_t seq, std::int64_t qty = 1,
                   std::string source = std::string(default_source)) {
    InventoryLine l;
    l.sku = std::move(sku);
    l.source = std::move(source);
    l.seq = seq;
    l.qty = qty;
    return l;
}

StockKey key(std::string sku, std::string source = std::string(default_source)) {
    return StockKey{std::move(sku), std::move(source)};
}

using Marks = std::map<StockKey, std::int64_t>;

// Checks one decision; the macro-free helper keeps the expectations readable.
void expect_decision(const SequenceOutcome& outcome, std::size_t index, LineResult result,
                     std::int64_t high_water) {
    ASSERT_LT(index, outcome.decisions.size());
    EXPECT_EQ(outcome.decisions[index].result, result)
        << "line " << index << ": got " << to_string(outcome.decisions[index].result) << ", want "
        << to_string(result);
    EXPECT_EQ(outcome.decisions[index].high_water, high_water) << "line " << index;
}

}  // namespace

// --- Trivial input ---------------------------------------------------------------------------

TEST(SequencePolicy, EmptyMessageDecidesNothing) {
    const auto outcome = decide_sequences({}, {});
    EXPECT_TRUE(outcome.decisions.empty());
    EXPECT_TRUE(outcome.new_high_water.empty());
    EXPECT_TRUE(outcome.applied_line.empty());
}

TEST(SequencePolicy, EmptyMessageWithMarksDecidesNothing) {
    const auto outcome = decide_sequences({}, Marks{{key("A"), 5}});
    EXPECT_TRUE(outcome.decisions.empty());
    EXPECT_TRUE(outcome.new_high_water.empty());
    EXPECT_TRUE(outcome.applied_line.empty());
}

// --- One line against the mark ---------------------------------------------------------------

TEST(SequencePolicy, FirstLineForAKeyWithoutMarkIsSuccess) {
    const auto outcome = decide_sequences({line("A", 7, 30)}, {});
    ASSERT_EQ(outcome.decisions.size(), 1u);
    expect_decision(outcome, 0, LineResult::success, 7);
    EXPECT_EQ(outcome.new_high_water, (Marks{{key("A"), 7}}));
    EXPECT_EQ(outcome.applied_line, (std::map<StockKey, std::size_t>{{key("A"), 0}}));
}

TEST(SequencePolicy, SeqAboveMarkIsSuccessAndMovesMark) {
    const auto outcome = decide_sequences({line("A", 12)}, Marks{{key("A"), 11}});
    expect_decision(outcome, 0, LineResult::success, 12);
    EXPECT_EQ(outcome.new_high_water, (Marks{{key("A"), 12}}));
    EXPECT_EQ(outcome.applied_line.at(key("A")), 0u);
}

TEST(SequencePolicy, SeqEqualToMarkIsDuplicate) {
    const auto outcome = decide_sequences({line("A", 12)}, Marks{{key("A"), 12}});
    expect_decision(outcome, 0, LineResult::duplicate, 12);
    EXPECT_TRUE(outcome.new_high_water.empty());
    EXPECT_TRUE(outcome.applied_line.empty());
}

TEST(SequencePolicy, SeqBelowMarkIsSupersededByTheMark) {
    const auto outcome = decide_sequences({line("A", 11)}, Marks{{key("A"), 12}});
    expect_decision(outcome, 0, LineResult::superseded, 12);
    EXPECT_TRUE(outcome.new_high_water.empty());
    EXPECT_TRUE(outcome.applied_line.empty());
}

TEST(SequencePolicy, ExtremeSequenceValues) {
    constexpr auto biggest = std::numeric_limits<std::int64_t>::max();
    auto outcome = decide_sequences({line("A", biggest)}, Marks{{key("A"), biggest - 1}});
    expect_decision(outcome, 0, LineResult::success, biggest);
    outcome = decide_sequences({line("A", biggest)}, Marks{{key("A"), biggest}});
    expect_decision(outcome, 0, LineResult::duplicate, biggest);
    outcome = decide_sequences({line("A", 1)}, Marks{{key("A"), biggest}});
    expect_decision(outcome, 0, LineResult::superseded, biggest);
}

// --- Several lines of one key in one message -------------------------------------------------

TEST(SequencePolicy, NewerThenOlderInOneMessage) {
    const auto outcome = decide_sequences({line("A", 12, 5), line("A", 11, 9)}, {});
    expect_decision(outcome, 0, LineResult::success, 12);
    expect_decision(outcome, 1, LineResult::superseded, 12);
    EXPECT_EQ(outcome.new_high_water, (Marks{{key("A"), 12}}));
    EXPECT_EQ(outcome.applied_line.at(key("A")), 0u);
}

TEST(SequencePolicy, OlderThenNewerInOneMessageGivesTheSameOutcome) {
    const auto outcome = decide_sequences({line("A", 11, 9), line("A", 12, 5)}, {});
    expect_decision(outcome, 0, LineResult::superseded, 12);
    expect_decision(outcome, 1, LineResult::success, 12);
    EXPECT_EQ(outcome.new_high_water, (Marks{{key("A"), 12}}));
    EXPECT_EQ(outcome.applied_line.at(key("A")), 1u);
}

TEST(SequencePolicy, TwoLinesAgainstEveryMark) {
    // A@11 and A@12 in one message, in both orders, against each interesting existing mark.
    struct Case {
        std::optional<std::int64_t> mark;
        LineResult for12;
        LineResult for11;
        std::int64_t high_water;  // what both lines are compared with after the decision
        bool moves;
    };
    const std::vector<Case> cases = {
        {std::nullopt, LineResult::success, LineResult::superseded, 12, true},
        {10, LineResult::success, LineResult::superseded, 12, true},
        // 11 equals the old mark, but 12 is decided first and supersedes it.
        {11, LineResult::success, LineResult::superseded, 12, true},
        {12, LineResult::duplicate, LineResult::superseded, 12, false},
        {13, LineResult::superseded, LineResult::superseded, 13, false},
    };
    for (const auto& c : cases) {
        Marks marks;
        if (c.mark) marks[key("A")] = *c.mark;
        for (const bool newer_first : {true, false}) {
            SCOPED_TRACE(testing::Message() << "mark " << (c.mark ? *c.mark : -1)
                                            << (newer_first ? " newer first" : " older first"));
            const std::vector<InventoryLine> lines =
                newer_first ? std::vector{line("A", 12), line("A", 11)}
                            : std::vector{line("A", 11), line("A", 12)};
            const std::size_t at12 = newer_first ? 0 : 1;
            const std::size_t at11 = 1 - at12;
            const auto outcome = decide_sequences(lines, marks);
            expect_decision(outcome, at12, c.for12,
                            c.for12 == LineResult::superseded ? c.high_water : 12);
            expect_decision(outcome, at11, c.for11, c.high_water);
            if (c.moves) {
                EXPECT_EQ(outcome.new_high_water, (Marks{{key("A"), 12}}));
                EXPECT_EQ(outcome.applied_line.at(key("A")), at12);
            } else {
                EXPECT_TRUE(outcome.new_high_water.empty());
                EXPECT_TRUE(outcome.applied_line.empty());
            }
        }
    }
}

TEST(SequencePolicy, SameSeqTwiceInOneMessageIsOneSuccessAndOneDuplicate) {
    const auto outcome = decide_sequences({line("A", 12, 4), line("A", 12, 4)}, {});
    // The earlier copy in the message is the one applied.
    expect_decision(outcome, 0, LineResult::success, 12);
    expect_decision(outcome, 1, LineResult::duplicate, 12);
    EXPECT_EQ(outcome.new_high_water, (Marks{{key("A"), 12}}));
    EXPECT_EQ(outcome.applied_line.at(key("A")), 0u);
}

TEST(SequencePolicy, SameSeqTwiceEqualToMarkIsTwoDuplicates) {
    const auto outcome = decide_sequences({line("A", 12), line("A", 12)}, Marks{{key("A"), 12}});
    expect_decision(outcome, 0, LineResult::duplicate, 12);
    expect_decision(outcome, 1, LineResult::duplicate, 12);
    EXPECT_TRUE(outcome.new_high_water.empty());
    EXPECT_TRUE(outcome.applied_line.empty());
}

TEST(SequencePolicy, SameSeqTwiceBelowMarkIsTwoSuperseded) {
    const auto outcome = decide_sequences({line("A", 12), line("A", 12)}, Marks{{key("A"), 13}});
    expect_decision(outcome, 0, LineResult::superseded, 13);
    expect_decision(outcome, 1, LineResult::superseded, 13);
    EXPECT_TRUE(outcome.new_high_water.empty());
}

TEST(SequencePolicy, ManyLinesOfOneKeyNewestWins) {
    // Mixed order, a repeated winner and a repeated loser, mark below all of them.
    const auto outcome = decide_sequences(
        {line("A", 12, 1), line("A", 15, 2), line("A", 9, 3), line("A", 15, 4), line("A", 12, 5)},
        Marks{{key("A"), 3}});
    expect_decision(outcome, 0, LineResult::superseded, 15);
    expect_decision(outcome, 1, LineResult::success, 15);
    expect_decision(outcome, 2, LineResult::superseded, 15);
    expect_decision(outcome, 3, LineResult::duplicate, 15);
    expect_decision(outcome, 4, LineResult::superseded, 15);
    EXPECT_EQ(outcome.new_high_water, (Marks{{key("A"), 15}}));
    EXPECT_EQ(outcome.applied_line.at(key("A")), 1u);
}

TEST(SequencePolicy, OutcomeDoesNotDependOnLineOrder) {
    // Every permutation of one message gives each line the same decision.
    std::vector<InventoryLine> lines = {line("A", 3, 1), line("A", 7, 2), line("B", 5, 3),
                                        line("A", 5, 4), line("B", 2, 5), line("A", 9, 6)};
    const Marks marks{{key("A"), 5}, {key("B"), 1}};
    auto signature = [](const InventoryLine& l) { return l.qty; };  // qty is unique per line
    std::map<std::int64_t, SequenceDecision> reference;
    {
        const auto outcome = decide_sequences(lines, marks);
        for (std::size_t i = 0; i < lines.size(); ++i)
            reference[signature(lines[i])] = outcome.decisions[i];
    }
    std::sort(lines.begin(), lines.end(),
              [](const InventoryLine& a, const InventoryLine& b) { return a.qty < b.qty; });
    int permutations = 0;
    do {
        const auto outcome = decide_sequences(lines, marks);
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const auto& want = reference.at(signature(lines[i]));
            ASSERT_EQ(outcome.decisions[i].result, want.result);
            ASSERT_EQ(outcome.decisions[i].high_water, want.high_water);
        }
        ASSERT_EQ(outcome.new_high_water, (Marks{{key("A"), 9}, {key("B"), 5}}));
        ++permutations;
    } while (std::next_permutation(
        lines.begin(), lines.end(),
        [](const InventoryLine& a, const InventoryLine& b) { return a.qty < b.qty; }));
    EXPECT_EQ(permutations, 720);
}

// --- Keys are independent --------------------------------------------------------------------

TEST(SequencePolicy, SourcesOfOneSkuAreIndependentKeys) {
    const auto outcome = decide_sequences({line("A", 5, 1, "eu"), line("A", 3, 2, "us")},
                                          Marks{{key("A", "eu"), 4}, {key("A", "us"), 4}});
    expect_decision(outcome, 0, LineResult::success, 5);
    expect_decision(outcome, 1, LineResult::superseded, 4);
    EXPECT_EQ(outcome.new_high_water, (Marks{{key("A", "eu"), 5}}));
    EXPECT_EQ(outcome.applied_line, (std::map<StockKey, std::size_t>{{key("A", "eu"), 0}}));
}

TEST(SequencePolicy, SameSeqUnderTwoSourcesIsTwoSuccesses) {
    const auto outcome = decide_sequences({line("A", 5, 1, "eu"), line("A", 5, 2, "us")}, {});
    expect_decision(outcome, 0, LineResult::success, 5);
    expect_decision(outcome, 1, LineResult::success, 5);
    EXPECT_EQ(outcome.new_high_water, (Marks{{key("A", "eu"), 5}, {key("A", "us"), 5}}));
}

TEST(SequencePolicy, MarkOfAnotherSourceOrSkuIsIgnored) {
    const Marks marks{{key("A", "eu"), 100}, {key("B"), 100}};
    const auto outcome = decide_sequences({line("A", 5), line("B", 5, 1, "eu")}, marks);
    expect_decision(outcome, 0, LineResult::success, 5);
    expect_decision(outcome, 1, LineResult::success, 5);
}

TEST(SequencePolicy, SeveralKeysInterleaved) {
    const std::vector<InventoryLine> lines = {
        line("A", 5, 10),        // 0: below A's winner 9
        line("B", 7, 11),        // 1: below B's mark 8
        line("A", 9, 12),        // 2: A's winner
        line("C", 1, 13),        // 3: equal to C's mark
        line("B", 7, 14),        // 4: below B's mark 8 (a repeat, but still stale)
        line("A", 2, 15),        // 5: below A's winner 9
        line("A", 4, 16, "eu"),  // 6: new key, A/eu's winner
        line("D", 20, 17),       // 7: above D's mark
        line("A", 4, 18, "eu"),  // 8: repeat of A/eu's winner
    };
    const Marks marks{{key("B"), 8}, {key("C"), 1}, {key("D"), 19}, {key("Z"), 50}};
    const auto outcome = decide_sequences(lines, marks);
    ASSERT_EQ(outcome.decisions.size(), lines.size());
    expect_decision(outcome, 0, LineResult::superseded, 9);
    expect_decision(outcome, 1, LineResult::superseded, 8);
    expect_decision(outcome, 2, LineResult::success, 9);
    expect_decision(outcome, 3, LineResult::duplicate, 1);
    expect_decision(outcome, 4, LineResult::superseded, 8);
    expect_decision(outcome, 5, LineResult::superseded, 9);
    expect_decision(outcome, 6, LineResult::success, 4);
    expect_decision(outcome, 7, LineResult::success, 20);
    expect_decision(outcome, 8, LineResult::duplicate, 4);
    EXPECT_EQ(outcome.new_high_water, (Marks{{key("A"), 9}, {key("A", "eu"), 4}, {key("D"), 20}}));
    EXPECT_EQ(outcome.applied_line,
              (std::map<StockKey, std::size_t>{{key("A"), 2}, {key("A", "eu"), 6}, {key("D"), 7}}));
}

// --- Across messages -------------------------------------------------------------------------

TEST(SequencePolicy, MarksCarriedAcrossMessagesInEitherArrivalOrder) {
    // 11 then 12: both applied in turn. 12 then 11: 11 is stale. Either way A ends at 12's qty.
    Marks marks;
    auto outcome = decide_sequences({line("A", 11, 1)}, marks);
    expect_decision(outcome, 0, LineResult::success, 11);
    for (const auto& [k, v] : outcome.new_high_water) marks[k] = v;
    outcome = decide_sequences({line("A", 12, 2)}, marks);
    expect_decision(outcome, 0, LineResult::success, 12);
    for (const auto& [k, v] : outcome.new_high_water) marks[k] = v;
    outcome = decide_sequences({line("A", 11, 1)}, marks);  // re-delivery of the first
    expect_decision(outcome, 0, LineResult::superseded, 12);
    outcome = decide_sequences({line("A", 12, 2)}, marks);  // re-delivery of the second
    expect_decision(outcome, 0, LineResult::duplicate, 12);

    marks.clear();
    outcome = decide_sequences({line("A", 12, 2)}, marks);
    expect_decision(outcome, 0, LineResult::success, 12);
    for (const auto& [k, v] : outcome.new_high_water) marks[k] = v;
    outcome = decide_sequences({line("A", 11, 1)}, marks);
    expect_decision(outcome, 0, LineResult::superseded, 12);
    EXPECT_TRUE(outcome.applied_line.empty());
}

// --- Texts -----------------------------------------------------------------------------------

TEST(SequencePolicy, ResultNames) {
    EXPECT_EQ(to_string(LineResult::success), "Success");
    EXPECT_EQ(to_string(LineResult::duplicate), "Duplicate");
    EXPECT_EQ(to_string(LineResult::superseded), "Superseded");
    EXPECT_EQ(to_string(LineResult::failure), "Failure");
}

TEST(SequencePolicy, SuccessMessage) {
    EXPECT_EQ(sequence_message(LineResult::success, 42, 12), "Product quantity updated to 42.");
    EXPECT_EQ(sequence_message(LineResult::success, 0, 12), "Product quantity updated to 0.");
    EXPECT_EQ(sequence_message(LineResult::success, -3, 12), "Product quantity updated to -3.");
}

TEST(SequencePolicy, DuplicateMessage) {
    EXPECT_EQ(sequence_message(LineResult::duplicate, 42, 12),
              "Duplicate Inventory Request Ignored.");
}

TEST(SequencePolicy, SupersededMessageHasNoTrailingPeriod) {
    EXPECT_EQ(sequence_message(LineResult::superseded, 42, 12),
              "Product quantity update to 42 discarded as already superseded by inventory "
              "record 12");
    EXPECT_EQ(sequence_message(LineResult::superseded, 0, 9223372036854775807),
              "Product quantity update to 0 discarded as already superseded by inventory "
              "record 9223372036854775807");
}

TEST(SequencePolicy, FailureMessageIsLeftToTheCaller) {
    EXPECT_EQ(sequence_message(LineResult::failure, 42, 12), "");
}

TEST(SequencePolicy, MessagesForDecidedLines) {
    // The decision's high_water is what the Superseded text names.
    const std::vector<InventoryLine> lines = {line("A", 11, 9), line("A", 12, 5), line("A", 12, 5)};
    const auto outcome = decide_sequences(lines, {});
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        texts.push_back(sequence_message(outcome.decisions[i].result, lines[i].qty,
                                         outcome.decisions[i].high_water));
    }
    EXPECT_EQ(texts, (std::vector<std::string>{
                         "Product quantity update to 9 discarded as already superseded by "
                         "inventory record 12",
                         "Product quantity updated to 5.",
                         "Duplicate Inventory Request Ignored.",
                     }));
}

// --- Property: random histories, delivered in any way, against an independent oracle ---------

namespace {

struct Record {
    std::string sku;
    std::string source;
    std::int64_t seq;
    std::int64_t qty;
};

// The oracle, written from the rule text rather than from the implementation: a running map of
// the largest applied seq per key (keyed by a joined string, not StockKey); the lines of each
// message are taken one at a time, always the highest remaining seq (earliest in the message on
// a tie), and compared with that map.
class Oracle {
public:
    struct Verdict {
        LineResult result;
        std::int64_t compared_with;
    };

    std::vector<Verdict> deliver(const std::vector<InventoryLine>& message) {
        std::vector<Verdict> verdicts(message.size(), Verdict{LineResult::failure, 0});
        std::vector<bool> taken(message.size(), false);
        for (std::size_t round = 0; round < message.size(); ++round) {
            std::size_t pick = message.size();
            for (std::size_t i = 0; i < message.size(); ++i) {
                if (taken[i]) continue;
                if (pick == message.size() || message[i].seq > message[pick].seq) pick = i;
            }
            taken[pick] = true;
            const InventoryLine& l = message[pick];
            const std::string joined = l.sku + '\x1f' + l.source;
            auto found = applied_.find(joined);
            if (found == applied_.end()) {
                applied_.emplace(joined, l.seq);
                verdicts[pick] = {LineResult::success, l.seq};
            } else if (l.seq > found->second) {
                found->second = l.seq;
                verdicts[pick] = {LineResult::success, l.seq};
            } else if (l.seq == found->second) {
                verdicts[pick] = {LineResult::duplicate, l.seq};
            } else {
                verdicts[pick] = {LineResult::superseded, found->second};
            }
        }
        return verdicts;
    }

private:
    std::unordered_map<std::string, std::int64_t> applied_;
};

std::size_t uniform_index(std::mt19937_64& rng, std::size_t size) {
    return std::uniform_int_distribution<std::size_t>(0, size - 1)(rng);
}

bool chance(std::mt19937_64& rng, double p) {
    return std::bernoulli_distribution(p)(rng);
}

struct RunTotals {
    std::map<LineResult, long> by_result;
};

// One random history, one random delivery of it. Returns totals so the caller can check the
// generator really exercises every outcome.
void run_one_history(std::mt19937_64& rng, RunTotals& totals) {
    static const std::vector<std::string> skus = {"A", "B", "C"};
    static const std::vector<std::string> sources = {"default", "eu"};

    // The history: unique, increasing (not contiguous) seqs per key, random quantities.
    std::map<StockKey, std::int64_t> last_seq;
    std::map<StockKey, Record> newest;  // the record each key must end at
    std::vector<Record> records;
    const std::size_t record_count = uniform_index(rng, 25);
    for (std::size_t r = 0; r < record_count; ++r) {
        Record rec{skus[uniform_index(rng, skus.size())],
                   sources[uniform_index(rng, sources.size())], 0,
                   std::uniform_int_distribution<std::int64_t>(0, 1000)(rng)};
        const StockKey k{rec.sku, rec.source};
        const std::int64_t step = std::uniform_int_distribution<std::int64_t>(1, 4)(rng);
        auto [slot, inserted] =
            last_seq.try_emplace(k, std::uniform_int_distribution<std::int64_t>(1, 1000)(rng));
        if (!inserted) slot->second += step;
        rec.seq = slot->second;
        newest[k] = rec;
        records.push_back(rec);
    }

    // Group the records into messages in random order and sizes, with repeated lines.
    std::shuffle(records.begin(), records.end(), rng);
    std::vector<std::vector<InventoryLine>> messages;
    for (std::size_t next = 0; next < records.size();) {
        const std::size_t size = std::min(1 + uniform_index(rng, 5), records.size() - next);
        std::vector<InventoryLine> message;
        for (std::size_t i = 0; i < size; ++i, ++next) {
            const Record& rec = records[next];
            message.push_back(line(rec.sku, rec.seq, rec.qty, rec.source));
        }
        while (chance(rng, 0.25)) {
            const InventoryLine copy = message[uniform_index(rng, message.size())];
            message.insert(message.begin() +
                               static_cast<std::ptrdiff_t>(uniform_index(rng, message.size() + 1)),
                           copy);
        }
        messages.push_back(std::move(message));
    }
    // Re-deliveries of whole messages, then a random arrival order.
    const std::size_t originals = messages.size();
    for (std::size_t m = 0; m < originals; ++m) {
        while (chance(rng, 0.3)) messages.push_back(messages[m]);
    }
    std::shuffle(messages.begin(), messages.end(), rng);

    // Deliver through the policy, carrying marks forward and applying Success lines' qty.
    Marks marks;
    std::map<StockKey, std::int64_t> stock;
    std::map<StockKey, long> successes;
    std::map<StockKey, long> mark_increases;
    std::map<LineResult, long> policy_counts;
    std::map<LineResult, long> oracle_counts;
    Oracle oracle;
    for (const auto& message : messages) {
        const auto outcome = decide_sequences(message, marks);
        const auto expected = oracle.deliver(message);
        ASSERT_EQ(outcome.decisions.size(), message.size());

        std::map<StockKey, long> successes_here;
        for (std::size_t i = 0; i < message.size(); ++i) {
            const auto& d = outcome.decisions[i];
            ASSERT_EQ(d.result, expected[i].result) << "line " << i;
            ASSERT_EQ(d.high_water, expected[i].compared_with) << "line " << i;
            ++policy_counts[d.result];
            ++oracle_counts[expected[i].result];
            if (d.result == LineResult::success) {
                const StockKey k{message[i].sku, message[i].source};
                ++successes[k];
                ++successes_here[k];
            }
        }
        // At most one line per key is applied per message, and it is the one named.
        for (const auto& [k, n] : successes_here) {
            ASSERT_EQ(n, 1);
            ASSERT_TRUE(outcome.applied_line.contains(k));
        }
        ASSERT_EQ(outcome.applied_line.size(), successes_here.size());
        ASSERT_EQ(outcome.new_high_water.size(), successes_here.size());

        for (const auto& [k, index] : outcome.applied_line) {
            ASSERT_LT(index, message.size());
            ASSERT_EQ(outcome.decisions[index].result, LineResult::success);
            ASSERT_EQ(message[index].seq, outcome.new_high_water.at(k));
            stock[k] = message[index].qty;
        }
        for (const auto& [k, seq] : outcome.new_high_water) {
            auto old = marks.find(k);
            if (old != marks.end()) {
                ASSERT_GT(seq, old->second);
            }
            marks[k] = seq;
            ++mark_increases[k];
        }
    }

    // Every key ends at its newest record, whatever the delivery; no other key is touched.
    ASSERT_EQ(stock.size(), newest.size());
    ASSERT_EQ(marks.size(), newest.size());
    for (const auto& [k, rec] : newest) {
        ASSERT_EQ(stock.at(k), rec.qty);
        ASSERT_EQ(marks.at(k), rec.seq);
    }
    // Nothing is applied twice: each Success is exactly one upward move of its mark.
    ASSERT_EQ(successes, mark_increases);
    ASSERT_EQ(policy_counts, oracle_counts);
    for (const auto& [result, n] : policy_counts) totals.by_result[result] += n;
}

}  // namespace

TEST(SequencePolicyProperty, AnyDeliveryEndsAtTheNewestRecordAndAgreesWithTheOracle) {
    for (const std::uint64_t seed : {1u, 2u, 0x5eed5eedu, 20240601u}) {
        SCOPED_TRACE(testing::Message() << "seed " << seed);
        std::mt19937_64 rng(seed);
        RunTotals totals;
        for (int history = 0; history < 1000; ++history) {
            ASSERT_NO_FATAL_FAILURE(run_one_history(rng, totals)) << "history " << history;
        }
        // The generator must actually produce every outcome, or the property proves little.
        EXPECT_GT(totals.by_result[LineResult::success], 1000);
        EXPECT_GT(totals.by_result[LineResult::duplicate], 1000);
        EXPECT_GT(totals.by_result[LineResult::superseded], 1000);
        EXPECT_EQ(totals.by_result[LineResult::failure], 0);
    }
}
