#include "ofbridge/util/background_worker.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace ofbridge::util {
namespace {

// A deadline `delay` from `now`, saturated, so that a body may ask for "not for a long time".
BackgroundWorker::Clock::time_point deadline_after(BackgroundWorker::Clock::time_point now,
                                                   BackgroundWorker::Clock::duration delay) {
    if (delay > BackgroundWorker::Clock::time_point::max() - now)
        return BackgroundWorker::Clock::time_point::max();
    return now + delay;
}

}  // namespace

BackgroundWorker::BackgroundWorker(Options options, Body body)
    : options_(std::move(options)), body_(std::move(body)) {
    thread_ = std::thread([this] { run(); });
}

BackgroundWorker::~BackgroundWorker() {
    stop();
}

void BackgroundWorker::notify() {
    {
        std::lock_guard lock(mutex_);
        notified_ = true;
    }
    wake_.notify_one();
}

void BackgroundWorker::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void BackgroundWorker::run() {
    auto delay = options_.first_delay;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait_until(lock, deadline_after(Clock::now(), delay),
                             [this] { return notified_ || stopping_.load(); });
            if (stopping_) return;
            notified_ = false;
        }
        try {
            delay = body_();
        } catch (const std::exception& e) {
            spdlog::error("{}: {}", options_.name, e.what());
            delay = options_.retry_after_error;
        }
    }
}

}  // namespace ofbridge::util
