#include "core/machine_access.h"

#include "transport/local.h"
#include "transport/ssh/openssh_transport.h"
#include "transport/ssh/ssh_pool.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/strings.h"

namespace xrun {

MachineAccess::MachineAccess(MachineConfig machines, std::string home, const SshCallbacks& callbacks,
                             std::string config_error)
    : machines_(std::move(machines)),
      home_(std::move(home)),
      config_error_(std::move(config_error)),
      logger_(callbacks.logger),
      ssh_pool_(std::make_unique<SshPool>(callbacks)) {}

MachineAccess::~MachineAccess() = default;

const Machine& MachineAccess::machine(const std::string& name) const {
  const std::string& wanted = name.empty() ? machines_.default_name : name;
  auto it = machines_.machines.find(wanted);
  if (it == machines_.machines.end()) {
    if (!config_error_.empty()) throw Error(XRUN_E_CONFIG, config_error_);
    std::vector<std::string> names;
    for (const auto& [n, m] : machines_.machines) names.push_back(n);
    std::string message = "no machine named \"" + wanted + "\"";
    std::string suggestion = closest_match(wanted, names);
    if (!suggestion.empty()) message += "; did you mean \"" + suggestion + "\"?";
    throw Error(XRUN_E_NOT_FOUND, message);
  }
  return it->second;
}

std::shared_ptr<Transport> MachineAccess::transport(const Machine& machine) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = transports_.find(machine.name);
  if (it != transports_.end()) return it->second;
  std::shared_ptr<Transport> transport;
  if (machine.execution == Execution::Local)
    transport = std::make_shared<LocalTransport>(machine.command_timeout_s * 1000);
  else if (machine.transport == "openssh")
    transport = std::make_shared<ssh::OpenSshTransport>(machine, logger_);
  else
    transport = ssh_pool_->transport_for(machine);
  transports_[machine.name] = transport;
  return transport;
}

const Scheduler& MachineAccess::scheduler(const Machine& machine) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = schedulers_[machine.name];
  if (!slot) slot = make_scheduler(machine.scheduler);
  return *slot;
}

std::string MachineAccess::workdir(const Machine& machine) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = workdirs_.find(machine.name);
    if (it != workdirs_.end()) return it->second;
  }
  // The built-in machine keeps its jobs under XRUN_HOME, so a temporary
  // home (tests, sandboxes) keeps everything in one place.
  std::string configured = machine.source == "<built-in>" ? home_ + "/jobs" : machine.workdir;
  std::string resolved = transport(machine)->resolve_path(configured);
  while (resolved.size() > 1 && resolved.back() == '/') resolved.pop_back();
  std::lock_guard<std::mutex> lock(mutex_);
  workdirs_[machine.name] = resolved;
  return resolved;
}

void MachineAccess::note_connection(const std::string& machine, const std::string& failure) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (failure.empty()) connection_failures_.erase(machine);
  else connection_failures_[machine] = ConnectionFailure{failure, monotonic_ms()};
}

std::string MachineAccess::recent_connection_failure(const std::string& machine) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = connection_failures_.find(machine);
  if (it == connection_failures_.end()) return "";
  if (monotonic_ms() - it->second.at_ms > kConnectionFailureMemoryMs) return "";
  return it->second.why;
}

}  // namespace xrun
