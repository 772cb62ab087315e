#include "service_manager.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "ofbridge/storage/writer.h"

namespace ofbridge::app {

bool under_service_manager() {
    return std::getenv("NOTIFY_SOCKET") != nullptr || std::getenv("INVOCATION_ID") != nullptr;
}

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) return false;
    unsigned long long device = 0, inode = 0;
    if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
    struct stat st {};
    if (::fstat(2, &st) != 0) return false;
    return st.st_dev == device && st.st_ino == inode;
}

void notify_service_manager(std::string_view state) {
    const std::string text(state);
    const int rc = sd_notify(0, text.c_str());
    if (rc < 0) spdlog::warn("service manager notification '{}' failed: error {}", text, -rc);
}

std::optional<std::chrono::microseconds> watchdog_interval() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
    return std::chrono::microseconds(usec);
}

WriterWatchdog::WriterWatchdog(storage::Writer& writer, std::chrono::microseconds interval)
    : writer_(writer), period_(interval / 2), thread_([this] { run(); }) {}

WriterWatchdog::~WriterWatchdog() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void WriterWatchdog::run() {
    std::unique_lock lock(mutex_);
    bool warned = false;
    while (!stopping_) {
        if (probe_back_->exchange(false)) {
            notify_service_manager("WATCHDOG=1");
            warned = false;
            lock.unlock();
            // An empty job: it completes once the writer has taken it through a commit.
            storage::WriteJob probe;
            probe.run = [](storage::sqlite::Database&, std::uint64_t) { return false; };
            probe.done = [back = probe_back_](std::error_code) { back->store(true); };
            probe.completion = storage::Completion::committed;
            writer_.submit(std::move(probe));
            lock.lock();
        } else if (!warned) {
            spdlog::error(
                "writer has not answered the watchdog's probe for {} ms: withholding "
                "the watchdog ping",
                std::chrono::duration_cast<std::chrono::milliseconds>(period_).count());
            warned = true;
        }
        wake_.wait_for(lock, period_, [this] { return stopping_; });
    }
}

}  // namespace ofbridge::app
