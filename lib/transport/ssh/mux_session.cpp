#include "transport/ssh/mux_session.h"

#include <fcntl.h>
#include <libssh/callbacks.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <list>
#include <new>

#include "util/clock.h"
#include "util/shell_quote.h"

namespace xrun::ssh {
namespace {

// A caller gives up this long after its deadline if the I/O thread has not
// answered (it is inside a file operation that the watchdog will end).
constexpr int64_t kCallerGraceMs = 500;
// A channel we closed (a killed command) must see the server's close by
// then; a server that does not answer a close is not answering at all.
constexpr int64_t kCloseConfirmMs = 5000;
// Longest sleep of the I/O thread: with channels open / idle. New work
// wakes it at once through the pipe; this only bounds deadline checks.
constexpr int64_t kBusyWaitCapMs = 100;
constexpr int64_t kIdleWaitCapMs = 1000;
constexpr size_t kStdinChunk = 32 * 1024;
constexpr bool kSpareChannel = false;

bool session_dead(ssh_session s) {
  return !ssh_is_connected(s) || (ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR));
}

int drain_wake_pipe(socket_t fd, int /*revents*/, void* /*userdata*/) {
  char buf[256];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
  return 0;
}

}  // namespace

// What went wrong, carried from the I/O thread to the caller as plain data
// and thrown there anew: an exception object shared by two threads is
// freed by whichever drops it last, outside anything TSan can follow.
struct MuxSession::Failure {
  enum class Kind { None, Error, Refused, Other };
  Kind kind = Kind::None;
  xrun_status status = XRUN_OK;
  std::string message;

  explicit operator bool() const { return kind != Kind::None; }
  [[noreturn]] void raise() const {
    if (kind == Kind::Refused) throw ChannelRefused(status, message);
    if (kind == Kind::Error) throw Error(status, message);
    throw Error(XRUN_E_INTERNAL, message);
  }
  static Failure error(xrun_status status, const std::string& message) {
    return Failure{Kind::Error, status, message};
  }
};

struct MuxSession::Command {
  std::string command, stdin_data;
  size_t max_stdout = kMaxCommandStdout;
  int64_t deadline_ms = 0;
  // Written by the I/O thread before `done` is set under mu_; read by the
  // caller after.
  bool done = false, started = false, refused = false;
  Failure error;
  CommandResult result;
  std::atomic<bool> abandoned{false};  // the caller left at its deadline
  std::condition_variable cv;          // its caller waits on it (with mu_)
};

struct MuxSession::Exclusive {
  std::function<void(Connection&)> fn;
  bool done = false;
  Failure error;
  std::condition_variable cv;
};

// One channel, owned by the I/O thread. Its libssh callbacks point here,
// so it lives in a std::list (stable address) until unhooked and freed.
struct MuxSession::Channel {
  // Ready: a spare channel, open ahead of need, waiting for a command.
  enum class State { Opening, Ready, Requesting, Running, Closing };
  std::shared_ptr<Command> cmd;  // null once the caller was answered (or spare)
  bool spare = false;
  ChannelPtr ch;
  State state = State::Opening;
  std::string exec_line;
  struct ssh_channel_callbacks_struct cb;
  bool hooked = false;
  int exit_status = -1, exit_signal = 0;
  bool remote_closed = false;
  size_t stdin_off = 0;
  bool eof_sent = false;
  int64_t close_by = 0;  // Closing: the server's close expected by then
  bool output_seen = false;
  // The poll round of the last open/exec attempt: a pending request is
  // asked again only after packets arrived (each ask polls the socket).
  uint64_t asked_in_round = 0;

