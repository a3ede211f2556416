// Where and how to connect for one machine, after ~/.ssh/config (or the
// machine's ssh_config) has been applied: the pool key and every setting a
// connection needs. Resolving reads local files only; it never connects.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "machine/machine.h"

namespace xrun::ssh {

struct SshTarget {
  std::string machine;  // machine name, for messages and prompts
  std::string alias;    // machine.host as written (may be a config Host alias)
  std::string host;     // after HostName
  unsigned port = 22;
  std::string user;
  Auth auth;
  HostKeyPolicy host_key_policy = HostKeyPolicy::Strict;
  std::string known_hosts;                  // "" means libssh's default (~/.ssh/known_hosts)
  std::optional<std::string> proxy_command; // built from machine.proxy_jump
  std::string proxy_jump;                   // machine.proxy_jump as written, for messages
  std::string ssh_config;                   // "" default files, "none", or a path
  int64_t connect_timeout_ms = 15000;
  int64_t command_timeout_ms = 120000;
  int64_t keepalive_ms = 30000;
  int64_t idle_timeout_ms = 300000;
  int64_t max_sessions = 2;
  int64_t max_handshakes_per_minute = 6;
  bool use_sftp = true;

  // "user@host:port": the pool key and the name used in messages.
  std::string key() const;
  std::string known_hosts_for_messages() const;
};

// Throws Error(XRUN_E_CONFIG) for a machine without host or with a bad value.
SshTarget resolve_target(const Machine& machine);

}  // namespace xrun::ssh
