#include "transport/ssh/session_options.h"

#include "util/error.h"
#include "util/shell_quote.h"

namespace xrun::ssh {
namespace {

void set(ssh_session s, ssh_options_e opt, const void* value, const SshTarget& t, const char* what) {
  if (ssh_options_set(s, opt, value) != SSH_OK)
    throw Error(XRUN_E_CONFIG, "machine " + t.machine + ": libssh refused " + what + ": " + ssh_get_error(s));
}

}  // namespace

void set_blocking_timeout(ssh_session s, int64_t ms) {
  if (ms < 1) ms = 1;
  long sec = static_cast<long>(ms / 1000);
  long usec = static_cast<long>((ms % 1000) * 1000);
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &sec);
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT_USEC, &usec);
}

void apply_session_options(ssh_session s, const SshTarget& t) {
  // Host first: ~/.ssh/config "Host" blocks match on the name as written.
  set(s, SSH_OPTIONS_HOST, t.alias.c_str(), t, "host");
  if (t.ssh_config == "none") {
    int no = 0;
    set(s, SSH_OPTIONS_PROCESS_CONFIG, &no, t, "process_config");
  } else if (ssh_options_parse_config(s, t.ssh_config.empty() ? nullptr : t.ssh_config.c_str()) != SSH_OK) {
    throw Error(XRUN_E_CONFIG, "machine " + t.machine + ": cannot parse ssh config " +
                                   (t.ssh_config.empty() ? std::string("~/.ssh/config") : t.ssh_config) +
                                   ": " + ssh_get_error(s));
  }
  // libssh 0.10 turns a config ProxyJump into "ssh ... -W [%h]:%p jump",
  // which would read the default config, not the machine's: point it at
  // the same file so that the jump host alias resolves as for `ssh -F`.
  if (!t.ssh_config.empty() && t.ssh_config != "none" && !t.proxy_command) {
    char* pc = nullptr;
    if (ssh_options_get(s, SSH_OPTIONS_PROXYCOMMAND, &pc) == SSH_OK && pc) {
      std::string cmd = pc;
      ssh_string_free_char(pc);
      if (cmd.rfind("ssh ", 0) == 0 && cmd.find(" -F ") == std::string::npos) {
        cmd = "ssh -F " + quote_for_shell(t.ssh_config) + cmd.substr(3);
        set(s, SSH_OPTIONS_PROXYCOMMAND, cmd.c_str(), t, "ProxyJump");
      }
    }
  }
  // Explicit machine values win over the config file.
  if (t.port != 0) {
    unsigned int port = t.port;
    set(s, SSH_OPTIONS_PORT, &port, t, "port");
  }
  if (!t.user.empty()) set(s, SSH_OPTIONS_USER, t.user.c_str(), t, "username");
  if (!t.known_hosts.empty()) set(s, SSH_OPTIONS_KNOWNHOSTS, t.known_hosts.c_str(), t, "known_hosts");
  if (t.proxy_command) set(s, SSH_OPTIONS_PROXYCOMMAND, t.proxy_command->c_str(), t, "proxy_jump");
  // Small SSH packets meet Nagle + delayed ACK: 44 ms per command without this.
  int yes = 1;
  set(s, SSH_OPTIONS_NODELAY, &yes, t, "nodelay");
  set_blocking_timeout(s, t.connect_timeout_ms);
}

}  // namespace xrun::ssh
