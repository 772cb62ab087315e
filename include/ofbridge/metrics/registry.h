// The process's counters and histograms for the admin listener's /metrics (Prometheus text
// exposition 0.0.4). One registry per process, like spdlog's default logger, so the layer where
// an event happens (ingest, the writer's WAL fsync, the exporter, the Magento delivery,
// retention) counts it without the metrics being passed down through every options struct.
//
// Hot paths stay cheap: a series is looked up (or created) once, under a mutex, and the caller
// keeps the reference (series never move or disappear); counting is then one relaxed atomic
// add, observing a histogram a short bucket scan and three. Rendering takes the mutex only to
// walk the series.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ofbridge::metrics {

// `{name="value",...}` (values escaped as the exposition format wants), "" for none.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
public:
    void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

// Cumulative buckets with upper bounds in seconds; the sum is kept in microseconds.
class Histogram {
public:
    explicit Histogram(std::vector<double> bounds);
    void observe_seconds(double seconds) noexcept;
    const std::vector<double>& bounds() const noexcept { return bounds_; }
    std::uint64_t bucket(std::size_t i) const noexcept {  // i == bounds().size(): +Inf
        return buckets_[i].load(std::memory_order_relaxed);
    }
    std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
    double sum_seconds() const noexcept {
        return static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6;
    }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // not cumulative; +Inf last
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_us_{0};
};

// Bounds for latencies from 0.1 ms to 10 s.
std::vector<double> latency_buckets();

class Registry {
public:
    // The series `name{labels}`, created at 0 on first use. `help` is taken from the first call
    // of a name. Calling with the name of a histogram is a logic error (std::logic_error).
    Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
    Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels = {},
                         std::vector<double> bounds = latency_buckets());

    // Every series, families in name order, in the text exposition format.
    std::string render() const;

private:
    struct Family {
        std::string help;
        bool histogram = false;
        std::map<std::string, Counter*> counters;      // by rendered labels
        std::map<std::string, Histogram*> histograms;  // ditto
    };
    mutable std::mutex mutex_;
    std::map<std::string, Family, std::less<>> families_;
    std::deque<Counter> counters_;  // stable addresses
    std::deque<Histogram> histograms_;
};

// The process's registry.
Registry& registry();

}  // namespace ofbridge::metrics
