// Background and inline WAL checkpoints (see the header for the policy and why).
#include "ofbridge/storage/wal_checkpointer.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>
#include <memory>

#include "ofbridge/storage/sqlite/database.h"

namespace ofbridge::storage {

WalCheckpointer::WalCheckpointer(std::filesystem::path database, bool synchronous_full)
    : database_(std::move(database)), synchronous_full_(synchronous_full) {
    thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "ofb-checkpoint");  // for `top -H` and profilers
        run();
    });
}

WalCheckpointer::~WalCheckpointer() {
    stop();
}

void WalCheckpointer::watch(sqlite::Database& db) {
    sqlite3_wal_hook(db.handle(), &WalCheckpointer::on_wal_commit, this);
}

void WalCheckpointer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

// Called by SQLite on the committing thread, right after a commit, with the WAL size in frames.
int WalCheckpointer::on_wal_commit(void* self, sqlite3* db, const char* schema, int frames) {
    auto* checkpointer = static_cast<WalCheckpointer*>(self);
    if (frames >= inline_frames) {
        // A checkpoint already running on the thread would make this one fail with SQLITE_BUSY,
        // and the WAL would keep growing for as long as that one takes (past 100 MiB under a
        // fast writer). So wait for it: it has copied most frames by then, and this PASSIVE one
        // copies the rest, letting the next transaction rewind the WAL.
        std::lock_guard one_at_a_time(checkpointer->checkpointing_);
        int log_frames = 0, copied = 0;
        if (sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                      &copied) == SQLITE_OK)
            ++checkpointer->checkpoints_;
    } else if (frames >= request_frames) {
        checkpointer->request();
    }
    return SQLITE_OK;
}

void WalCheckpointer::request() {
    {
        std::lock_guard lock(mutex_);
        requested_ = true;
    }
    wake_.notify_one();
}

void WalCheckpointer::run() {
    std::unique_ptr<sqlite::Database> db;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return requested_ || stopping_; });
            if (stopping_) break;
            requested_ = false;
        }
        try {
            if (!db) {
                db = std::make_unique<sqlite::Database>(database_, SQLITE_OPEN_READWRITE,
                                                        std::chrono::seconds(5));
                // The checkpoint syncs the WAL before and the database file after copying.
                db->exec(synchronous_full_ ? "PRAGMA synchronous=FULL"
                                           : "PRAGMA synchronous=NORMAL");
            }
            std::lock_guard one_at_a_time(checkpointing_);
            int log_frames = 0, copied = 0;
            const int rc = sqlite3_wal_checkpoint_v2(
                db->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied);
            if (rc == SQLITE_OK) {
                ++checkpoints_;
            } else if ((rc & 0xff) != SQLITE_BUSY) {
                spdlog::warn("storage: checkpoint of {} failed: {}", database_.string(),
                             sqlite3_errmsg(db->handle()));
                db.reset();  // as for the writer: do not trust a handle after an I/O error
            }
        } catch (const std::exception& e) {
            spdlog::warn("storage: checkpoint connection: {}", e.what());
            db.reset();
        }
    }
}

}  // namespace ofbridge::storage
