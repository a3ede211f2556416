// Recovery after a crash: jobs left in SUBMITTING are looked for on their
// machine (the submit output the machine kept, then the scheduler's own
// memory by xrun id) and adopted, or reset to CREATED when found nowhere
// (then xrun_job_send sends them again).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/machine_access.h"
#include "store/store.h"

namespace xrun {

struct RecoverReport {
  int64_t examined = 0;  // jobs in created or submitting
  int64_t adopted = 0;   // found on the scheduler: now submitted
  int64_t reset = 0;     // found nowhere: back to created, safe to send again
  int64_t unsent = 0;    // created: never sent
  int64_t in_doubt = 0;  // submitting too recently to decide; try later
  std::vector<std::string> messages;
};

class Recovery {
 public:
  Recovery(Store& store, MachineAccess& machines) : store_(store), machines_(machines) {}
  RecoverReport recover();

 private:
  Store& store_;
  MachineAccess& machines_;
};

}  // namespace xrun
