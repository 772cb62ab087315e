// Talking to systemd (or any service manager speaking its notify protocol) from `serve`.
//
// Under a `Type=notify` unit the manager passes NOTIFY_SOCKET: we send READY=1 once the listener
// accepts connections, STOPPING=1 when a stop begins, and, when the unit sets WatchdogSec=
// (WATCHDOG_USEC), WATCHDOG=1 pings. The pings prove the writer thread still turns: a probe job
// goes through the one writer every half watchdog interval and the ping is sent only when the
// previous probe came back, so a wedged writer (a hung commit or disk) stops the pings and the
// manager restarts the broker. Without NOTIFY_SOCKET every call does nothing.
//
// Logging: when stderr is the journal's stream (JOURNAL_STREAM names its device and inode) log
// lines carry a syslog priority prefix ("<3>") instead of a timestamp, which the journal adds.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

namespace ofbridge::storage {
class Writer;
}

namespace ofbridge::app {

// Started by a service manager: NOTIFY_SOCKET or INVOCATION_ID is set (systemd sets both).
bool under_service_manager();

// stderr is connected to the journal (JOURNAL_STREAM matches stderr's device and inode).
bool stderr_is_journal();

// sd_notify(): "READY=1", "STOPPING=1", "STATUS=..."; nothing without NOTIFY_SOCKET.
void notify_service_manager(std::string_view state);

// The watchdog interval the manager asked for (WATCHDOG_USEC, for this process), if any.
std::optional<std::chrono::microseconds> watchdog_interval();

// Pings the manager's watchdog every interval / 2 while the writer answers its probes.
class WriterWatchdog {
public:
    WriterWatchdog(storage::Writer& writer, std::chrono::microseconds interval);
    ~WriterWatchdog();  // stops pinging
    WriterWatchdog(const WriterWatchdog&) = delete;
    WriterWatchdog& operator=(const WriterWatchdog&) = delete;

private:
    void run();

    storage::Writer& writer_;
    const std::chrono::microseconds period_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    // The last probe has been through the writer; shared with the probe, which may complete
    // after this watchdog is gone.
    std::shared_ptr<std::atomic<bool>> probe_back_ = std::make_shared<std::atomic<bool>>(true);
    std::thread thread_;
};

}  // namespace ofbridge::app
