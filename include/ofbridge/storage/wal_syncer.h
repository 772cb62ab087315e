// WalSyncer: makes committed WAL frames durable on a thread of its own, so the store's writer
// can start the next transaction while the disk flushes the last one (storage::Writer).
//
// Why this is as durable as synchronous=FULL: the write connection commits with
// synchronous=NORMAL (WAL frames written, not flushed), then hands the batch here. One
// fdatasync of the WAL file makes every frame written before it durable, the commit frames of
// all batches handed over so far included, and only then are those batches acknowledged.
// Checkpoints sync the WAL before copying frames out of it, and the WAL is only rewritten from
// its start after a complete, synced checkpoint, so a frame never becomes undurable again.
//
// State machine:
//   running: wait for batches; take all that are waiting; one fdatasync per WAL file among them;
//            run their completions in hand-over order with the result
//   failed:  an fdatasync failed. Linux may mark the unwritten pages clean (fsyncgate), and WAL
//            frames are checksummed as a chain, so nothing written to this WAL afterwards can be
//            trusted to survive either. Every completion from then on gets the error without a
//            sync; the process has to restart and recover from what is on disk.
//   stopped: stop() runs what was handed over (syncing it) and joins; later hand-overs fail.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace ofbridge::storage {

// An open descriptor of one WAL file, shared by the write connection that writes it and the
// batches still waiting for their sync. Opened after SQLite created the file.
class WalFile {
public:
    explicit WalFile(const std::filesystem::path& database);  // throws std::system_error
    ~WalFile();
    WalFile(const WalFile&) = delete;
    WalFile& operator=(const WalFile&) = delete;

    int fd() const noexcept { return fd_; }
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

class WalSyncer {
public:
    using Completion = std::function<void(std::error_code)>;
    // How a WAL file is flushed: ::fdatasync unless a test injects a failure.
    using SyncFunction = std::function<int(int fd)>;

    explicit WalSyncer(SyncFunction sync = {});
    ~WalSyncer();  // stop()
    WalSyncer(const WalSyncer&) = delete;
    WalSyncer& operator=(const WalSyncer&) = delete;

    // `then` runs on the syncer thread once everything written to `wal` before this call is on
    // disk, or with the error (SQLITE_IOERR_FSYNC) when that cannot be promised.
    void after_sync(std::shared_ptr<const WalFile> wal, Completion then);

    // The error that put the syncer in `failed`, or none.
    std::error_code failure() const;

    // True while an fdatasync runs or batches wait for one: a batch committed now would wait
    // for that sync to end before its own.
    bool busy() const;

    // Syncs and completes everything handed over, then joins. Idempotent; from a completion it
    // only stops accepting (the destructor joins).
    void stop();

    bool on_syncer_thread() const noexcept {
        return std::this_thread::get_id() == thread_.get_id();
    }

private:
    struct Pending {
        std::shared_ptr<const WalFile> wal;
        Completion then;
    };

    void run();
    void sync_and_complete(std::deque<Pending>& batch);

    SyncFunction sync_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Pending> pending_;  // guarded by mutex_
    bool stopping_ = false;        // guarded by mutex_
    bool syncing_ = false;         // guarded by mutex_
    std::error_code failure_;      // guarded by mutex_; set once
    std::thread thread_;           // last: started once everything above exists
};

}  // namespace ofbridge::storage
