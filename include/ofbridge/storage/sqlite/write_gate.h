// WriteGate: passes SQLite's one write lock between the connections of this process that write
// to the same database file (the ingest writer, the workers), in the order they asked, waking
// the next one the moment the holder commits.
//
// Why: without it those connections meet inside SQLite, whose only way to wait for the write
// lock is its busy handler, which sleeps and retries. Every hand-off between the ingest writer
// and a worker then cost a sleep, and that sleep was paid as acknowledgement latency. Writers
// in other processes (a CLI reprocess) still meet in the busy handler, as before.
//
// States of one turn: waiting (queued behind earlier turns) -> holding -> released. A turn that
// waits longer than its timeout leaves the queue and proceeds without the gate; SQLite's busy
// handler then decides (SQLITE_BUSY after the connection's busy timeout), so a thread that
// holds one connection's turn and then writes through a second connection fails as it always
// did instead of hanging.
//
// Ownership: a Turn co-owns its gate. The connection that took a turn may be gone before the
// turn ends (the store drops a connection whose batch failed, then releases), and the gate must
// outlive every turn on it: releasing through a destroyed gate would touch a dead mutex, and a
// connection opened meanwhile would find no gate in the registry and write beside the turn.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <utility>

namespace ofbridge::storage::sqlite {

class WriteGate : public std::enable_shared_from_this<WriteGate> {
    struct Private {};

public:
    // Holds the gate from construction (when granted) until destruction or release().
    class Turn {
    public:
        Turn() = default;
        ~Turn() { release(); }
        Turn(Turn&& other) noexcept;
        Turn& operator=(Turn&& other) noexcept;
        Turn(const Turn&) = delete;
        Turn& operator=(const Turn&) = delete;

        void release() noexcept;
        bool held() const noexcept { return gate_ != nullptr; }

    private:
        friend class WriteGate;
        explicit Turn(std::shared_ptr<WriteGate> gate) : gate_(std::move(gate)) {}
        std::shared_ptr<WriteGate> gate_;
    };

    // Gates exist only as shared_ptr (see Ownership above): create() or for_file().
    explicit WriteGate(Private) {}

    // A gate of its own, shared with nobody.
    static std::shared_ptr<WriteGate> create();

    // The gate shared by every connection of this process to `database` (an existing file;
    // compared by canonical path). Lives as long as one of its users holds it.
    static std::shared_ptr<WriteGate> for_file(const std::filesystem::path& database);

    // Waits until every earlier turn is released, at most `timeout`; the returned Turn is not
    // held() when the wait timed out.
    [[nodiscard]] Turn wait_turn(std::chrono::milliseconds timeout);

    // Turns queued and not granted yet (tests order their threads by it).
    std::size_t waiting() const;

private:
    void release_turn() noexcept;

    mutable std::mutex mutex_;
    std::condition_variable turn_over_;
    bool held_ = false;
    std::uint64_t next_ticket_ = 0;
    std::deque<std::uint64_t> waiting_;  // tickets in arrival order
};

}  // namespace ofbridge::storage::sqlite
