// Retrying: what Finishing asks before it records how an attempt ended.
// When the job's retry policy (its spec's "retry", else its machine's)
// names the outcome -- a scheduler outcome (timeout, node_fail, preempted,
// lost, out_of_memory, failed: a nonzero exit) or the parser's diagnosis
// code -- and attempts remain, the ended attempt is recorded and the job
// goes back to waiting (WaitingFor::RetryBackoff) with the spec of its next
// attempt: walltime and memory scaled, env merged, restart_command as its
// command, corrections applied to its inputs in the job directory. The
// poll round's send_waiting sends it again into the SAME job directory.
// One transition does it all (a compare-and-set): two processes finishing
// one job never both retry it.
#pragma once
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/job_spec.h"
#include "core/machine_access.h"
#include "scheduler/scheduler.h"
#include "store/store.h"
#include "util/log.h"

namespace xrun {

// What a caller's retry callback is told (corrections: "callback").
struct RetryRequest {
  std::string job_id;
  int64_t attempt = 0;     // the attempt that ended (1 = the first)
  std::string outcome;     // the outcome the policy matched ("timeout", "scf_not_converged", ...)
  std::string diagnosis;   // the parser's diagnosis, "" if none
  std::string spec_json;   // the next attempt's spec, the policy's changes made
};
struct RetryAnswer {
  enum class Action { UsePolicy, Replace, Stop } action = Action::UsePolicy;
  std::string spec_json;  // Replace: the next attempt's spec
};
using RetryHook = std::function<RetryAnswer(const RetryRequest&)>;

// The scheduler outcome name of an ended state ("timeout", "failed", ...),
// "" for completed and cancelled (never retried).
std::string retry_outcome_name(xrun_state state);
// How long before attempt `ended + 1`: backoff_s * 2^(ended-1), at most a day.
int64_t retry_backoff_ms(const RetryPolicy& policy, int64_t ended);

// Whether the policy in force retries node failures or preemptions: the
// scheduler is then told not to requeue the job by itself, so it ends
// node_fail/preempted and xrun sends the next attempt at once (Slurm would
// hold a requeued job back for minutes, under the same id).
bool retry_takes_node_failures(const Machine& m, const JobSpec& spec);

class Retrying {
 public:
  Retrying(Store& store, MachineAccess& machines, const Logger& logger);
  // The process-local callback (empty: none). Thread-safe.
  void set_hook(RetryHook hook);

  // The policy in force for `spec` on `m`: the spec's own, else the
  // machine's; none for array jobs (their tasks share one submission).
  static std::optional<RetryPolicy> policy_for(const Machine& m, const JobSpec& spec);

  // Called by Finishing with the attempt's end (state after the parser)
  // and `update` as Finishing would record it. Returns true when the job
  // was moved to waiting for its next attempt (the caller records nothing
  // and leaves the job directory alone); false: the caller records the end.
  bool retry(const Machine& m, const JobRecord& job, const JobSpec& spec, const JobStatus& status,
             const std::string& diagnosis, const JobUpdate& update);

  // A running job its scheduler queued again (requeued: a node failure, a
  // preemption, an operator's scontrol requeue) ended an attempt too: adds
  // to the queued transition's `update` the attempt's record (state
  // preempted, reason "requeued by the scheduler (...)") and the next
  // attempt's number, and names both in `message`. The scheduler runs the
  // next attempt under the same id: nothing is sent.
  static void note_requeue(const JobRecord& job, const JobStatus& status, JobUpdate& update, std::string& message);

  // The attempt record of an attempt that ended for good.
  static AttemptRecord ended_attempt(const JobRecord& job, const JobSpec& spec, const JobStatus& status,
                                     const JobUpdate& update);

 private:
  std::vector<std::string> apply_builtin_corrections(const Machine& m, const JobRecord& job, const JobSpec& spec,
                                                     const std::string& diagnosis, const std::string& result_json);

  Store& store_;
  MachineAccess& machines_;
  const Logger& logger_;
  std::mutex mutex_;
  RetryHook hook_;
};

}  // namespace xrun
