// The retention pass inside `serve`: a thread that, every `interval`, runs one Pruner as a sliced
// job on the one writer (storage/writer.h), so each slice holds the write transaction for at
// most the writer's batch budget and acks queued meanwhile commit between slices. RAII: the
// destructor stops the thread; a pass in progress is abandoned between slices (what it deleted
// is committed, the next pass goes on from there). State: wait(first_delay) -> pass -> log the
// summary -> wait(interval) -> pass ... until stopped.
#pragma once

#include <chrono>
#include <functional>

#include "ofbridge/retention/pruner.h"
#include "ofbridge/util/background_worker.h"

namespace ofbridge::storage {
class Writer;
}

namespace ofbridge::retention {

struct RetentionLoopOptions {
    RetentionPolicy policy;
    std::chrono::minutes interval{60};
    std::chrono::seconds first_delay{60};  // after start-up, so the first pass is not in its way
    // Hears every finished pass (metrics); called on the loop's thread.
    std::function<void(const PruneCounts&)> on_pass{};
};

class RetentionLoop {
public:
    RetentionLoop(storage::Writer& writer, RetentionLoopOptions options);
    ~RetentionLoop();  // stop()
    // Ends a pass in progress after its current slice and joins the thread: call it before the
    // writer closes. Idempotent.
    void stop();
    RetentionLoop(const RetentionLoop&) = delete;
    RetentionLoop& operator=(const RetentionLoop&) = delete;

private:
    util::BackgroundWorker::Clock::duration run();
    void run_pass();

    storage::Writer& writer_;
    RetentionLoopOptions options_;
    util::BackgroundWorker worker_;  // last: started once the options are set
};

}  // namespace ofbridge::retention
