// A thread that runs one body again and again, each time when the body asked to be run next or
// earlier when woken: the scaffolding of the exporter, the Magento delivery and pull and the
// retention pass (a thread, a mutex and condition variable, a stop flag, a wake-up) in one place.
// RAII like spdlog's periodic worker: constructed = running, the destructor stops and joins.
//
// State: wait(first_delay) -> body -> wait(what the body returned) -> body ... until stop().
// notify() ends the current wait at once, or, when it comes while the body runs, makes the next
// wait end at once (a wake-up is never lost). stop() ends a wait at once; a body that is running
// finishes first (a long body asks stopping() between its steps). A body that throws is logged
// ("<name>: <what>") and run again after `retry_after_error`.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace ofbridge::util {

class BackgroundWorker {
public:
    using Clock = std::chrono::steady_clock;
    // Runs one step; returns how long to wait before the next one (0 or less: at once).
    using Body = std::function<Clock::duration()>;

    struct Options {
        std::string name;  // the log lines' prefix
        Clock::duration first_delay{0};
        Clock::duration retry_after_error{std::chrono::seconds(1)};
    };

    BackgroundWorker(Options options, Body body);
    ~BackgroundWorker();  // stop()
    BackgroundWorker(const BackgroundWorker&) = delete;
    BackgroundWorker& operator=(const BackgroundWorker&) = delete;

    void notify();
    // Ends the wait, waits for a running body to return and joins the thread. Idempotent; safe
    // to call from any thread but the worker's own.
    void stop();
    // True once stop() was called: what a long body checks between its steps.
    bool stopping() const { return stopping_.load(); }

private:
    void run();

    Options options_;
    Body body_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool notified_ = false;
    std::atomic<bool> stopping_{false};
    std::thread thread_;  // last: started once everything above is set
};

}  // namespace ofbridge::util
