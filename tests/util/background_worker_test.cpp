// The background worker: runs at once or after its first delay, woken early by notify(), stopped
// while waiting or while its body runs, and going on after a body that threw. Synchronised on
// what the body reports, never on sleeps: every wait the body asks for is hours long, so a run
// the test sees came from the start, a notify() or a retry.
#include "ofbridge/util/background_worker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>

namespace {

using ofbridge::util::BackgroundWorker;
using namespace std::chrono_literals;

constexpr auto kLongWait = std::chrono::hours(24);

// Counts the body's runs; the test waits for a given count.
class RunCounter {
public:
    void ran() {
        {
            std::lock_guard lock(mutex_);
            ++runs_;
        }
        changed_.notify_all();
    }
    void wait_for_runs(int n) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return runs_ >= n; });
    }
    int runs() {
        std::lock_guard lock(mutex_);
        return runs_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int runs_ = 0;
};

BackgroundWorker::Options options(BackgroundWorker::Clock::duration first_delay = 0s) {
    return {"test worker", first_delay, 0s};
}

TEST(BackgroundWorker, RunsAtOnceThenWaitsWhatTheBodyAsked) {
    RunCounter counter;
    BackgroundWorker worker(options(), [&] {
        counter.ran();
        return BackgroundWorker::Clock::duration(kLongWait);
    });
    counter.wait_for_runs(1);
    worker.stop();
    EXPECT_EQ(counter.runs(), 1);
}

TEST(BackgroundWorker, NotifyEndsTheWaitEarly) {
    RunCounter counter;
    BackgroundWorker worker(options(kLongWait), [&] {
        counter.ran();
        return BackgroundWorker::Clock::duration(kLongWait);
    });
    worker.notify();  // ends the first delay
    counter.wait_for_runs(1);
    worker.notify();  // ends the body's wait
    counter.wait_for_runs(2);
    worker.stop();
    EXPECT_EQ(counter.runs(), 2);
}

TEST(BackgroundWorker, NotifyWhileTheBodyRunsIsNotLost) {
    RunCounter counter;
    std::promise<void> entered;
    std::promise<void> release;
    auto released = release.get_future().share();
    bool first = true;
    BackgroundWorker worker(options(), [&] {
        if (first) {
            first = false;
            entered.set_value();
            released.wait();
        }
        counter.ran();
        return BackgroundWorker::Clock::duration(kLongWait);
    });
    entered.get_future().wait();
    worker.notify();  // while the first run is still in the body
    release.set_value();
    counter.wait_for_runs(2);
    worker.stop();
    EXPECT_EQ(counter.runs(), 2);
}

TEST(BackgroundWorker, StopEndsTheWait) {
    RunCounter counter;
    {
        BackgroundWorker worker(options(kLongWait), [&] {
            counter.ran();
            return BackgroundWorker::Clock::duration(0s);
        });
        worker.stop();  // returns although the first delay is a day
        EXPECT_TRUE(worker.stopping());
        worker.stop();  // idempotent
    }
    EXPECT_EQ(counter.runs(), 0);
}

TEST(BackgroundWorker, StopWhileRunningLetsTheBodyFinish) {
    std::promise<void> entered;
    std::promise<bool> saw_stopping;
    std::atomic<bool> finished{false};
    BackgroundWorker worker(options(), [&] {
        entered.set_value();
        // A long body: steps until it is asked to stop.
        while (!worker.stopping()) std::this_thread::yield();
        finished = true;
        saw_stopping.set_value(true);
        return BackgroundWorker::Clock::duration(0s);
    });
    entered.get_future().wait();
    worker.stop();
    EXPECT_TRUE(finished.load());  // stop() returned only once the body had
    EXPECT_TRUE(saw_stopping.get_future().get());
}

TEST(BackgroundWorker, DestructorStopsAndJoins) {
    RunCounter counter;
    {
        BackgroundWorker worker(options(), [&] {
            counter.ran();
            return BackgroundWorker::Clock::duration(kLongWait);
        });
        counter.wait_for_runs(1);
    }
    EXPECT_EQ(counter.runs(), 1);
}

TEST(BackgroundWorker, AThrowingBodyIsRunAgainAfterTheRetryDelay) {
    RunCounter counter;
    int calls = 0;
    BackgroundWorker worker(options(), [&]() -> BackgroundWorker::Clock::duration {
        if (++calls == 1) throw std::runtime_error("disk on fire");  // logged; retried at once
        counter.ran();
        return kLongWait;
    });
    counter.wait_for_runs(1);
    worker.stop();
    EXPECT_EQ(calls, 2);
}

}  // namespace
