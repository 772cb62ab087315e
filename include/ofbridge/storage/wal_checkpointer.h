// WalCheckpointer: keeps one database's WAL short for every write connection of this process
// (the writer and the workers' own connections), off their commit paths.
//
// SQLite's own automatic checkpoint runs inside whichever COMMIT crosses 1000 frames, on the
// committing thread and under the write lock: acknowledgements (and every writer queued behind
// that lock) would wait for it, fsyncs included. Instead each watched connection reports its
// WAL size after every commit (a WAL hook) and:
//   frames < request_frames                      nothing
//   request_frames <= frames < inline_frames     wake the checkpoint thread: it copies committed
//                                                frames into the database file (PASSIVE) on a
//                                                connection of its own, without blocking writers
//   frames >= inline_frames                      the committing connection checkpoints itself,
//                                                after the thread's checkpoint if one is running.
// The last step exists because SQLite rewinds the WAL only when a writer starts a transaction
// on a fully checkpointed WAL; under steady writes the background checkpoint is always a few
// commits behind, so the WAL would grow without bound. Most frames have been copied by then,
// so the inline checkpoint is short.
// A failed checkpoint loses nothing (the frames stay in the WAL); its connection is replaced.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>

struct sqlite3;

namespace ofbridge::storage {
namespace sqlite {
class Database;
}

class WalCheckpointer {
public:
    // About 16 MiB of 4 KiB pages, and 64 MiB (the journal_size_limit). Larger than SQLite's
    // default so a page written by many commits in a row (the tail of an append-only table, an
    // index leaf) is copied once instead of once per checkpoint, and the checkpoint's own writes
    // and fsyncs compete less with the commits' fsyncs.
    static constexpr int request_frames = 4000;
    static constexpr int inline_frames = 16384;

    // Starts the checkpoint thread; it opens its connection on the first checkpoint.
    WalCheckpointer(std::filesystem::path database, bool synchronous_full);
    ~WalCheckpointer();  // stop()
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    // Installs the WAL hook on `db`, a write connection to this database (this replaces
    // SQLite's automatic checkpoint for it). `db` must be closed before this object is
    // destroyed; after stop() its commits only ever checkpoint inline.
    void watch(sqlite::Database& db);

    // Finishes the checkpoint in progress and joins the thread. Idempotent.
    void stop();

    std::uint64_t checkpoints() const noexcept { return checkpoints_.load(); }

private:
    static int on_wal_commit(void* self, sqlite3* db, const char* schema, int frames);
    void request();
    void run();

    const std::filesystem::path database_;
    const bool synchronous_full_;
    std::atomic<std::uint64_t> checkpoints_{0};
    // Held while this process runs a checkpoint (thread or inline), so an inline one waits for
    // the thread's instead of failing with SQLITE_BUSY.
    std::mutex checkpointing_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool requested_ = false;  // guarded by mutex_
    bool stopping_ = false;   // guarded by mutex_
    std::thread thread_;      // last: started once everything above is initialised
};

}  // namespace ofbridge::storage
