// The SSH transport: a pool of libssh sessions keyed by (host, port, user),
// shared by every remote machine of one context. Many commands run over one
// authenticated session (a channel each), at most max_sessions sessions per
// key, a bounded number of handshakes per minute, keepalive, idle close,
// and reconnect with exponential backoff when a session dies. Host keys are
// verified against known_hosts (strict by default). Only this folder calls
// libssh.
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

  // The transport for a remote machine. Cheap: connects lazily on first
  // use. Machines with the same (host, port, user) share sessions.
  std::shared_ptr<Transport> transport_for(const Machine& machine);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xrun
