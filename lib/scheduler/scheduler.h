// A scheduler turns a job into files and commands, and command output into
// states. It never opens a connection: core runs what it produces through
// a Transport. That keeps every scheduler testable on recorded outputs.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "machine/machine.h"
#include "util/error.h"
#include "xrun.h"

namespace xrun {

struct CommandResult;

// How a job waits for a parent (Flux's vocabulary): afterok -- the parent
// completed; afternotok -- it ended in any other final state; afterany --
// it ended, whatever its state.
enum class DependencyType { AfterOk, AfterNotOk, AfterAny };
// "afterok", "afternotok", "afterany" (inline: the job spec uses it too).
inline const char* dependency_type_name(DependencyType type) {
  switch (type) {
    case DependencyType::AfterNotOk:
      return "afternotok";
    case DependencyType::AfterAny:
      return "afterany";
    case DependencyType::AfterOk:
      break;
  }
  return "afterok";
}

// Everything needed to render a job's batch script. All paths absolute on
// the target machine.
struct ScriptRequest {
  std::string job_id;      // the xrun id: goes into the job name/comment
  std::string name;        // the user's name for the job (free text)
  std::string job_dir;     // <workdir>/<job_id>
  std::string run_dir;     // where the command runs (job_dir by default)
  std::string command;     // shell text to run (already quoted where needed)
  std::map<std::string, std::string> env;
  std::vector<std::string> prepend;     // machine lines, e.g. module load
  std::optional<std::string> launcher;  // "srun", "mpirun -np {tasks}"
  Resources resources;                  // machine defaults merged with job's
  std::string stdout_path;  // <job_dir>/stdout
  std::string stderr_path;  // <job_dir>/stderr
  std::string exit_code_path;  // <job_dir>/exit_code, written by the script
  std::vector<std::string> depends_on;  // scheduler ids of the parents
  // How the job waits for each of depends_on (same order); empty, or
  // shorter, means afterok. Only types the scheduler renders
  // (Scheduler::renders_dependency) are ever asked for.
  std::vector<DependencyType> depends_on_types;
  bool hold = false;
  // "" or the task indexes of a job array ("0-9", "1,3,5-7", "0-99%10"):
  // one submission, many tasks, each tracked as its own job (its id from
  // Scheduler::array_task_id). Task N writes exit_code_path + "." + N.
  std::string array;
  // The scheduler must not requeue the job by itself after a node failure
  // or a preemption (Slurm: --no-requeue): xrun's retry policy sends it
  // again as a scheduler job of its own.
  bool no_requeue = false;
};

// A job the poller asks about. A scheduler record is evidence for it only
// if the record's job name carries `name_id` (and, where the scheduler
// prints one, its submit time falls between created_s and submitted_s):
// a scheduler id alone can belong to another job once the scheduler hands
// it out again (state wiped, cluster rebuilt, ids wrapping).
struct TrackedJob {
  TrackedJob() = default;
  TrackedJob(std::string id, std::string sched_id, std::string dir)
      : job_id(std::move(id)), scheduler_id(std::move(sched_id)), job_dir(std::move(dir)) {}

