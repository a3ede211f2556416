// "transport": "openssh" -- commands and files go through the user's own
// `ssh` over a ControlMaster socket (ControlPersist): every process of the
// user shares ONE authenticated connection per cluster, and whatever
// OpenSSH supports (GSSAPI/Kerberos, hardware keys, site MFA wrappers,
// `Match` blocks in ~/.ssh/config) works. Host keys are strict unless the
// machine says "accept-new". Files stream over exec with a SHA-256 checked
// on both sides (exec_files), each operation one `ssh` through the master.
//
// The socket lives in $XRUN_SSH_CONTROL_DIR, else $XDG_RUNTIME_DIR/xrun-ssh,
// else /tmp/xrun-ssh-<uid> (created 0700; refused if another user owns it
// or others may enter it), named after a hash of what reaches the host
// (user, host, port, ssh config, key, jump host). Starting the master is
// serialised across processes by a lock file beside it, so processes that
// start together still authenticate once. BatchMode: ssh never prompts;
// for a login that needs a person (a one-time password), start the master
// once from a terminal with the command `machines check` prints.
#pragma once
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "machine/machine.h"
#include "transport/ssh/command_channel.h"
#include "transport/ssh/files_transport.h"
#include "util/log.h"

namespace xrun::ssh {

class OpenSshTransport final : public FilesTransport, private CommandChannel {
 public:
  OpenSshTransport(const Machine& machine, const Logger& logger);

  CommandResult run(const std::string& command, const std::string& stdin_data = "",
                    int64_t timeout_ms = 0) override;
  std::vector<CheckStep> check() override;
  TransportStats stats() const override;

  // The ssh arguments every command starts with (for `machines check` and
  // tests): ssh -o ControlMaster=auto -o ControlPath=... [-p ...] ...
  const std::vector<std::string>& base_argv() const { return base_; }
  const std::string& control_path() const { return control_path_; }
  // Asks the master to exit (ssh -O exit): every process sharing it loses
  // it, and the next command starts a new one. For tests and shutdown
  // scripts; xrun itself leaves the master to ControlPersist (idle_timeout).
  void stop_master();

 protected:
  void use_files(const std::function<void(RemoteFiles&)>& op) override;
  void note_transfer() override { ++transfers_; }
  void note_bulk_fetch() override { ++bulk_fetches_; }
  std::string target_name() const override { return name_; }

 private:
  // CommandChannel, for exec_files.
  CommandResult exec(const std::string& command, const std::string& stdin_data, int64_t deadline_ms,
                     bool& started, size_t max_stdout) override;
  CommandResult exec_streaming(const std::string& command, const StdinSource& stdin_source,
                               const StdoutSink& stdout_sink, int64_t deadline_ms, bool& started,
                               size_t max_stdout) override;
  std::string name() const override { return name_; }

  // Makes sure a master is listening on control_path_ (starting one, once
  // across processes) before `deadline_ms`. Throws XRUN_E_TRANSPORT,
  // XRUN_E_HOSTKEY or XRUN_E_AUTH with ssh's own words.
  void ensure_master(int64_t deadline_ms);
  bool master_alive(int64_t deadline_ms);
  // For a refused host key: where ssh looked and what the server offers.
  std::string offered_host_key(int64_t deadline_ms);
  CommandResult through_ssh(const std::string& command, const std::function<CommandResult(const std::vector<std::string>&)>& spawn,
                            int64_t deadline_ms);
  std::vector<std::string> command_argv(const std::string& command) const;

  std::string name_;         // user@host:port as configured
  std::string destination_;  // the host argument of ssh
  std::vector<std::string> base_;
  std::string control_dir_, control_path_;
  std::string known_hosts_;
  int64_t port_ = 22;
  bool proxy_jump_ = false;
  int64_t connect_timeout_ms_, command_timeout_ms_;
  Logger logger_;
  std::mutex master_mu_;
  std::atomic<int64_t> commands_{0}, masters_started_{0}, transfers_{0}, bulk_fetches_{0};
};

}  // namespace xrun::ssh
