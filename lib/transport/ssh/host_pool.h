// The sessions to one (host, port, user): opened on first use and reused,
// at most max_sessions of them, a bounded number of handshakes per minute,
// idle ones closed after idle_timeout and kept alive before that. A caller
// borrows a whole session (libssh sessions are not thread-safe); others
// wait for one to come back, up to their deadline.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "transport/ssh/connection.h"
#include "transport/ssh/watchdog.h"

namespace xrun::ssh {

class HostPool {
 public:
  HostPool(SshTarget target, Prompter prompter, Logger logger);
  ~HostPool();

  // A borrowed session; goes back to the pool (or is closed if broken)
  // when the lease ends.
  class Lease {
   public:
    Lease(HostPool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection* operator->() const { return conn_.get(); }
    Connection& operator*() const { return *conn_; }

   private:
    HostPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  // Waits until `deadline_ms` (monotonic) for a free session, opening one
  // if under the cap. Throws XRUN_E_TIMEOUT, or what opening throws.
  Lease acquire(int64_t deadline_ms);

  // Counts a session that died under a caller (it is then replaced).
  void note_dead_session() { reconnects_++; }
  void note_command() { commands_++; }
  void note_transfer() { transfers_++; }
  void note_bulk_fetch() { bulk_fetches_++; }

  // Idle close and keepalive; called about once a second by SshPool.
  void maintain();
  // Opens a fresh session step by step (counted against the budget) and
  // runs `true` on it; the session joins the pool if there is room.
  std::vector<CheckStep> check();
  TransportStats stats() const;

  const SshTarget& target() const { return target_; }
  // Shuts down the socket of a call that outlives its deadline.
  Watchdog& watchdog() { return watchdog_; }
  // Set once a server is seen without an SFTP subsystem.
  std::atomic<bool> sftp_missing{false};

 private:
  std::unique_ptr<Connection> open_with_retry(int64_t deadline_ms);
  std::unique_ptr<Connection> open_once(StepLog* log, int64_t deadline_ms);
  void reserve_handshake(int64_t deadline_ms);
  void give_back(std::unique_ptr<Connection> conn);

  SshTarget target_;
  Prompter prompter_;
  Logger logger_;

  mutable std::mutex mu_;
  std::condition_variable freed_;
  std::deque<std::unique_ptr<Connection>> idle_;  // most recently used at the back
  int64_t live_ = 0;                              // idle + lent + being opened

  std::mutex budget_mu_;
  std::deque<int64_t> recent_handshakes_;  // monotonic ms, last 60 s

  Watchdog watchdog_;
  std::atomic<int64_t> sessions_opened_{0}, handshakes_{0}, auths_{0}, commands_{0}, reconnects_{0},
      transfers_{0}, bulk_fetches_{0};
};

}  // namespace xrun::ssh
