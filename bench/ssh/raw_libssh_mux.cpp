#include "raw_libssh_mux.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <chrono>
#include <cstring>
#include <memory>

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Exits the bench (sshtest::die), naming libssh's last error.
void give_up(ssh_session s, const std::string& what) {
  sshtest::die("raw libssh client: " + what + ": " + ssh_get_error(s));
}

void set(ssh_session s, ssh_options_e opt, const void* value, const char* what) {
  if (ssh_options_set(s, opt, value) != SSH_OK) give_up(s, std::string("option ") + what);
}

// Blocking connect, host key check and public key authentication.
void connect_and_authenticate(ssh_session s, const sshtest::Testbed& tb) {
  set(s, SSH_OPTIONS_HOST, tb.host.c_str(), "host");
  unsigned int port = static_cast<unsigned int>(tb.port);
  set(s, SSH_OPTIONS_PORT, &port, "port");
  set(s, SSH_OPTIONS_USER, tb.user.c_str(), "user");
  set(s, SSH_OPTIONS_KNOWNHOSTS, tb.known_hosts.c_str(), "knownhosts");
  int no = 0, yes = 1;
  set(s, SSH_OPTIONS_PROCESS_CONFIG, &no, "process_config");  // as xrun's testbed machine: no ~/.ssh/config
  set(s, SSH_OPTIONS_NODELAY, &yes, "nodelay");  // as xrun: small packets must not wait for delayed ACKs
  if (ssh_connect(s) != SSH_OK) give_up(s, "connect");
  if (ssh_session_is_known_server(s) != SSH_KNOWN_HOSTS_OK) give_up(s, "host key not in " + tb.known_hosts);
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_file(tb.key.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK)
    sshtest::die("raw libssh client: cannot read the key " + tb.key);
  const int auth = ssh_userauth_publickey(s, nullptr, key);
  ssh_key_free(key);
  if (auth != SSH_AUTH_SUCCESS) give_up(s, "public key authentication");
}

// One command's channel. Only ssh_event_dopoll waits for the server; the
// replies land in channel state and callbacks, which advance() reads without
// I/O. A call that does I/O (open, exec, close) only ever comes with a step
// forward, so the loop never waits on the socket for a packet that one of
// those calls already consumed.
class Slot {
 public:
  Slot(ssh_session s, const std::string& command) : s_(s), command_(command) {
    memset(&cb_, 0, sizeof cb_);
    cb_.userdata = this;
    cb_.channel_data_function = [](ssh_session, ssh_channel, void*, uint32_t len, int, void*) -> int {
      return static_cast<int>(len);  // read and dropped: `true` prints nothing anyway
    };
    cb_.channel_exit_status_function = [](ssh_session, ssh_channel, int status, void* self) {
      static_cast<Slot*>(self)->exit_status_ = status;
    };
    ssh_callbacks_init(&cb_);
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  ~Slot() {
    if (ch_) ssh_channel_free(ch_);
  }
  bool idle() const { return ch_ == nullptr; }

  void start() {
    ch_ = ssh_channel_new(s_);
    if (!ch_) give_up(s_, "ssh_channel_new");
    if (ssh_set_channel_callbacks(ch_, &cb_) != SSH_OK) give_up(s_, "channel callbacks");
    exit_status_ = -1;
    step_ = Step::Open;
  }

  enum class Progress { None, Stepped, Finished };

  // Does what can be done without waiting; exits the bench on a failure.
  Progress advance() {
    Progress p = Progress::None;
    switch (step_) {
      case Step::Open: {
        const int rc = ssh_channel_open_session(ch_);  // sends the open; SSH_AGAIN until confirmed
        if (rc != SSH_OK && rc != SSH_AGAIN) give_up(s_, "channel open");
        step_ = Step::Opening;
        p = Progress::Stepped;
      }
        [[fallthrough]];
      case Step::Opening:
        // (A refusal has no I/O-free test; check_stalled() finds it.)
        if (!ssh_channel_is_open(ch_)) return p;
        // The reply to the exec request is not waited for: the command's
        // EOF, exit status and close say all there is to know.
        if (ssh_channel_request_exec(ch_, command_.c_str()) == SSH_ERROR) give_up(s_, "exec request");
        step_ = Step::Running;
        p = Progress::Stepped;
        [[fallthrough]];
      case Step::Running:
        // Its output is dropped by the data callback; done at EOF + exit status.
        if (!ssh_channel_is_eof(ch_) || exit_status_ == -1) {
          if (!ssh_is_connected(s_)) give_up(s_, "connection lost");
          if (ssh_channel_is_closed(ch_)) give_up(s_, "channel closed before EOF and exit status");
          return p;
        }
        if (exit_status_ != 0) sshtest::die("raw libssh client: true exited " + std::to_string(exit_status_));
        ssh_remove_channel_callbacks(ch_, &cb_);
        ssh_channel_close(ch_);
        ssh_channel_free(ch_);  // libssh drops it once the server's close arrives
        ch_ = nullptr;
        return Progress::Finished;
    }
    return p;
  }

  // After a quiet second: a channel still opening asks libssh why (a
  // refused open, e.g. past the server's MaxSessions, is an error).
  void check_stalled() {
    if (ch_ && step_ == Step::Opening && ssh_channel_open_session(ch_) == SSH_ERROR)
      give_up(s_, "channel open refused");
  }

 private:
  enum class Step { Open, Opening, Running };
  ssh_session s_;
  std::string command_;
  ssh_channel ch_ = nullptr;
  Step step_ = Step::Open;
  int exit_status_ = -1;
  struct ssh_channel_callbacks_struct cb_;
};

}  // namespace

RawMuxResult raw_libssh_mux(const sshtest::Testbed& tb, int in_flight, int total, const std::string& command) {
  RawMuxResult r;
  ssh_session s = ssh_new();
  if (!s) sshtest::die("raw libssh client: ssh_new");
  const double t0 = now_ms();
  connect_and_authenticate(s, tb);
  r.connect_ms = now_ms() - t0;

  ssh_set_blocking(s, 0);
  ssh_event ev = ssh_event_new();
  if (!ev || ssh_event_add_session(ev, s) != SSH_OK) give_up(s, "ssh_event");
  {
    std::vector<std::unique_ptr<Slot>> slots;  // stable addresses: libssh holds their callbacks
    for (int i = 0; i < in_flight; ++i) slots.push_back(std::make_unique<Slot>(s, command));
    int started = 0;
    double last_progress = now_ms();
    while (r.commands < total) {
      bool progressed = false;
      for (auto& slot : slots) {
        if (slot->idle()) {
          if (started == total) continue;
          slot->start();
          ++started;
        }
        Slot::Progress p = slot->advance();
        if (p == Slot::Progress::Finished) ++r.commands;
        progressed = progressed || p != Slot::Progress::None;
      }
      if (progressed) {
        last_progress = now_ms();
        continue;
      }
      // Nothing to do until the server answers (this also flushes what we queued).
      const int rc = ssh_event_dopoll(ev, 1000);
      if (rc == SSH_ERROR && !ssh_is_connected(s)) give_up(s, "connection lost");
      if (rc == SSH_AGAIN)
        for (auto& slot : slots) slot->check_stalled();
      if (now_ms() - last_progress > 30000) give_up(s, "no progress for 30 s");
    }
  }
  r.wall_ms = now_ms() - t0;
  ssh_event_remove_session(ev, s);
  ssh_event_free(ev);
  ssh_disconnect(s);
  ssh_free(s);
  return r;
}
