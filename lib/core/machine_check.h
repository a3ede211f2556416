// `xrun machines check`: can jobs be sent to a machine? Each step timed --
// the configuration, the transport's own steps (resolve, connect, host key,
// authenticate...), a writable workdir, the scheduler's commands present.
// Stops at the first failed step.
#pragma once
#include <string>
#include <vector>

#include "core/machine_access.h"

namespace xrun {

struct MachineCheck {
  std::string machine;
  std::vector<CheckStep> steps;
  bool ok = true;
  int first_failure = 0;      // xrun_status of the first failed step
  std::string first_message;  // "machine M: step S failed: ..."
};

// Error(XRUN_E_NOT_FOUND) for an unknown machine; a failing step is in the
// result, not thrown.
MachineCheck check_machine(MachineAccess& machines, const std::string& name);

}  // namespace xrun
