// Polling: when a machine may be polled (single flight per machine in this
// process, a lease shared by every process, exponential backoff after a
// failed round) and one round per machine: ONE status query for its active
// jobs, evidence for those that left the queue, Finishing for the ended
// ones, then Dependencies' settling of the jobs that waited for those
// (when any ended), then Submission's sends of its waiting jobs. A round over several
// machines runs them concurrently (bounded threads), each machine bounded by
// its own command timeout: an unreachable cluster delays no other.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/dependencies.h"
#include "core/finishing.h"
#include "core/machine_access.h"
#include "core/submission.h"
#include "core/wakeup.h"
#include "store/store.h"
#include "util/log.h"

namespace xrun {

class Polling {
 public:
  Polling(Store& store, MachineAccess& machines, Submission& submission, Finishing& finishing,
          Dependencies& dependencies, Wakeup& wakeup, const Logger& logger, std::string owner);
  ~Polling();

  // One round for one machine if its interval allows (or `force`). Returns
  // ms until the machine may be polled again. Throws the round's Error
  // (states unchanged) after scheduling its backoff.
  int64_t poll_machine(const std::string& machine, bool force);
  // One round over every machine with active or waiting jobs, machines in
  // parallel; ms until the next round would do anything. An interrupt
  // stops it before the machines not yet started: Error(XRUN_E_INTERRUPTED)
  // once the running rounds are done.
  int64_t poll_all();

 private:
  struct Gate;  // single flight and backoff of one machine
  Gate& gate(const std::string& machine);
  void round(const Machine& m);  // poll.cpp
  int64_t poll_one_of_all(const std::string& name);

  Store& store_;
  MachineAccess& machines_;
  Submission& submission_;
  Finishing& finishing_;
  Dependencies& dependencies_;
  Wakeup& wakeup_;
  const Logger& logger_;
  std::string owner_;  // lease owner: host/pid/address
  std::mutex mutex_;   // guards the maps below
  std::map<std::string, std::unique_ptr<Gate>> gates_;
  std::map<std::string, int64_t> vanished_since_;  // job id -> first round it was missing
};

}  // namespace xrun
