// The SSH transport: a pool of libssh sessions keyed by (host, port, user),
// shared by every remote machine of one context. Many commands run over one
// authenticated session (a channel each), at most max_sessions sessions per
// key, a bounded number of handshakes per minute, keepalive, idle close,
// and reconnect with exponential backoff when a session dies. Host keys are
// verified against known_hosts (strict by default). Only this folder calls
// libssh. Thread-safe; one background thread per SshPool does keepalive and
// idle close. See README.md in this folder.
#pragma once
#include <memory>

#include "machine/machine.h"
#include "transport/transport.h"
#include "util/log.h"
#include "xrun.h"

namespace xrun {

struct SshCallbacks {
  Logger logger;
  xrun_prompt_fn prompt = nullptr;  // passphrase / password / kbdint
  void* prompt_payload = nullptr;
};

class SshPool {
 public:
  explicit SshPool(SshCallbacks callbacks);
  ~SshPool();
  SshPool(const SshPool&) = delete;
  SshPool& operator=(const SshPool&) = delete;

  // The transport for a remote machine. Cheap (reads ~/.ssh/config or the
  // machine's ssh_config, no network): connects lazily on first use.
  // Machines with the same (host, port, user) after the config is applied
  // share one pool; its cap, handshake budget, idle and keepalive settings
  // are those of the first such machine. Throws Error(XRUN_E_CONFIG) for a
  // machine without host or with a non-positive limit. The transport
  // stays usable after the SshPool is gone (without keepalive/idle close).
  std::shared_ptr<Transport> transport_for(const Machine& machine);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xrun
