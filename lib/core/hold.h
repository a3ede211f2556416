// Holding and releasing a job that waits in its scheduler's queue (the
// scheduler's own hold: scontrol hold/release, qhold/qrls, bstop/bresume).
#pragma once
#include <string>

#include "core/context.h"

namespace xrun {

// Holds a job that is submitted or queued (a held job stays held: no-op).
// Throws Error(XRUN_E_STATE) naming the state for any other state,
// Error(XRUN_E_UNSUPPORTED) if its scheduler cannot hold (direct),
// Error(XRUN_E_SCHEDULER) with the command's output if it refuses.
void hold_job(Context& context, const std::string& id);
// Releases a held job back to queued (a queued/submitted job: no-op);
// the same errors.
void release_job(Context& context, const std::string& id);

}  // namespace xrun
