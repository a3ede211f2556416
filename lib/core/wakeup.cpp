#include "core/wakeup.h"

#include <chrono>

namespace xrun {

uint64_t Wakeup::interrupts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return interrupts_;
}

uint64_t Wakeup::changes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return changes_;
}

void Wakeup::interrupt() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++interrupts_;
  }
  woken_.notify_all();
}

void Wakeup::notify_change() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++changes_;
  }
  woken_.notify_all();
}

Wakeup::Woken Wakeup::sleep_for(int64_t ms, uint64_t seen_interrupts, const uint64_t* seen_changes) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto why = [&] {
    if (interrupts_ != seen_interrupts) return Woken::Interrupted;
    if (seen_changes && changes_ != *seen_changes) return Woken::Changed;
    return Woken::Timeout;
  };
  woken_.wait_for(lock, std::chrono::milliseconds(ms < 0 ? 0 : ms), [&] { return why() != Woken::Timeout; });
  return why();
}

}  // namespace xrun
