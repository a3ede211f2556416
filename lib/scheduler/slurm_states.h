// Slurm's job states (squeue %T, sacct State) and exit codes in xrun's terms.
#pragma once
#include <string>

#include "scheduler/scheduler.h"

namespace xrun {

// `raw_state` as squeue or sacct prints it ("PENDING", "CANCELLED by 1001",
// "CANCELLED+"); `reason` as squeue %r prints it ("Priority", "None").
// Unknown states map to QUEUED with a reason naming the state, so a new
// Slurm word never ends a job by mistake.
JobStatus slurm_status(const std::string& raw_state, const std::string& reason);

// sacct's "code:signal" -> an exit status (128+signal when killed by one);
// nullopt when unreadable.
std::optional<int> slurm_exit_code(const std::string& code_signal);

}  // namespace xrun
