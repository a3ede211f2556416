// LSF outputs: `bjobs -o "..." -json` (LSF >= 10.1.0.2) or the same
// columns as delimited text, turned into xrun states.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "scheduler/scheduler.h"

namespace xrun {

// The columns xrun asks bjobs for, in this order.
extern const char* const kLsfColumns;  // "jobid jobindex stat exit_code exit_reason pend_reason job_name"

struct LsfRecord {
  std::string id;  // "123", or "123[4]" for an array element
  std::string stat, exit_code, exit_reason, pend_reason, job_name;
  std::string error;  // "Job <999> is not found"
};

// Sniffs JSON (starts with '{') or '|'-delimited lines in kLsfColumns
// order. Throws Error(XRUN_E_PARSE) for JSON that does not parse.
std::vector<LsfRecord> parse_lsf_bjobs(const std::string& output);

// STAT, EXIT_CODE, EXIT_REASON (TERM_RUNLIMIT...), PEND_REASON -> state.
JobStatus lsf_status(const LsfRecord& record);

}  // namespace xrun