  static void on_exit_status(ssh_session, ssh_channel, int status, void* self) {
    static_cast<Channel*>(self)->exit_status = status;
  }
  static void on_exit_signal(ssh_session, ssh_channel, const char* signal, int, const char*, const char*,
                             void* self) {
    static_cast<Channel*>(self)->exit_signal = signal_number(signal);
  }
  static void on_close(ssh_session, ssh_channel, void* self) { static_cast<Channel*>(self)->remote_closed = true; }
  // Output goes straight into the result as packets are handled: no read
  // calls, and libssh re-opens the window as it is consumed.
  static int on_data(ssh_session, ssh_channel, void* data, uint32_t len, int is_stderr, void* self) {
    auto* c = static_cast<Channel*>(self);
    if (!c->cmd) return static_cast<int>(len);  // answered already: dropped
    std::string& into = is_stderr ? c->cmd->result.err : c->cmd->result.out;
    const size_t cap = is_stderr ? kMaxCommandStderr : c->cmd->max_stdout;
    // One byte past the cap marks it passed; the rest is dropped.
    if (into.size() <= cap) into.append(static_cast<const char*>(data), std::min<size_t>(len, cap + 1 - into.size()));
    c->output_seen = true;
    return static_cast<int>(len);
  }

  void hook() {
    memset(&cb, 0, sizeof cb);
    cb.userdata = this;
    cb.channel_exit_status_function = on_exit_status;
    cb.channel_exit_signal_function = on_exit_signal;
    cb.channel_close_function = on_close;
    cb.channel_data_function = on_data;
    ssh_callbacks_init(&cb);
    ssh_set_channel_callbacks(ch.get(), &cb);
    hooked = true;
  }
  // A channel freed before the server closed it lingers inside libssh and
  // may still get callbacks: unhook first.
  ~Channel() {
    if (ch && hooked) ssh_remove_channel_callbacks(ch.get(), &cb);
  }
};

// ---------------------------------------------------------------- callers

MuxSession::MuxSession(std::unique_ptr<Connection> conn, std::shared_ptr<MuxCounters> counters, Logger logger)
    : conn_(std::move(conn)), target_(conn_->target()), counters_(std::move(counters)), logger_(logger) {
  if (pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0)
    throw Error(XRUN_E_TRANSPORT, "cannot create the wake-up pipe of the session to " + target_.key());
  last_used_ms_ = monotonic_ms();
  io_ = std::thread([this] { io_loop(); });
}

MuxSession::~MuxSession() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  wake(true);
  if (io_.joinable()) io_.join();
  conn_.reset();  // disconnects, now that no thread uses the session
  for (int fd : wake_fds_)
    if (fd >= 0) ::close(fd);
}

void MuxSession::wake(bool always) {
  // A busy I/O thread takes new requests on its next turn without being
  // told: one syscall saved per command under load.
  if (!always && !sleeping_.load()) return;
  char b = 1;
  ssize_t n = ::write(wake_fds_[1], &b, 1);
  (void)n;  // a full pipe already means "wake up"
}

bool MuxSession::run(const std::string& command, const std::string& stdin_data, int64_t deadline_ms,
                     size_t max_stdout, bool& started, CommandResult& out) {
  started = false;
  auto cmd = std::make_shared<Command>();
  cmd->command = command;
  cmd->stdin_data = stdin_data;
  cmd->max_stdout = max_stdout;
  cmd->deadline_ms = deadline_ms;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (!death_.empty()) throw Error(XRUN_E_TRANSPORT, death_);
    commands_.push_back(cmd);
  }
  wake();
  std::unique_lock<std::mutex> lk(mu_);
  const int64_t give_up = deadline_ms + kCallerGraceMs;
  while (!cmd->done) {
    int64_t left = give_up - monotonic_ms();
    if (left <= 0) {
      cmd->abandoned = true;
      lk.unlock();
      wake(true);
      started = true;  // not known: say it may have run
      throw Error(XRUN_E_TIMEOUT, "command timed out on " + target_.key() +
                                      " (the session was busy with a file operation): " + command.substr(0, 200));
    }
    cmd->cv.wait_for(lk, std::chrono::milliseconds(left));
  }
  started = cmd->started;
  if (cmd->refused) return false;
  if (cmd->error) cmd->error.raise();
  out = std::move(cmd->result);
  return true;
}

void MuxSession::exclusive(const std::function<void(Connection&)>& fn) {
  auto x = std::make_shared<Exclusive>();
  x->fn = fn;  // refers to the caller's stack: the caller waits until it is done
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (!death_.empty()) throw Error(XRUN_E_TRANSPORT, death_);
    exclusives_.push_back(x);
  }
  wake();
  std::unique_lock<std::mutex> lk(mu_);
  x->cv.wait(lk, [&] { return x->done; });
  if (x->error) x->error.raise();
}

