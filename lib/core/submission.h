// What single and batched submissions share: the script request built from
// a machine and a spec, and the submit command wrapped so the machine keeps
// its output (job_files::submit_out) for crash recovery.
#pragma once
#include <string>
#include <vector>

#include "core/job_spec.h"
#include "machine/machine.h"
#include "scheduler/scheduler.h"

namespace xrun {

ScriptRequest script_request(const Machine& m, const JobSpec& spec, const std::string& id,
                             const std::string& job_dir, const std::string& run_dir,
                             const std::vector<std::string>& dependency_ids);

std::string recorded_submit(const std::string& submit, const std::string& job_dir);

}  // namespace xrun
