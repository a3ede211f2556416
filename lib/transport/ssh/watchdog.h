// Ends a libssh call that would outlive its deadline. In blocking mode
// libssh waits without limit for SFTP replies and channel requests (its
// session timeout does not cover them), so a server that stops answering
// -- an sftp-server stuck opening a FIFO or a hung NFS file -- would hold
// the caller forever. A Guard armed with a deadline shuts the session's
// socket down once it passes (plus a grace period that lets the graceful
// paths, e.g. killing a timed-out command, go first): the stuck call then
// fails, and the caller turns that into XRUN_E_TIMEOUT and drops the
// connection. One thread per Watchdog, started on first use.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace xrun::ssh {

class Watchdog {
 public:
  static constexpr int64_t kGraceMs = 500;

  Watchdog() = default;
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  class Guard {
   public:
    Guard(Guard&& o) noexcept : dog_(o.dog_), id_(o.id_), fired_(std::move(o.fired_)) { o.dog_ = nullptr; }
    Guard& operator=(Guard&&) = delete;
    ~Guard();
    // True once the socket was shut down because the deadline passed.
    bool fired() const { return fired_ && fired_->load(); }

   private:
    friend class Watchdog;
    Guard(Watchdog* dog, uint64_t id, std::shared_ptr<std::atomic<bool>> fired)
        : dog_(dog), id_(id), fired_(std::move(fired)) {}
    Watchdog* dog_;
    uint64_t id_;
    std::shared_ptr<std::atomic<bool>> fired_;
  };

  // Watches socket `fd` until the Guard ends; at deadline_ms + kGraceMs it
  // is shut down (both directions).
  Guard arm(int fd, int64_t deadline_ms);

 private:
  struct Entry {
    int fd;
    int64_t fire_at;
    std::shared_ptr<std::atomic<bool>> fired;
  };
  void disarm(uint64_t id);
  void loop();

  std::mutex mu_;
  std::condition_variable changed_;
  std::map<uint64_t, Entry> entries_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace xrun::ssh
