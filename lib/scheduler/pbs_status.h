// PBS Pro / OpenPBS and Torque job records: `qstat -f -F json -x` (PBS
// Pro) and `qstat -f` text (both), turned into xrun states.
#pragma once
#include <map>
#include <string>

#include "scheduler/scheduler.h"

namespace xrun {

// One job's attributes as qstat printed them ("job_state" -> "R", ...).
using PbsAttributes = std::map<std::string, std::string>;

// Job id as printed -> attributes. Sniffs the format: JSON when the
// output starts with '{', else "Job Id:" blocks with indented
// "key = value" lines (continuation lines joined). Throws
// Error(XRUN_E_PARSE) for JSON that does not parse.
std::map<std::string, PbsAttributes> parse_pbs_qstat(const std::string& output);

// job_state, Exit_status/exit_status and comment -> xrun state.
JobStatus pbs_status(const PbsAttributes& attributes);

// "123.server", "123[4].server", "123[].server" -> "123", "123[4]",
// "123[]": what the same job is called whatever server suffix is printed.
std::string pbs_short_id(const std::string& id);

}  // namespace xrun