  std::string job_id;        // xrun id
  std::string scheduler_id;  // "" if not yet known
  std::string job_dir;
  std::string name_id;       // the xrun id in the scheduler's job name: the
                             // array carrier's for a task; "" = job_id
  int64_t created_s = 0;     // when xrun recorded the job (unix s; 0 = unknown)
  int64_t submitted_s = 0;   // when the scheduler accepted it (0 = unknown)
};

// What the scheduler says about one job.
struct JobStatus {
  xrun_state state = XRUN_STATE_QUEUED;
  std::string reason;       // "Priority", "NonZeroExitCode", "TimeLimit", ...
  std::string raw_state;    // the scheduler's word: "PENDING", "R", ...
  std::optional<int> exit_code;
  // When the job's script started (unix ms), from its own started_at file:
  // set only when read beside an exit record (a job that started and ended
  // between two polls was never seen running).
  std::optional<int64_t> started_ms;
};

// Thrown by parse_submit_output when the scheduler refused a submission
// for a site limit that frees up as jobs end (a per-user queue cap such as
// Slurm's QOSMaxSubmitJobPerUserLimit): the job should stay waiting in xrun
// and be submitted again later, not fail.
class SubmitRefusedForLimit : public Error {
 public:
  using Error::Error;
};

// Thrown by parse_submit_output when the submit command succeeded (exit 0)
// but its output names no job: a site wrapper may have eaten the id. The
// job may exist, so it is not "refused": core keeps it SUBMITTING for
// recover(), which finds it by its name.
class SubmitOutcomeUnknown : public Error {
 public:
  using Error::Error;
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual std::string name() const = 0;

  // The batch script (bash). It must write the command's exit status to
  // exit_code_path as its last act, so a job's end is known even without
  // accounting.
  virtual std::string render_script(const ScriptRequest& request) const = 0;
  // The command that submits `script_path`; its output is given to
  // parse_submit_output, which returns the scheduler id or throws
  // Error(XRUN_E_SCHEDULER) with the scheduler's message.
  virtual std::string submit_command(const ScriptRequest& request,
                                     const std::string& script_path) const = 0;
  virtual std::string parse_submit_output(const CommandResult& result) const = 0;

  // ONE command asking about all `jobs` (active ones of one machine).
  // parse_status_output returns a status for each job the scheduler knows;
  // jobs missing from the map have left the queue.
  virtual std::string status_command(const std::vector<TrackedJob>& jobs) const = 0;
  virtual std::map<std::string, JobStatus> parse_status_output(
      const std::vector<TrackedJob>& jobs, const CommandResult& result) const = 0;

  // ONE command asking accounting about jobs that left the queue; "" if
  // the scheduler has none. Jobs missing from the parsed map have no
  // accounting record (core then reads their exit_code files).
  virtual std::string accounting_command(const std::vector<TrackedJob>& jobs) const = 0;
  virtual std::map<std::string, JobStatus> parse_accounting_output(
      const std::vector<TrackedJob>& jobs, const CommandResult& result) const = 0;

  virtual std::string cancel_command(const std::vector<TrackedJob>& jobs) const = 0;
  // "" when not supported.
  virtual std::string hold_command(const std::vector<TrackedJob>& jobs) const { (void)jobs; return ""; }
  virtual std::string release_command(const std::vector<TrackedJob>& jobs) const { (void)jobs; return ""; }

  // ONE command that finds jobs by xrun id (for crash recovery): maps
  // xrun id -> scheduler id for every job the scheduler still knows.
  virtual std::string find_command(const std::vector<std::string>& job_ids) const { (void)job_ids; return ""; }
  virtual std::map<std::string, std::string> parse_find_output(const CommandResult& result) const {
    (void)result;
    return {};
  }

  // The scheduler id of task `index` of the array submitted as `base_id`
  // ("12_3" for Slurm); "" when the scheduler has no arrays.
  virtual std::string array_task_id(const std::string& base_id, int64_t index) const {
    (void)base_id;
    (void)index;
    return "";
  }

  // Whether the scheduler itself can hold a job until a parent of its own
  // ended this way (Slurm's --dependency=afterok:ID). Core keeps a job in
  // xrun (waiting for dependencies) when any of its parents cannot.
  virtual bool renders_dependency(DependencyType type) const { return type == DependencyType::AfterOk; }

  // Commands `xrun machines check` expects on the machine ("sbatch", ...).
  virtual std::vector<std::string> required_commands() const = 0;
};

// "direct", "slurm", "pbs", "sge", "lsf"; throws Error(XRUN_E_CONFIG).
std::unique_ptr<Scheduler> make_scheduler(const std::string& name);

}  // namespace xrun