// ---------------------------------------------------------------- I/O thread

void MuxSession::answer(Channel& c) {
  std::shared_ptr<Command> cmd = std::move(c.cmd);
  if (!cmd) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    cmd->done = true;
  }
  cmd->cv.notify_one();
  last_used_ms_ = monotonic_ms();
}

void MuxSession::answer_error(Channel& c, xrun_status status, const std::string& message) {
  if (!c.cmd) return;
  c.cmd->error = Failure::error(status, message);
  answer(c);
}

// Asks the command to die and closes our side; the server's close follows.
void MuxSession::kill_and_close(Channel& c) {
  ssh_channel_request_send_signal(c.ch.get(), "KILL");
  ssh_channel_close(c.ch.get());
  c.state = Channel::State::Closing;
  c.close_by = monotonic_ms() + kCloseConfirmMs;
}

MuxSession::Step MuxSession::step(Channel& c, int64_t now, bool& progressed) {
  ssh_session s = conn_->session();
  const std::string where = " on " + target_.key() + ": ";
  if (c.cmd && c.state != Channel::State::Closing && (now >= c.cmd->deadline_ms || c.cmd->abandoned)) {
    const char* when = c.state == Channel::State::Running ? (c.eof_sent ? "while it ran" : "while sending stdin")
                                                          : "while opening a channel";
    answer_error(c, XRUN_E_TIMEOUT, std::string("command timed out ") + when + where + c.exec_line.substr(0, 200));
    progressed = true;
  }
  switch (c.state) {
    case Channel::State::Opening: {
      if (!c.ch) c.ch.reset(ssh_channel_new(s));
      if (!c.ch) {
        answer_error(c, XRUN_E_TRANSPORT, "cannot create a channel" + where + conn_->last_error());
        return Step::Remove;
      }
      if (c.asked_in_round == round_) return Step::Keep;
      c.asked_in_round = round_;
      int rc = ssh_channel_open_session(c.ch.get());
      if (rc == SSH_AGAIN) return Step::Keep;
      progressed = true;
      if (rc != SSH_OK) {
        if (session_dead(s)) return Step::Dead;
        return Step::Refused;  // a live connection said no: sshd's MaxSessions
      }
      c.hook();
      if (c.spare) {
        c.state = Channel::State::Ready;
        return Step::Keep;
      }
      if (!c.cmd) {  // its caller was answered (deadline) while it opened
        ssh_channel_close(c.ch.get());
        c.state = Channel::State::Closing;
        c.close_by = now + kCloseConfirmMs;
        return Step::Keep;
      }
      c.state = Channel::State::Requesting;
      c.cmd->started = true;  // the exec request goes out next
      c.asked_in_round = 0;
      [[fallthrough]];
    }
    case Channel::State::Ready:
      if (c.state == Channel::State::Ready) return Step::Keep;
      [[fallthrough]];
    case Channel::State::Requesting: {
      if (c.asked_in_round == round_) return Step::Keep;
      c.asked_in_round = round_;
      int rc = ssh_channel_request_exec(c.ch.get(), c.exec_line.c_str());
      if (rc == SSH_AGAIN) return Step::Keep;
      progressed = true;
      if (rc != SSH_OK) {
        if (session_dead(s)) return Step::Dead;
        answer_error(c, XRUN_E_TRANSPORT, "the server refused to run a command" + where + conn_->last_error());
        kill_and_close(c);
        return Step::Keep;
      }
      c.state = Channel::State::Running;
      [[fallthrough]];
    }
    case Channel::State::Running: {
      if (!c.cmd) {
        kill_and_close(c);
        return Step::Keep;
      }
      Command& cmd = *c.cmd;
      ssh_channel ch = c.ch.get();
      // Stdin only as far as the server's window allows, output read in
      // between: a command that writes while it reads (cat) stops reading
      // once its own output is not consumed.
      while (!c.eof_sent && !c.remote_closed && c.stdin_off < cmd.stdin_data.size()) {
        uint32_t window = ssh_channel_window_size(ch);
        if (window == 0) break;
        size_t chunk = std::min<size_t>({cmd.stdin_data.size() - c.stdin_off, window, kStdinChunk});
        int n = ssh_channel_write(ch, cmd.stdin_data.data() + c.stdin_off, static_cast<uint32_t>(chunk));
        if (n < 0) {
          if (session_dead(s)) return Step::Dead;
          c.stdin_off = cmd.stdin_data.size();  // it exited without reading all of it: its business
          break;
        }
        if (n == 0) break;
        c.stdin_off += static_cast<size_t>(n);
        progressed = true;
      }
      if (!c.eof_sent && (c.stdin_off >= cmd.stdin_data.size() || c.remote_closed)) {
        c.eof_sent = true;
        if (!c.remote_closed && ssh_channel_send_eof(ch) != SSH_OK && session_dead(s)) return Step::Dead;
      }
      if (c.output_seen) {
        c.output_seen = false;
        progressed = true;
      }
      if (cmd.result.out.size() > cmd.max_stdout || cmd.result.err.size() > kMaxCommandStderr) {
        // Keep what fits, stop the command: its output is not worth memory.
        cmd.result.out.resize(std::min(cmd.result.out.size(), cmd.max_stdout));
        cmd.result.err.resize(std::min(cmd.result.err.size(), kMaxCommandStderr));
        logger_.warn("command on " + target_.key() + " killed: its output passed the cap (" +
                     std::to_string(cmd.max_stdout) + " bytes of stdout, " + std::to_string(kMaxCommandStderr) +
                     " of stderr): " + cmd.command.substr(0, 200));
        cmd.result.exit_status = 128 + 9;
        cmd.result.output_capped = true;
        answer(c);
        kill_and_close(c);
        return Step::Keep;
      }
      if (!c.remote_closed) return Step::Keep;
      // The server closed the channel: its output came before the close.
      int status = c.exit_status;
      if (status < 0 && c.exit_signal) status = 128 + c.exit_signal;
      cmd.result.exit_status = status;
      answer(c);
      return Step::Remove;
    }
    case Channel::State::Closing:
      if (c.remote_closed) return Step::Remove;
      if (now >= c.close_by) return Step::Unanswered;
      return Step::Keep;
  }
  return Step::Keep;
}

