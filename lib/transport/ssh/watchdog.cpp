#include "transport/ssh/watchdog.h"

#include <sys/socket.h>

#include <chrono>

#include "util/clock.h"

namespace xrun::ssh {

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Watchdog::Guard::~Guard() {
  if (dog_) dog_->disarm(id_);
}

Watchdog::Guard Watchdog::arm(int fd, int64_t deadline_ms) {
  auto fired = std::make_shared<std::atomic<bool>>(false);
  if (fd < 0) return Guard(nullptr, 0, fired);
  std::lock_guard<std::mutex> lk(mu_);
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  uint64_t id = next_id_++;
  // Saturating: "no deadline" stays no deadline.
  int64_t fire_at = deadline_ms > INT64_MAX - kGraceMs ? INT64_MAX : deadline_ms + kGraceMs;
  entries_[id] = Entry{fd, fire_at, fired};
  changed_.notify_all();
  return Guard(this, id, fired);
}

void Watchdog::disarm(uint64_t id) {
  std::lock_guard<std::mutex> lk(mu_);
  entries_.erase(id);
}

void Watchdog::loop() {
  std::unique_lock<std::mutex> lk(mu_);
  while (!stopping_) {
    int64_t now = monotonic_ms();
    int64_t next = INT64_MAX;
    for (auto& [id, e] : entries_) {
      if (e.fire_at <= now) {
        if (!e.fired->exchange(true)) ::shutdown(e.fd, SHUT_RDWR);
      } else {
        next = std::min(next, e.fire_at);
      }
    }
    if (next == INT64_MAX)
      changed_.wait(lk);
    else
      changed_.wait_for(lk, std::chrono::milliseconds(next - now));
  }
}

}  // namespace xrun::ssh
