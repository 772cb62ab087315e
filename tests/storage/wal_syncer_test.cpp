// WalSyncer: completions run only after a sync, in hand-over order; one sync covers everything
// handed over while the previous one ran; a failed sync fails everything from then on.
#include "ofbridge/storage/wal_syncer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cerrno>
#include <fstream>
#include <future>
#include <mutex>
#include <vector>

#include "ofbridge/storage/sqlite/error.h"
#include "temp_dir.h"

namespace ofbridge::storage {
namespace {

using testing::TempDir;

std::shared_ptr<const WalFile> wal_in(const TempDir& dir) {
    std::ofstream(dir.file("q.db-wal")) << "frames";
    return std::make_shared<const WalFile>(dir.file("q.db"));
}

TEST(WalFile, MissingWalIsAnErrorNamingIt) {
    TempDir dir;
    try {
        WalFile wal(dir.file("absent.db"));
        FAIL() << "opened a WAL that does not exist";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string{e.what()}.find("absent.db-wal"), std::string::npos) << e.what();
    }
}

TEST(WalSyncer, OneSyncCoversWhatWasHandedOverMeanwhileAndCompletesInOrder) {
    TempDir dir;
    const auto wal = wal_in(dir);
    std::promise<void> first_sync_started, release_first_sync;
    auto released = release_first_sync.get_future().share();
    std::atomic<int> syncs{0};
    WalSyncer syncer([&](int fd) {
        EXPECT_EQ(fd, wal->fd());
        if (++syncs == 1) {
            first_sync_started.set_value();
            released.wait();
        }
        return 0;
    });
    std::mutex mutex;
    std::vector<int> completed;
    std::promise<void> all_done;
    const auto complete = [&](int n) {
        return [&, n](std::error_code ec) {
            EXPECT_FALSE(ec) << ec.message();
            std::lock_guard lock(mutex);
            completed.push_back(n);
            if (completed.size() == 4) all_done.set_value();
        };
    };
    syncer.after_sync(wal, complete(1));
    first_sync_started.get_future().wait();
    for (int n = 2; n <= 4; ++n) syncer.after_sync(wal, complete(n));
    {
        std::lock_guard lock(mutex);
        EXPECT_TRUE(completed.empty()) << "completed before its sync returned";
    }
    release_first_sync.set_value();
    all_done.get_future().wait();
    EXPECT_EQ(completed, (std::vector<int>{1, 2, 3, 4}));
    EXPECT_EQ(syncs.load(), 2) << "the three batches handed over during the first sync share one";
}

TEST(WalSyncer, AFailedSyncFailsItsBatchesAndEveryLaterOne) {
    TempDir dir;
    const auto wal = wal_in(dir);
    std::atomic<bool> fail{true};
    WalSyncer syncer([&](int) {
        if (!fail) return 0;
        errno = EIO;
        return -1;
    });
    const auto result = [&] {
        std::promise<std::error_code> done;
        syncer.after_sync(wal, [&](std::error_code ec) { done.set_value(ec); });
        return done.get_future().get();
    };
    const auto fsync_error = sqlite::make_sqlite_error(SQLITE_IOERR_FSYNC);
    EXPECT_EQ(result(), fsync_error);
    fail = false;  // the disk "recovers": what was lost stays lost, so nothing is acked again
    EXPECT_EQ(result(), fsync_error);
    EXPECT_EQ(syncer.failure(), fsync_error);
}

TEST(WalSyncer, StopCompletesWhatWasHandedOverAndRefusesMore) {
    TempDir dir;
    const auto wal = wal_in(dir);
    std::atomic<int> ok{0};
    WalSyncer syncer;  // the real fdatasync
    for (int i = 0; i < 10; ++i)
        syncer.after_sync(wal, [&](std::error_code ec) { ok += ec ? 0 : 1; });
    syncer.stop();
    EXPECT_EQ(ok.load(), 10);
    std::error_code late;
    syncer.after_sync(wal, [&](std::error_code ec) { late = ec; });
    EXPECT_EQ(late, std::make_error_code(std::errc::operation_canceled));
}

}  // namespace
}  // namespace ofbridge::storage
