// Finishing: what happens once a job ended on its machine -- retrieve the
// files its spec asks for, apply its parser (a failed diagnosis turns
// "completed" into "failed"), ask Retrying whether its policy sends it
// again, else clean up its directory and record the final state, with the
// attempt and its event.
#pragma once
#include <string>

#include "core/machine_access.h"
#include "core/retrying.h"
#include "scheduler/scheduler.h"
#include "store/store.h"
#include "util/log.h"

namespace xrun {

class Finishing {
 public:
  Finishing(Store& store, MachineAccess& machines, const Logger& logger, std::string home, Retrying& retrying);
  void finish(const Machine& m, const JobRecord& job, JobStatus status);

 private:
  Store& store_;
  MachineAccess& machines_;
  const Logger& logger_;
  std::string home_;
  Retrying& retrying_;
};

}  // namespace xrun
