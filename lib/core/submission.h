// Submission: the ONE path that records and sends jobs. A single submit is
// a batch of one; xrun_job_send and the poll rounds' resends go through the
// same send. Record first, then send: a job is in the store before anything
// leaves this process; SUBMITTING marks the window in which a crash leaves
// the outcome unknown, which Recovery settles. Per machine, ONE command
// (the scheduler's submit_batch program fed on stdin) makes the job
// directories, writes the scripts and submits them. A job array is one
// submission carried by its first task; every task is a job.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/dependencies.h"
#include "core/machine_choice.h"
#include "core/job_spec.h"
#include "core/machine_access.h"
#include "store/store.h"
#include "util/error.h"
#include "util/log.h"

namespace xrun {

// What became of one submission (a job, or an array by its first task).
struct SendOutcome {
  std::string id;
  xrun_status status = XRUN_OK;  // of a failed send; XRUN_OK if sent, waiting or deferred
  std::string error;
};

class Submission {
 public:
  Submission(Store& store, MachineAccess& machines, Dependencies& dependencies, const Logger& logger);

  // Checks every spec first (one bad spec refuses them all, nothing is
  // recorded; with `name_index` the message names its index), resolves
  // the batch's references to its own members ("@name", "@index"; an
  // unknown or ambiguous one, or a cycle, refuses them all), chooses a
  // machine for those naming several (machine_choice.h), records every job
  // in one transaction, ends at once those the cache answers (job_cache.h),
  // then sends those not deferred and not held for their parents. Throws
  // only before recording; a failed send is in its outcome.
  std::vector<SendOutcome> submit(std::vector<JobSpec> specs, bool name_index);
  // Sends a recorded job that is not on a scheduler yet (created, or
  // waiting: then at once), with its array's tasks. Error(XRUN_E_STATE)
  // naming the state for any other job.
  SendOutcome send(const std::string& id);
  // For a poll round of `m`: sends its waiting jobs whose time has come
  // (deferred, waiting for room, for the connection after their backoff,
  // for parents now sent or, held in xrun, whose condition now holds), in
  // batches; those whose condition can no longer be met are cancelled.
  void send_waiting(const Machine& m);
  // For a poll round of a machine that left the configuration: its waiting
  // jobs can never be sent, so they fail with a reason naming it.
  void fail_unconfigured(const std::string& machine);

 private:
  // One submission: a job, or an array carried by records[0].
  struct Unit {
    JobSpec spec;  // the carrier's own spec (no array_index/array_parent)
    std::vector<JobRecord> records;
  };
  // `batch`: the batch's members by id (parents not recorded yet).
  const Machine& check(JobSpec& spec, MachineChooser& chooser, const std::map<std::string, const JobSpec*>& batch);
  // Every job of a submission: one, or an array's tasks, records[0]
  // carrying it (id `first_id`). With `carrier`, only the tasks are new (an
  // array sent again after its tasks were forgotten).
  std::vector<JobRecord> make_records(const JobSpec& spec, const std::string& first_id,
                                      const JobRecord* carrier = nullptr);
  // An array the scheduler never took keeps only its carrier in the store:
  // its tasks are deleted, and made again when it is sent again.
  void forget_tasks(const Unit& unit);
  std::vector<SendOutcome> send_units(const Machine& m, std::vector<Unit>& units);
  bool claim(const Unit& unit);
  void not_sent(const Unit& unit, const Error& e, SendOutcome& outcome);
  void outcome_unknown(const Unit& unit, const std::string& job_dir, const Error& e, SendOutcome& outcome);
  void settle(const Machine& m, const Unit& unit, const std::string& job_dir, const CommandResult& result,
              SendOutcome& outcome);
  void remove_half_made(Transport& t, const std::string& job_dir, const std::string& id);
  void move_all(const Unit& unit, xrun_state to, const JobUpdate& update, const std::string& message);

  Store& store_;
  MachineAccess& machines_;
  Dependencies& dependencies_;
  const Logger& logger_;
};

// What every scheduler's script is made from, for one job of `m`.
ScriptRequest script_request(const Machine& m, const JobSpec& spec, const std::string& id,
                             const std::string& job_dir, const std::string& run_dir,
                             const std::vector<std::string>& dependency_ids,
                             const std::vector<DependencyType>& dependency_types = {});
// Wraps the scheduler's submit command so the machine keeps its output
// (job_files::submit_out) for crash recovery.
std::string recorded_submit(const std::string& submit, const std::string& job_dir);

}  // namespace xrun
