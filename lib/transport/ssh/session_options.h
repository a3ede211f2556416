// Applies a target's settings to a fresh libssh session, in the order that
// lets the machine's explicit values win over ~/.ssh/config.
#pragma once
#include "transport/ssh/libssh_handles.h"
#include "transport/ssh/ssh_target.h"

namespace xrun::ssh {

// The options every xrun session gets (config, host, port, user, timeouts,
// TCP_NODELAY, known_hosts, proxy). Throws Error(XRUN_E_CONFIG).
void apply_session_options(ssh_session session, const SshTarget& target);

// Sets the timeout of libssh's blocking calls on `session` (ms, >= 1).
void set_blocking_timeout(ssh_session session, int64_t ms);

}  // namespace xrun::ssh