int64_t MuxSession::server_channels(const std::list<std::unique_ptr<Channel>>& channels) const {
  int64_t n = conn_->has_sftp() ? 1 : 0;
  for (const auto& c : channels)
    if (c->ch && (ssh_channel_is_open(c->ch.get()) || (c->state == Channel::State::Closing && !c->remote_closed))) n++;
  return n;
}

void MuxSession::learn_limit(int64_t open_now) {
  counters_->channels_refused++;
  // What we count open is a lower bound of what the server counts (a
  // close it has not processed yet still counts there): keep the highest.
  int64_t known = counters_->channel_limit.load();
  if (open_now > known) {
    counters_->channel_limit = open_now;
    logger_.info("the server " + target_.key() + " allows " + std::to_string(open_now) +
                 " channels per connection (its MaxSessions); more commands at once use another connection");
  }
}

// The server refused `c`'s channel while `open_now` others were open.
void MuxSession::refused(Channel& c, int64_t open_now) {
  learn_limit(open_now);
  if (!c.cmd) return;
  if (open_now <= 0) {
    answer_error(c, XRUN_E_TRANSPORT,
                 "the server " + target_.key() + " refused to open a channel with none open: " + conn_->last_error());
    return;
  }
  c.cmd->refused = true;
  answer(c);
}

void MuxSession::fail_everything(const std::string& why, std::list<std::unique_ptr<Channel>>& channels) {
  std::deque<std::shared_ptr<Command>> queued;
  std::deque<std::shared_ptr<Exclusive>> queued_x;
  {
    std::lock_guard<std::mutex> lk(mu_);
    death_ = why;
    queued.swap(commands_);
    queued_x.swap(exclusives_);
  }
  alive_ = false;
  conn_->mark_broken();
  for (auto& c : channels) answer_error(*c, XRUN_E_TRANSPORT, why);
  channels.clear();  // before the session, which the destructor frees
  const Failure err = Failure::error(XRUN_E_TRANSPORT, why);
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& c : queued) {
      c->error = err;
      c->done = true;
    }
    for (auto& x : queued_x) {
      x->error = err;
      x->done = true;
    }
  }
  for (auto& c : queued) c->cv.notify_one();
  for (auto& x : queued_x) x->cv.notify_one();
  unreserved_channels_ = 0;
  if (counters_->on_room) counters_->on_room();
}

