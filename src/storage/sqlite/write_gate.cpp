// The in-process write-lock queue (see the header for why it exists).
#include "ofbridge/storage/sqlite/write_gate.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

namespace ofbridge::storage::sqlite {

WriteGate::Turn::Turn(Turn&& other) noexcept : gate_(std::move(other.gate_)) {}

WriteGate::Turn& WriteGate::Turn::operator=(Turn&& other) noexcept {
    if (this != &other) {
        release();
        gate_ = std::move(other.gate_);
    }
    return *this;
}

void WriteGate::Turn::release() noexcept {
    // The local copy keeps the gate alive until release_turn() has returned, even when this
    // turn was its last owner.
    if (auto gate = std::exchange(gate_, nullptr)) gate->release_turn();
}

std::shared_ptr<WriteGate> WriteGate::create() {
    return std::make_shared<WriteGate>(Private{});
}

std::shared_ptr<WriteGate> WriteGate::for_file(const std::filesystem::path& database) {
    static std::mutex registry_mutex;
    static std::map<std::string, std::weak_ptr<WriteGate>> registry;
    std::error_code ec;
    auto key = std::filesystem::canonical(database, ec);
    if (ec) return create();  // not a file (":memory:"): nothing to share
    std::lock_guard lock(registry_mutex);
    auto& slot = registry[key.string()];
    auto gate = slot.lock();
    if (!gate) {
        gate = create();
        slot = gate;
    }
    // Forget the gates of files nobody has open any more, so the map stays small.
    std::erase_if(registry, [](const auto& entry) { return entry.second.expired(); });
    return gate;
}

WriteGate::Turn WriteGate::wait_turn(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    const auto ticket = next_ticket_++;
    waiting_.push_back(ticket);
    const bool granted =
        turn_over_.wait_for(lock, timeout, [&] { return !held_ && waiting_.front() == ticket; });
    if (!granted) {
        waiting_.erase(std::find(waiting_.begin(), waiting_.end(), ticket));
        lock.unlock();
        turn_over_.notify_all();  // the next in line may be at the front now
        return Turn{};
    }
    waiting_.pop_front();
    held_ = true;
    return Turn{shared_from_this()};
}

std::size_t WriteGate::waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_.size();
}

void WriteGate::release_turn() noexcept {
    {
        std::lock_guard lock(mutex_);
        held_ = false;
    }
    turn_over_.notify_all();  // few waiters (the writer and the workers); the front one proceeds
}

}  // namespace ofbridge::storage::sqlite
