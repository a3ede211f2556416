// One connected, host-key-verified, authenticated libssh session. libssh
// sessions are not thread-safe: a Connection is used by one thread at a
// time (the pool lends it out whole), and serves one command at a time.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "transport/ssh/command_channel.h"
#include "transport/ssh/dialer.h"
#include "transport/ssh/libssh_handles.h"
#include "transport/ssh/prompter.h"
#include "transport/ssh/ssh_target.h"
#include "transport/transport.h"
#include "util/error.h"
#include "util/log.h"

namespace xrun::ssh {

// Records the timed steps of opening a connection, for `machines check`.
class StepLog {
 public:
  void begin(const char* step);
  void ok(const std::string& detail = "");
  void fail(const Error& e);
  std::vector<CheckStep> steps;

 private:
  std::string current_;
  int64_t start_ms_ = 0;
};

// A command whose only output must be "xrun-probe:42:<login shell>": any
// text before it comes from shell startup files, a failure or other text
// means a shell xrun cannot drive.
constexpr const char* kShellProbe = "printf 'xrun-probe:%s:%s\\n' \"$((6*7))\" \"${SHELL:-?}\"";
constexpr const char* kShellProbeAnswerPrefix = "xrun-probe:42:";

// The server refused to open a channel on a connection that is otherwise
// fine: sshd's MaxSessions reached. Whatever needed the channel surely did
// not run; another connection (or a later try) may get one.
class ChannelRefused : public Error {
 public:
  using Error::Error;
};

// The number of a signal named as SSH names them ("KILL"), 0 if unknown.
int signal_number(const char* name);

class Connection final : public CommandChannel {
 public:
  // Connects, verifies the host key, authenticates, within the machine's
  // connect timeout and the caller's deadline. `before_handshake` runs once
  // the byte stream is open and before the first SSH byte (the pool's
  // handshake budget): a host that refuses the TCP connection costs no
  // handshake. Throws Error with XRUN_E_TRANSPORT, XRUN_E_HOSTKEY or
  // XRUN_E_AUTH (or what before_handshake throws).
  static std::unique_ptr<Connection> open(const SshTarget& target, const Prompter& prompter,
                                          const Logger& logger, StepLog* log, int64_t deadline_ms,
                                          const std::function<void()>& before_handshake = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `command` on a new channel. `started` becomes true once the exec
  // request has been sent: before that a failure means the command surely
  // did not run. Throws XRUN_E_TRANSPORT (the connection is then broken)
  // or XRUN_E_TIMEOUT (the command is signalled and its channel closed).
  // Past `max_stdout` collected bytes (or kMaxCommandStderr of stderr) the
  // command is killed and the result says output_capped.
  CommandResult exec(const std::string& command, const std::string& stdin_data, int64_t deadline_ms,
                     bool& started, size_t max_stdout = kMaxCommandStdout) override;

  // The same, streaming: stdin is pulled from `stdin_source` (returns the
  // bytes it put in the buffer, 0 at the end; may be empty), stdout is
  // pushed to `stdout_sink` (empty: collected into the result). Either
  // may throw to abandon the command.
  CommandResult exec_streaming(const std::string& command, const StdinSource& stdin_source,
                               const StdoutSink& stdout_sink, int64_t deadline_ms, bool& started,
                               size_t max_stdout = kMaxCommandStdout) override;
  std::string name() const override { return target_.key(); }

  // The SFTP session, opened on first use; nullptr if the server has no
  // sftp subsystem. Throws XRUN_E_TRANSPORT if the connection fails,
  // ChannelRefused if the server refused the channel (MaxSessions).
  sftp_session sftp();
  // True while an SFTP session (one channel on the server) is open.
  bool has_sftp() const { return sftp_ != nullptr; }

  // What the login shell prints before a command's own output (a banner
  // from ~/.bashrc), at most 120 bytes; "" if nothing or not known.
  std::string startup_output();

  void mark_broken() { broken_ = true; }
  bool broken() const { return broken_; }
  ssh_session session() const { return session_.get(); }
  const SshTarget& target() const { return target_; }
  std::string last_error() const;

 private:
  Connection(const SshTarget& target, const Prompter& prompter, const Logger& logger);
  void connect(StepLog* log, int64_t deadline_ms, const std::function<void()>& before_handshake);
  void verify_host_key();
  std::string authenticate();  // the method that worked
  int auth_with_key_file(const std::string& path);
  int auth_kbdint();
  int auth_password();
  [[noreturn]] void fail_transport(const std::string& what);

  SshTarget target_;
  Prompter prompter_;
  Logger logger_;
  Stream stream_;  // declared before session_: a proxy outlives the session on it
  SessionPtr session_;
  SftpPtr sftp_;
  bool sftp_missing_ = false;
  bool broken_ = false;
  struct SessionCallbacks;
  std::unique_ptr<SessionCallbacks> callbacks_;
};

}  // namespace xrun::ssh
