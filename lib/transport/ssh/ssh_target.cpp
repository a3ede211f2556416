#include "transport/ssh/ssh_target.h"

#include <pwd.h>
#include <unistd.h>

#include "transport/ssh/libssh_handles.h"
#include "transport/ssh/session_options.h"
#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun::ssh {
namespace {

std::string local_user_name() {
  if (const struct passwd* pw = getpwuid(geteuid())) return pw->pw_name;
  if (const char* u = getenv("USER")) return u;
  throw Error(XRUN_E_CONFIG, "cannot tell the local user name (no passwd entry, no $USER)");
}

// "user@bastion:2222" -> an OpenSSH ProxyCommand libssh runs through /bin/sh.
std::string proxy_command_for_jump(const std::string& jump, const std::string& ssh_config,
                                   const std::string& machine, int64_t connect_timeout_s) {
  std::string rest = jump, user, port;
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    user = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  if (auto colon = rest.rfind(':'); colon != std::string::npos && rest.find(']') == std::string::npos) {
    port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos)
      throw Error(XRUN_E_CONFIG, "machine " + machine + ": proxy_jump \"" + jump + "\" has a bad port");
  }
  if (rest.empty()) throw Error(XRUN_E_CONFIG, "machine " + machine + ": proxy_jump \"" + jump + "\" names no host");
  // The jump host's connect is bounded like ours (a dead jump host must
  // not hold the connection past the machine's connect timeout).
  std::string cmd = "ssh -o BatchMode=yes -o ConnectTimeout=" + std::to_string(connect_timeout_s) +
                    " -W '[%h]:%p'";
  if (!ssh_config.empty() && ssh_config != "none") cmd += " -F " + quote_for_shell(ssh_config);
  if (!port.empty()) cmd += " -p " + port;
  if (!user.empty()) cmd += " -l " + quote_for_shell(user);
  cmd += " " + quote_for_shell(rest);
  return cmd;
}

}  // namespace

std::string SshTarget::key() const { return user + "@" + host + ":" + std::to_string(port); }

std::string SshTarget::known_hosts_for_messages() const {
  return known_hosts.empty() ? expand_user("~/.ssh/known_hosts") : known_hosts;
}

SshTarget resolve_target(const Machine& m) {
  if (!m.host || m.host->empty())
    throw Error(XRUN_E_CONFIG, "machine " + m.name + " (" + m.source + "): a remote machine needs \"host\"");
  SshTarget t;
  t.machine = m.name;
  t.alias = *m.host;
  t.auth = m.auth;
  if (t.auth.key_file) t.auth.key_file = expand_user(*t.auth.key_file);
  t.host_key_policy = m.host_key_policy;
  if (m.known_hosts) t.known_hosts = expand_user(*m.known_hosts);
  if (m.ssh_config) t.ssh_config = *m.ssh_config == "none" ? "none" : expand_user(*m.ssh_config);
  if (m.proxy_jump && !m.proxy_jump->empty()) {
    t.proxy_jump = *m.proxy_jump;
    t.proxy_command = proxy_command_for_jump(*m.proxy_jump, t.ssh_config, m.name, m.connect_timeout_s);
  }
  auto positive = [&](int64_t v, const char* what) {
    if (v <= 0) throw Error(XRUN_E_CONFIG, "machine " + m.name + ": " + what + " must be positive");
    return v;
  };
  t.connect_timeout_ms = positive(m.connect_timeout_s, "connect_timeout_s") * 1000;
  t.command_timeout_ms = positive(m.command_timeout_s, "command_timeout_s") * 1000;
  t.keepalive_ms = m.keepalive_s > 0 ? m.keepalive_s * 1000 : 0;
  t.idle_timeout_ms = positive(m.idle_timeout_s, "idle_timeout_s") * 1000;
  t.max_sessions = positive(m.max_sessions, "max_sessions");
  t.max_handshakes_per_minute = positive(m.max_handshakes_per_minute, "max_handshakes_per_minute");
  t.use_sftp = m.use_sftp;

  // Let libssh read the config exactly as it will when connecting, then
  // read back what it decided: the pool key must be the real destination.
  SessionPtr s(ssh_new());
  if (!s) throw Error(XRUN_E_NOMEM, "ssh_new failed");
  if (m.port) t.port = static_cast<unsigned>(*m.port);
  if (m.username) t.user = *m.username;
  SshTarget probe = t;
  probe.port = m.port ? t.port : 0;
  apply_session_options(s.get(), probe);
  char* host = nullptr;
  if (ssh_options_get(s.get(), SSH_OPTIONS_HOST, &host) == SSH_OK && host) {
    t.host = host;
    ssh_string_free_char(host);
  } else {
    t.host = t.alias;
  }
  unsigned port = 0;
  if (ssh_options_get_port(s.get(), &port) == SSH_OK && port) t.port = port;
  char* user = nullptr;
  if (ssh_options_get(s.get(), SSH_OPTIONS_USER, &user) == SSH_OK && user) {
    t.user = user;
    ssh_string_free_char(user);
  }
  if (t.user.empty()) t.user = local_user_name();
  if (t.known_hosts.empty()) {
    char* kh = nullptr;
    if (ssh_options_get(s.get(), SSH_OPTIONS_KNOWNHOSTS, &kh) == SSH_OK && kh) {
      t.known_hosts = expand_user(kh);
      ssh_string_free_char(kh);
    }
  }
  return t;
}

}  // namespace xrun::ssh
