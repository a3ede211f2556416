// The connections to one (host, port, user): ONE authenticated session
// carries every thread's commands, a channel each (MuxSession and its I/O
// thread). A second connection opens only when the server refuses a
// channel (sshd's MaxSessions, learnt from the refusal), up to
// max_sessions connections, with a bounded number of handshakes per minute.
// A file operation holds its session's I/O thread while it runs (libssh
// 0.10 SFTP calls block), so commands prefer a session without one. Idle sessions are closed after
// idle_timeout and kept alive before that by their I/O thread.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "transport/ssh/connection.h"
#include "transport/ssh/mux_session.h"
#include "transport/ssh/watchdog.h"

namespace xrun::ssh {

class HostPool {
 public:
  HostPool(SshTarget target, Prompter prompter, Logger logger);
  ~HostPool();

  // A reserved channel slot on one session; given back when it ends.
  class Slot {
   public:
    Slot(HostPool* pool, std::shared_ptr<MuxSession> session, bool for_files)
        : pool_(pool), session_(std::move(session)), for_files_(for_files) {}
    Slot(Slot&& o) noexcept : pool_(o.pool_), session_(std::move(o.session_)), for_files_(o.for_files_) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot();
    MuxSession* operator->() const { return session_.get(); }

   private:
    HostPool* pool_;
    std::shared_ptr<MuxSession> session_;
    bool for_files_;
  };

  // Waits until `deadline_ms` (monotonic) for a channel slot on a live
  // session, opening a connection only if every session is full and the
  // cap allows. Both commands and file operations (`for_files`) prefer a
  // session without a file operation. Throws XRUN_E_TIMEOUT, or what
  // opening throws.
  Slot acquire(int64_t deadline_ms, bool for_files = false);

  void note_command() { commands_++; }
  void note_transfer() { transfers_++; }
  void note_bulk_fetch() { bulk_fetches_++; }

  // Idle close; called about once a second by SshPool.
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
  void give_back(MuxSession& session, bool for_files);
  // Channels one session may carry: the server's limit once learnt.
  int64_t channels_per_session() const;

  SshTarget target_;
  Prompter prompter_;
  Logger logger_;
  std::shared_ptr<MuxCounters> counters_;

  mutable std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::shared_ptr<MuxSession>> sessions_;  // declared after freed_: destroyed first
  int64_t live_ = 0;                                   // sessions_ + being opened
  int opening_ = 0;                                    // connections being opened by acquire()
  uint64_t open_attempts_ = 0;                         // numbered, for the waiters of one
  uint64_t failed_open_ = 0;                           // the last attempt that failed, and why
  xrun_status failed_open_status_ = XRUN_OK;
  std::string failed_open_message_;

  std::mutex budget_mu_;
  std::deque<int64_t> recent_handshakes_;  // monotonic ms, last 60 s

  Watchdog watchdog_;
  std::atomic<int64_t> sessions_opened_{0}, handshakes_{0}, auths_{0}, commands_{0}, reconnects_{0},
      transfers_{0}, bulk_fetches_{0};
};

}  // namespace xrun::ssh
