// Placeholder until the SSH transport lands (issue 3).
#include "transport/ssh/ssh_pool.h"

#include "util/error.h"

namespace xrun {

struct SshPool::Impl {};

SshPool::SshPool(SshCallbacks) : impl_(std::make_unique<Impl>()) {}
SshPool::~SshPool() = default;

std::shared_ptr<Transport> SshPool::transport_for(const Machine& machine) {
  throw Error(XRUN_E_UNSUPPORTED, "machine " + machine.name + ": SSH transport not built yet");
}

}  // namespace xrun
