#include "ofbridge/metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace ofbridge::metrics {
namespace {

std::string render_labels(const Labels& labels) {
    if (labels.empty()) return "";
    std::string out = "{";
    for (const auto& [name, value] : labels) {
        if (out.size() > 1) out += ',';
        out += name;
        out += "=\"";
        for (const char c : value) {
            if (c == '\\')
                out += "\\\\";
            else if (c == '"')
                out += "\\\"";
            else if (c == '\n')
                out += "\\n";
            else
                out += c;
        }
        out += '"';
    }
    return out + "}";
}

// The labels with one more (le="..."), for a histogram bucket.
std::string with_le(const std::string& labels, const std::string& le) {
    const std::string pair = "le=\"" + le + "\"";
    if (labels.empty()) return "{" + pair + "}";
    return labels.substr(0, labels.size() - 1) + "," + pair + "}";
}

// The shortest text that reads back as the same double (0.001, not 0.0010000000000000000208).
std::string number(double v) {
    char text[32];
    for (int precision = 15; precision <= 17; ++precision) {
        std::snprintf(text, sizeof text, "%.*g", precision, v);
        if (std::strtod(text, nullptr) == v) break;
    }
    return text;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe_seconds(double seconds) noexcept {
    std::size_t i = 0;
    while (i < bounds_.size() && seconds > bounds_[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    const double us = std::max(0.0, std::round(seconds * 1e6));
    sum_us_.fetch_add(static_cast<std::uint64_t>(us), std::memory_order_relaxed);
}

std::vector<double> latency_buckets() {
    return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
            0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
    std::lock_guard lock(mutex_);
    auto it = families_.find(name);
    if (it == families_.end())
        it = families_.emplace(std::string(name), Family{std::string(help), false, {}, {}}).first;
    if (it->second.histogram)
        throw std::logic_error("metric " + std::string(name) + " is a histogram");
    auto& slot = it->second.counters[render_labels(labels)];
    if (slot == nullptr) slot = &counters_.emplace_back();
    return *slot;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, const Labels& labels,
                               std::vector<double> bounds) {
    std::lock_guard lock(mutex_);
    auto it = families_.find(name);
    if (it == families_.end())
        it = families_.emplace(std::string(name), Family{std::string(help), true, {}, {}}).first;
    if (!it->second.histogram)
        throw std::logic_error("metric " + std::string(name) + " is a counter");
    auto& slot = it->second.histograms[render_labels(labels)];
    if (slot == nullptr) slot = &histograms_.emplace_back(std::move(bounds));
    return *slot;
}

std::string Registry::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, family] : families_) {
        out += "# HELP " + name + " " + family.help + "\n# TYPE " + name +
               (family.histogram ? " histogram\n" : " counter\n");
        for (const auto& [labels, c] : family.counters)
            out += name + labels + " " + std::to_string(c->value()) + "\n";
        for (const auto& [labels, h] : family.histograms) {
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i <= h->bounds().size(); ++i) {
                cumulative += h->bucket(i);
                const auto le = i < h->bounds().size() ? number(h->bounds()[i]) : "+Inf";
                out += name + "_bucket" + with_le(labels, le) + " " + std::to_string(cumulative) +
                       "\n";
            }
            out += name + "_sum" + labels + " " + number(h->sum_seconds()) + "\n";
            out += name + "_count" + labels + " " + std::to_string(h->count()) + "\n";
        }
    }
    return out;
}

Registry& registry() {
    static Registry instance;
    return instance;
}

}  // namespace ofbridge::metrics
