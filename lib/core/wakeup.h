// Wake-ups for blocking calls of one context: an interrupt that any thread
// may raise (after curl_multi_wakeup / sqlite3_interrupt) and a "the store
// changed" signal from this process's own writers. Blocking calls sleep
// here instead of in std::this_thread::sleep_for, so both end a sleep at
// once. Thread-safe.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace xrun {

class Wakeup {
 public:
  enum class Woken { Timeout, Changed, Interrupted };

  // How many interrupts have been raised. A blocking call takes this at its
  // start and is interrupted once it differs: an interrupt reaches the
  // calls that are blocked (or about to block) when it is raised, never a
  // call that starts after it.
  uint64_t interrupts() const;
  // How many local store commits have been signalled.
  uint64_t changes() const;

  void interrupt();
  void notify_change();

  // Sleeps up to `ms` (>= 0). Returns Interrupted if interrupts() differs
  // from `seen_interrupts`, Changed if `seen_changes` is given and
  // changes() differs from it, else Timeout once the time is up.
  Woken sleep_for(int64_t ms, uint64_t seen_interrupts, const uint64_t* seen_changes = nullptr);

 private:
  mutable std::mutex mutex_;
  std::condition_variable woken_;
  uint64_t interrupts_ = 0;
  uint64_t changes_ = 0;
};

}  // namespace xrun
