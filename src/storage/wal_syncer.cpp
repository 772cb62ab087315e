// WalSyncer and WalFile (see wal_syncer.h for why one fdatasync after a NORMAL commit is a
// durable commit, and for the state machine).
#include "ofbridge/storage/wal_syncer.h"

#include <fcntl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "ofbridge/metrics/registry.h"
#include "ofbridge/storage/sqlite/error.h"

namespace ofbridge::storage {

WalFile::WalFile(const std::filesystem::path& database) : path_(database.string() + "-wal") {
    // Read-only is enough for fdatasync on Linux; no O_CREAT: SQLite owns the file's creation.
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
        throw std::system_error(errno, std::generic_category(), "cannot open " + path_.string());
}

WalFile::~WalFile() {
    if (fd_ >= 0) ::close(fd_);
}

WalSyncer::WalSyncer(SyncFunction sync)
    : sync_(sync ? std::move(sync) : SyncFunction{[](int fd) { return ::fdatasync(fd); }}) {
    thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "ofb-walsync");
        run();
    });
}

WalSyncer::~WalSyncer() {
    stop();
    if (thread_.joinable()) thread_.join();  // stop() called from a completion left it to us
}

void WalSyncer::after_sync(std::shared_ptr<const WalFile> wal, Completion then) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            pending_.push_back(Pending{std::move(wal), std::move(then)});
            wake_.notify_one();
            return;
        }
    }
    then(std::make_error_code(std::errc::operation_canceled));
}

std::error_code WalSyncer::failure() const {
    std::lock_guard lock(mutex_);
    return failure_;
}

bool WalSyncer::busy() const {
    std::lock_guard lock(mutex_);
    return syncing_ || !pending_.empty();
}

void WalSyncer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable() && !on_syncer_thread()) thread_.join();
}

void WalSyncer::run() {
    std::deque<Pending> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            syncing_ = false;
            wake_.wait(lock, [this] { return !pending_.empty() || stopping_; });
            if (pending_.empty()) return;  // stopping, and everything handed over is done
            batch.swap(pending_);
            syncing_ = true;
        }
        sync_and_complete(batch);
        batch.clear();
    }
}

void WalSyncer::sync_and_complete(std::deque<Pending>& batch) {
    static auto& fsync_seconds = metrics::registry().histogram(
        "ofbridge_wal_fsync_seconds",
        "Time of each fdatasync of the WAL that made commits durable.");
    std::error_code error = failure();
    if (!error) {
        // Usually one file; a second one only right after the writer reopened its connection.
        std::vector<const WalFile*> synced;
        for (const auto& p : batch) {
            if (std::find(synced.begin(), synced.end(), p.wal.get()) != synced.end()) continue;
            synced.push_back(p.wal.get());
            const auto started = std::chrono::steady_clock::now();
            const int rc = sync_(p.wal->fd());
            fsync_seconds.observe_seconds(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
            if (rc == 0) continue;
            const int e = errno;
            spdlog::critical(
                "storage: fdatasync of {} failed ({}): nothing more can be acknowledged; restart "
                "the broker so it recovers from what reached the disk",
                p.wal->path().string(), std::strerror(e));
            error = sqlite::make_sqlite_error(SQLITE_IOERR_FSYNC);
            std::lock_guard lock(mutex_);
            failure_ = error;
            break;
        }
    }
    for (auto& p : batch) p.then(error);
}

}  // namespace ofbridge::storage
