// Dependencies: when a job that names parents ("depends_on") may be sent,
// and the end of jobs whose condition can no longer be met.
//
// A job whose parents all run on its own machine, under a scheduler that
// renders each of its dependency types (Slurm: all three; PBS, SGE, LSF:
// afterok) and with no retry policy of their own (a retried parent gets a
// new scheduler id), waits on the scheduler (native dependencies). Any
// other is held by xrun (state waiting, waiting_for dependencies) and the
// poll round of its machine sends it, without native dependencies, in the
// first round after its condition holds -- judged from the store only.
//
// A condition that can no longer be met (afterok: a parent ended in any
// state but completed; afternotok: a parent completed) cancels the job at
// once, and so its own dependents, transitively: settle() runs whenever
// a job reaches a final state, on whichever machine, with ONE read of the
// waiting jobs and no scheduler query (only a cancel command for jobs that
// already wait on a scheduler). A fail_fast batch's first failure cancels
// its jobs that have not started.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/job_spec.h"
#include "core/machine_access.h"
#include "store/store.h"
#include "util/log.h"

namespace xrun {

// Whether a parent in final `state` satisfies `type`.
bool dependency_met(DependencyType type, int state);
// Whether a spec (as stored) carries a retry policy ("retry" key).
bool has_retry_policy(const std::string& spec_json);

struct DependencyPlan {
  enum class Verdict { Ready, Pending, Never };
  Verdict verdict = Verdict::Ready;
  std::string reason;  // Pending: what it waits for; Never: the parent and its state
  bool held = false;   // waits in xrun, not on the scheduler
  // Ready and not held: the parents still to wait for on the scheduler.
  std::vector<std::string> native_ids;
  std::vector<DependencyType> native_types;
};

using ParentLookup = std::function<std::optional<JobRecord>(const std::string& id)>;

// The plan for `spec` on machine `machine` (scheduler `sched`), parents
// read through `parent` (nullopt: no such job). `machine_retries`: the
// machine has a default retry policy, so a parent there may be retried
// (under a new scheduler id) even without a "retry" of its own.
DependencyPlan plan_dependencies(const JobSpec& spec, const std::string& machine, const Scheduler& sched,
                                 const ParentLookup& parent, bool machine_retries = false);

// The batch's references to its own members ("@name", "@index"), replaced
// by the members' ids (`ids[i]` is member i's). Error(XRUN_E_INVALID) for
// an unknown or ambiguous reference and for a cycle, whose path the
// message gives ("dependency cycle: @a -> @b -> @a").
void resolve_batch_references(std::vector<JobSpec>& specs, const std::vector<std::string>& ids);

class Dependencies {
 public:
  Dependencies(Store& store, MachineAccess& machines, const Logger& logger);

  // The plan of a job about to be sent, parents read from the store.
  DependencyPlan plan(const JobSpec& spec, const Machine& m) const;

  // After jobs reached a final state (`ended`, as recorded now; may be
  // empty): the fail_fast batches of the failed ones, then every job whose
  // condition can no longer be met -- waiting ones on any machine, and
  // among `active` (a round's jobs of one machine) those waiting on the
  // scheduler -- cancelled with a reason naming the parent, until none is
  // left. Errors are logged, not thrown: the jobs that ended stay ended.
  void settle(const std::vector<JobRecord>& ended, const std::vector<JobRecord>& active = {});

 private:
  void cancel_jobs(const std::vector<JobRecord>& jobs, const std::vector<std::string>& reasons);
  std::vector<JobRecord> fail_fast_victims(const std::vector<JobRecord>& ended, std::vector<std::string>& reasons);

  Store& store_;
  MachineAccess& machines_;
  const Logger& logger_;
};

}  // namespace xrun
