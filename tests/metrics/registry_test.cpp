// The registry's text exposition: one HELP/TYPE per family, escaped label values, cumulative
// histogram buckets ending in +Inf, and the same series for the same name and labels.
#include "ofbridge/metrics/registry.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace ofbridge::metrics {
namespace {

TEST(RegistryTest, SameSeriesForSameLabelsAndEscapedValues) {
    Registry r;
    auto& a = r.counter("x_total", "Things.", {{"kind", "a\"b\\c\nd"}});
    auto& again = r.counter("x_total", "ignored", {{"kind", "a\"b\\c\nd"}});
    EXPECT_EQ(&a, &again);
    a.add(2);
    r.counter("x_total", "", {{"kind", "plain"}}).add();
    EXPECT_EQ(r.render(),
              "# HELP x_total Things.\n# TYPE x_total counter\n"
              "x_total{kind=\"a\\\"b\\\\c\\nd\"} 2\n"
              "x_total{kind=\"plain\"} 1\n");
    EXPECT_THROW(r.histogram("x_total", ""), std::logic_error);
}

TEST(RegistryTest, HistogramBucketsAreCumulative) {
    Registry r;
    auto& h = r.histogram("t_seconds", "Time.", {{"e", "i"}}, {0.001, 0.01});
    h.observe_seconds(0.0005);
    h.observe_seconds(0.005);
    h.observe_seconds(0.005);
    h.observe_seconds(3);
    EXPECT_EQ(r.render(),
              "# HELP t_seconds Time.\n# TYPE t_seconds histogram\n"
              "t_seconds_bucket{e=\"i\",le=\"0.001\"} 1\n"
              "t_seconds_bucket{e=\"i\",le=\"0.01\"} 3\n"
              "t_seconds_bucket{e=\"i\",le=\"+Inf\"} 4\n"
              "t_seconds_sum{e=\"i\"} 3.0105\n"
              "t_seconds_count{e=\"i\"} 4\n");
}

TEST(RegistryTest, CountsFromManyThreads) {
    Registry r;
    auto& c = r.counter("n_total", "N.");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) c.add();
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(c.value(), 40000u);
}

}  // namespace
}  // namespace ofbridge::metrics
