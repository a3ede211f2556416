#include "transport/ssh/ssh_pool.h"

#include <libssh/libssh.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "transport/ssh/ssh_transport.h"
#include "util/error.h"

namespace xrun {

// One thread per context keeps idle sessions alive and closes the ones idle
// for too long; everything else happens on the callers' threads.
struct SshPool::Impl {
  SshCallbacks callbacks;
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;
  std::map<std::string, std::shared_ptr<ssh::HostPool>> pools;
  std::thread maintenance;

  void maintenance_loop() {
    std::unique_lock<std::mutex> lk(mu);
    while (!stopping) {
      wake.wait_for(lk, std::chrono::seconds(1));
      if (stopping) break;
      std::vector<std::shared_ptr<ssh::HostPool>> snapshot;
      for (auto& kv : pools) snapshot.push_back(kv.second);
      lk.unlock();
      for (auto& p : snapshot) p->maintain();
      lk.lock();
    }
  }
};

SshPool::SshPool(SshCallbacks callbacks) : impl_(std::make_unique<Impl>()) {
  impl_->callbacks = std::move(callbacks);
  ssh_init();
}

SshPool::~SshPool() {
  {
    std::lock_guard<std::mutex> lk(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->maintenance.joinable()) impl_->maintenance.join();
}

std::shared_ptr<Transport> SshPool::transport_for(const Machine& machine) {
  ssh::SshTarget target = ssh::resolve_target(machine);
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto& pool = impl_->pools[target.key()];
  if (!pool) {
    pool = std::make_shared<ssh::HostPool>(
        target, ssh::Prompter(impl_->callbacks.prompt, impl_->callbacks.prompt_payload, machine.name),
        impl_->callbacks.logger);
  }
  if (!impl_->maintenance.joinable()) impl_->maintenance = std::thread([this] { impl_->maintenance_loop(); });
  return std::make_shared<ssh::SshTransport>(pool, target);
}

}  // namespace xrun
