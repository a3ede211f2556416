// One authenticated libssh session shared by every thread of the process:
// its commands run side by side, a channel each, all driven by one I/O
// thread that alone touches the session (libssh sessions are not
// thread-safe across channels). Callers on any thread submit a command and
// wait for their own completion; a file operation runs on the I/O thread
// as a whole ("exclusive"), the other channels pausing meanwhile.
//
// Who owns what: the MuxSession owns its Connection and its I/O thread;
// the I/O thread owns every open channel (and its callbacks), the caller
// owns nothing of libssh. A command's request and result are shared
// between the two through a shared_ptr, so a caller that gives up at its
// deadline leaves nothing dangling.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "transport/ssh/connection.h"

namespace xrun::ssh {

// Counters shared by the sessions of one HostPool.
struct MuxCounters {
  std::atomic<int64_t> channels_peak{0};     // most channels open at once on one session
  std::atomic<int64_t> channels_refused{0};  // channel opens the server refused
  std::atomic<int64_t> channel_limit{0};     // learnt from the first refusal; 0: none seen
  // Called (from an I/O thread) when a session frees a channel slot that a
  // caller's reservation did not account for, or dies: waiters may retry.
  std::function<void()> on_room;
};

class MuxSession {
 public:
  // Starts the I/O thread on an open, authenticated connection.
  MuxSession(std::unique_ptr<Connection> conn, std::shared_ptr<MuxCounters> counters, Logger logger);
  // Stops the I/O thread (in-flight commands fail with XRUN_E_TRANSPORT)
  // and closes the connection. Never call it on the I/O thread.
  ~MuxSession();
  MuxSession(const MuxSession&) = delete;
  MuxSession& operator=(const MuxSession&) = delete;

  // Runs `command` on a channel of its own and waits for it. Returns false
  // if the server refused the channel (sshd's MaxSessions): the command did
  // not run, the session is fine. Throws XRUN_E_TIMEOUT at `deadline_ms`
  // (the command is signalled and its channel closed), XRUN_E_TRANSPORT if
  // the connection died; `started` says whether the exec request went out.
  bool run(const std::string& command, const std::string& stdin_data, int64_t deadline_ms, size_t max_stdout,
           bool& started, CommandResult& out);

  // Runs `fn` on the I/O thread with the connection in blocking mode (for
  // SFTP and streamed commands), and waits for it; what it throws is
  // rethrown here. `fn` must bound itself (the watchdog does for SFTP).
  void exclusive(const std::function<void(Connection&)>& fn);

  // False once the connection died or was stopped; it is then replaced.
  bool alive() const { return alive_.load(); }
  // Channels the server counts that no caller's reservation does: the SFTP
  // channel, and channels closed by us whose close the server has not yet
  // confirmed.
  int64_t unreserved_channels() const { return unreserved_channels_.load(); }
  int64_t last_used_ms() const { return last_used_ms_.load(); }
  const SshTarget& target() const { return target_; }

  // Reservations by the pool (guarded by the pool's mutex): channel slots
  // taken, and how many of them are file operations.
  int reserved = 0;
  int file_ops = 0;

 private:
  struct Failure;
  struct Command;
  struct Exclusive;
  struct Channel;

  enum class Step { Keep, Remove, Refused, Dead, Unanswered };

  void io_loop();
  void wake(bool always = false);
  bool stopping_requested();
  // Moves one channel on as far as it goes without waiting.
  Step step(Channel& c, int64_t now, bool& progressed);
  void answer(Channel& c);
  void answer_error(Channel& c, xrun_status status, const std::string& message);
  void kill_and_close(Channel& c);
  void refused(Channel& c, int64_t open_now);
  void learn_limit(int64_t open_now);
  // Channels the server counts as open on this connection.
  int64_t server_channels(const std::list<std::unique_ptr<Channel>>& channels) const;
  void fail_everything(const std::string& why, std::list<std::unique_ptr<Channel>>& channels);

  std::unique_ptr<Connection> conn_;
  const SshTarget target_;
  std::shared_ptr<MuxCounters> counters_;
  Logger logger_;

  std::mutex mu_;  // the queues, death_, and each request's `done`
  std::deque<std::shared_ptr<Command>> commands_;      // submitted, not yet taken by the I/O thread
  std::deque<std::shared_ptr<Exclusive>> exclusives_;  // likewise
  bool stopping_ = false;
  std::string death_;  // why the connection is gone, once it is

  std::atomic<bool> alive_{true};
  std::atomic<int64_t> unreserved_channels_{0};
  std::atomic<int64_t> last_used_ms_{0};
  std::atomic<bool> sleeping_{false};  // the I/O thread is (about to be) in poll
  int wake_fds_[2] = {-1, -1};
  uint64_t round_ = 1;  // I/O thread: poll rounds that handled something
  bool ran_commands_ = false;  // I/O thread: a spare channel is kept once true
  std::thread io_;
};

}  // namespace xrun::ssh
