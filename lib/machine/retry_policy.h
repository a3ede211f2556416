// A retry policy: which ended attempts of a job xrun sends again, how
// often, after how long, and what changes between attempts. The same
// object is a job spec's "retry" key and a machine's default ("retry" in
// the machines file). Key names are a user-facing contract:
//   {"on": ["timeout", "scf_not_converged"], "max_attempts": 3,
//    "backoff_s": 30, "restart_command": "...",
//    "scale": {"walltime": 2, "memory": 2}, "env": {"K": "V"}}
// Deciding and doing a retry is lib/core/retrying.h.
#pragma once
#include <cjson/cJSON.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xrun {

struct RetryPolicy {
  // Outcomes retried: scheduler outcomes (kRetrySchedulerOutcomes) and
  // parser diagnosis codes (lib/parse/DIAGNOSES.md).
  std::vector<std::string> on;
  int64_t max_attempts = 3;  // attempts in all, the first included
  double backoff_s = 0;      // before attempt n+1: backoff_s * 2^(n-1)
  std::optional<std::string> restart_command;  // replaces command/argv from attempt 2 on
  double scale_walltime = 1;  // factor applied to walltime at each retry
  double scale_memory = 1;    // factor applied to memory at each retry
  std::map<std::string, std::string> env;  // merged into the job's env at each retry
};

bool operator==(const RetryPolicy& a, const RetryPolicy& b);
inline bool operator!=(const RetryPolicy& a, const RetryPolicy& b) { return !(a == b); }

// "node_fail", "preempted", "lost", "timeout", "failed" (nonzero exit),
// "out_of_memory" (the scheduler's OOM kill).
extern const std::vector<std::string> kRetrySchedulerOutcomes;

// Reads a policy object strictly. Throws std::invalid_argument with text
// "<path>.<key>: what was expected" (e.g. "$.retry.on[2]: ..."); callers
// add their own prefix and status.
RetryPolicy parse_retry_policy(const cJSON* node, const std::string& path);
// The policy as a JSON object (every key; null restart_command omitted).
cJSON* retry_policy_to_json(const RetryPolicy& policy);

}  // namespace xrun
