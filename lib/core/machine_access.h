// How core reaches a machine: its configuration entry, its transport (local,
// or a pooled SSH transport), its scheduler and its resolved workdir, each
// made once per context and shared by every service. Thread-safe.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "machine/loader.h"
#include "scheduler/scheduler.h"
#include "transport/transport.h"
#include "util/log.h"

namespace xrun {

class SshPool;
struct SshCallbacks;

class MachineAccess {
 public:
  // `config_error` (read-only contexts): why the machine configuration was
  // not loaded; every lookup of a machine not built in then fails with it.
  MachineAccess(MachineConfig machines, std::string home, const SshCallbacks& callbacks,
                std::string config_error = "");
  ~MachineAccess();
  MachineAccess(const MachineAccess&) = delete;
  MachineAccess& operator=(const MachineAccess&) = delete;

  const MachineConfig& config() const { return machines_; }
  bool has(const std::string& name) const { return machines_.machines.count(name) != 0; }
  // "" = the default machine. Throws Error(XRUN_E_NOT_FOUND) with a
  // did-you-mean suggestion, or Error(XRUN_E_CONFIG) naming why the
  // configuration was not loaded (read-only contexts).
  const Machine& machine(const std::string& name) const;
  std::shared_ptr<Transport> transport(const Machine& machine);
  const Scheduler& scheduler(const Machine& machine);
  // The machine's workdir as an absolute path on the machine (resolved
  // once; resolving may connect).
  std::string workdir(const Machine& machine);

  // What this process last learnt of a machine's connection (poll rounds,
  // sends, the first_reachable choice): `failure` is why it failed, ""
  // when it worked. In memory only: another process learns for itself.
  void note_connection(const std::string& machine, const std::string& failure);
  // The last failure if it is recent (kConnectionFailureMemoryMs) and no
  // success came after it, else "".
  std::string recent_connection_failure(const std::string& machine);
  static constexpr int64_t kConnectionFailureMemoryMs = 60000;

 private:
  MachineConfig machines_;
  std::string home_;
  std::string config_error_;
  Logger logger_;  // for transports made here (the OpenSSH one)
  std::unique_ptr<SshPool> ssh_pool_;
  std::mutex mutex_;  // guards the maps below
  std::map<std::string, std::shared_ptr<Transport>> transports_;
  std::map<std::string, std::unique_ptr<Scheduler>> schedulers_;
  std::map<std::string, std::string> workdirs_;
  struct ConnectionFailure {
    std::string why;
    int64_t at_ms = 0;
  };
  std::map<std::string, ConnectionFailure> connection_failures_;
};

}  // namespace xrun