void MuxSession::io_loop() {
  ssh_session s = conn_->session();
  const std::string where = target_.key() + " (machine " + target_.machine + ")";
  std::list<std::unique_ptr<Channel>> channels;
  ssh_event ev = ssh_event_new();
  if (!ev || ssh_event_add_session(ev, s) != SSH_OK ||
      ssh_event_add_fd(ev, wake_fds_[0], POLLIN, drain_wake_pipe, nullptr) != SSH_OK) {
    if (ev) ssh_event_free(ev);
    fail_everything("cannot poll the session to " + where, channels);
    return;
  }
  ssh_set_blocking(s, 0);
  int64_t last_traffic = monotonic_ms();
  std::string death;
  for (;;) {
    std::deque<std::shared_ptr<Command>> incoming;
    std::deque<std::shared_ptr<Exclusive>> incoming_x;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (stopping_) {
        death = "the session to " + where + " was closed";
        break;
      }
      incoming.swap(commands_);
      incoming_x.swap(exclusives_);
    }
    bool progressed = !incoming.empty() || !incoming_x.empty();
    if (!incoming.empty()) {
      // What arrived while idle first (a closed connection): a command
      // given to a dead session's spare channel would count as started.
      ssh_event_dopoll(ev, 0);
      if (session_dead(s)) {
        std::lock_guard<std::mutex> lk(mu_);
        commands_.insert(commands_.begin(), incoming.begin(), incoming.end());
        death = "connection to " + where + " lost: " + conn_->last_error();
        break;
      }
    }
    for (auto& cmd : incoming) {
      // The spare channel first: it saves the round trip of opening one.
      auto spare = std::find_if(channels.begin(), channels.end(), [](const auto& c) { return c->spare; });
      Channel* c = spare != channels.end() ? spare->get() : nullptr;
      if (!c) {
        channels.push_back(std::make_unique<Channel>());
        c = channels.back().get();
      }
      c->spare = false;
      c->cmd = std::move(cmd);
      // Under /bin/sh whatever the login shell (csh and tcsh read $, ! and
      // newlines their own way).
      c->exec_line = for_any_login_shell(c->cmd->command);
      if (c->state == Channel::State::Ready) {
        c->state = Channel::State::Requesting;
        c->cmd->started = true;
        c->asked_in_round = 0;
      }
      ran_commands_ = true;
    }
    for (auto& x : incoming_x) {
      ssh_set_blocking(s, 1);
      try {
        x->fn(*conn_);
      } catch (const ChannelRefused& e) {
        learn_limit(server_channels(channels));
        x->error = Failure{Failure::Kind::Refused, e.status(), e.what()};
      } catch (const Error& e) {
        x->error = Failure::error(e.status(), e.what());
      } catch (const std::bad_alloc&) {
        x->error = Failure::error(XRUN_E_NOMEM, "out of memory in a file operation on " + target_.key());
      } catch (const std::exception& e) {
        x->error = Failure{Failure::Kind::Other, XRUN_E_INTERNAL, e.what()};
      } catch (...) {
        x->error = Failure{Failure::Kind::Other, XRUN_E_INTERNAL, "an unknown exception in a file operation"};
      }
      ssh_set_blocking(s, 0);
      {
        std::lock_guard<std::mutex> lk(mu_);
        x->done = true;
      }
      x->cv.notify_one();
      last_used_ms_ = last_traffic = monotonic_ms();
      if (conn_->broken() || session_dead(s)) {
        death = "connection to " + where + " lost: " + conn_->last_error();
        break;
      }
    }
    if (!death.empty()) break;

    const int64_t now = monotonic_ms();
    for (auto it = channels.begin(); it != channels.end();) {
      Step st = step(**it, now, progressed);
      if (st == Step::Refused) {
        refused(**it, server_channels(channels));  // a refused channel is not open: not counted
        it = channels.erase(it);
        progressed = true;
        continue;
      }
      if (st == Step::Dead) {
        death = "connection to " + where + " lost while the command ran: " + conn_->last_error();
        break;
      }
      if (st == Step::Unanswered) {
        death = "the server " + where + " did not confirm closing a channel within " +
                std::to_string(kCloseConfirmMs / 1000) + " s: it stopped answering";
        break;
      }
      if (st == Step::Remove) {
        it = channels.erase(it);
        progressed = true;
      } else {
        ++it;
      }
    }
    if (!death.empty()) break;
    if (session_dead(s)) {
      death = "connection to " + where + " lost: " + conn_->last_error();
      break;
    }

    // What the server counts that no reservation covers: our SFTP channel,
    // and closed channels it has not confirmed yet.
    int64_t closing = 0;
    bool have_spare = false;
    for (const auto& c : channels) {
      if (!c->cmd && !c->spare) closing++;
      have_spare = have_spare || c->spare;
    }
    const int64_t open_now = server_channels(channels);
    // A channel opened ahead of need would save the next command the open
    // round trip, but that round trip is also what shows a connection that
    // died while idle before the command is sent: on a spare channel such a
    // command counted as started and could not be replayed. Off until the
    // spare can be checked first.
    const int64_t limit = counters_->channel_limit.load();
    if (kSpareChannel && !have_spare && ran_commands_ && (limit == 0 || open_now + 1 < limit)) {
      channels.push_back(std::make_unique<Channel>());
      channels.back()->spare = true;
      progressed = true;
    }
    int64_t peak = counters_->channels_peak.load();
    while (open_now > peak && !counters_->channels_peak.compare_exchange_weak(peak, open_now)) {
    }
    const int64_t unreserved = closing + (conn_->has_sftp() ? 1 : 0);
    if (unreserved_channels_.exchange(unreserved) > unreserved && counters_->on_room) counters_->on_room();

    if (progressed) {
      // The calls that made progress may also have handled packets that
      // answer other channels' pending requests.
      round_++;
      last_traffic = monotonic_ms();
      continue;
    }
    // Nothing to do until the server or a caller says something.
    int64_t wait = channels.empty() ? kIdleWaitCapMs : kBusyWaitCapMs;
    for (const auto& c : channels) {
      if (c->cmd) wait = std::min(wait, c->cmd->deadline_ms - now);
      if (c->state == Channel::State::Closing) wait = std::min(wait, c->close_by - now);
    }
    if (channels.empty() && target_.keepalive_ms > 0) {
      int64_t due = last_traffic + target_.keepalive_ms - now;
      if (due <= 0) {
        // Idle NATs and the server's ClientAlive logic see traffic.
        if (ssh_send_ignore(s, "xrun-keepalive") != SSH_OK) {
          death = "connection to " + where + " lost while idle: " + conn_->last_error();
          break;
        }
        last_traffic = now;
        due = target_.keepalive_ms;
      }
      wait = std::min(wait, due);
    }
    // Callers write to the wake-up pipe only while this thread sleeps: say
    // so first, then look at the queues once more, then sleep.
    sleeping_ = true;
    bool pending;
    {
      std::lock_guard<std::mutex> lk(mu_);
      pending = !commands_.empty() || !exclusives_.empty() || stopping_;
    }
    int rc = pending ? SSH_OK : ssh_event_dopoll(ev, static_cast<int>(std::max<int64_t>(wait, 0)));
    sleeping_ = false;
    if (rc == SSH_OK) round_++;  // something arrived: pending requests may have answers
    if (rc == SSH_ERROR && session_dead(s)) {
      death = "connection to " + where + " lost: " + conn_->last_error();
      break;
    }
  }
  ssh_event_remove_fd(ev, wake_fds_[0]);
  ssh_event_remove_session(ev, s);
  ssh_event_free(ev);
  if (!stopping_requested()) logger_.info(death + "; it will be replaced on next use");
  fail_everything(death, channels);
}

bool MuxSession::stopping_requested() {
  std::lock_guard<std::mutex> lk(mu_);
  return stopping_;
}

}  // namespace xrun::ssh
