// Crash recovery: settle jobs left in SUBMITTING.
#include "core/recovery.h"

#include <cstdlib>
#include <map>

#include "core/job_files.h"
#include "core/job_spec.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

// A job in SUBMITTING may belong to a live process that is sending it right
// now, or to a dead one whose submit shell is still finishing (a shell on
// the target outlives its caller). Only jobs untouched for this long are
// reconciled; XRUN_RECOVER_SETTLE_MS overrides it (tests use a short one).
static int64_t recover_settle_ms() {
  const char* env = getenv("XRUN_RECOVER_SETTLE_MS");
  if (env && *env) return std::max<int64_t>(0, atoll(env));
  return 30000;
}

RecoverReport Recovery::recover() {
  RecoverReport report;
  std::map<std::string, std::vector<JobRecord>> by_machine;
  const int64_t settled_before = wall_ms() - recover_settle_ms();
  for (const auto& job : store_.unsent_jobs()) {
    ++report.examined;
    if (job.state != XRUN_STATE_SUBMITTING) {
      ++report.unsent;
    } else if (job.updated_ms > settled_before) {
      ++report.in_doubt;
    } else {
      by_machine[job.machine].push_back(job);
    }
  }
  for (auto& [name, jobs] : by_machine) {
    const Machine& m = machines_.machine(name);
    auto t = machines_.transport(m);
    const Scheduler& sched = machines_.scheduler(m);
    // 1. The submit output the machine kept (ONE command for all jobs).
    std::string command = "__xrun_r() { " + job_files::shell_pick("__xrun_f", "2", "submit.out") +
                          "; [ -f \"$__xrun_f\" ] && { printf '%s\\n' \"=== $1\"; cat \"$__xrun_f\"; }; true; }";
    std::string base = machines_.workdir(m);
    for (const auto& job : jobs) {
      std::string dir = job.job_dir.empty() ? base + "/" + job.id : job.job_dir;
      command += "; __xrun_r " + quote_for_shell(job.id) + " " + quote_for_shell(dir);
    }
    std::map<std::string, std::string> kept;
    std::string current;
    for (const auto& line : split_lines(t->run(command).out)) {
      if (starts_with(line, "=== ")) current = line.substr(4);
      else if (!current.empty()) kept[current] += line + "\n";
    }
    // 2. The scheduler's own memory of jobs by xrun id.
    std::vector<std::string> ids;
    for (const auto& job : jobs) ids.push_back(job.id);
    std::map<std::string, std::string> found;
    std::string find = sched.find_command(ids);
    if (!find.empty()) found = sched.parse_find_output(t->run(find));

    for (const auto& job : jobs) {
      JobSpec spec = parse_job_spec(job.spec_json);
      if (!spec.array_parent.empty()) continue;  // settled with its carrier below
      std::string dir = job.job_dir.empty() ? base + "/" + job.id : job.job_dir;
      std::string scheduler_id;
      if (kept.count(job.id)) {
        CommandResult saved;
        saved.exit_status = 0;
        saved.out = kept[job.id];
        try {
          scheduler_id = sched.parse_submit_output(saved);
        } catch (const Error&) {
        }
      }
      if (scheduler_id.empty() && found.count(job.id)) {
        scheduler_id = found[job.id];
        // An array task's id ("12_3") names the array by its base ("12").
        if (spec.array_index) scheduler_id = scheduler_id.substr(0, scheduler_id.find_first_of("_["));
      }
      // The job and, for an array, every task it carried.
      std::vector<std::pair<std::string, std::optional<int64_t>>> members = {{job.id, spec.array_index}};
      for (const auto& other : jobs) {
        JobSpec other_spec = parse_job_spec(other.spec_json);
        if (other_spec.array_parent == job.id) members.emplace_back(other.id, other_spec.array_index);
      }
      for (const auto& [member, index] : members) {
        JobUpdate update;
        if (!scheduler_id.empty()) {
          update.scheduler_id = index ? sched.array_task_id(scheduler_id, *index) : scheduler_id;
          update.job_dir = dir;
          update.submitted_ms = wall_ms();
          update.reason = "adopted after a crash";
          if (store_.transition(member, {XRUN_STATE_SUBMITTING}, XRUN_STATE_SUBMITTED, update,
                                 "adopted after a crash as " + sched.name() + " job " + *update.scheduler_id))
            ++report.adopted;
        } else {
          update.reason = "not submitted (found neither on the scheduler nor in the job directory); safe to resubmit";
          if (store_.transition(member, {XRUN_STATE_SUBMITTING}, XRUN_STATE_CREATED, update, *update.reason))
            ++report.reset;
        }
      }
    }
  }
  return report;
}

}  // namespace xrun
