// Cancel, wait and crash recovery.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/context.h"
#include "core/job_files.h"
#include "core/state.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

void Context::cancel(const std::string& id) {
  JobRecord record = job(id);
  if (is_terminal(record.state))
    throw Error(XRUN_E_STATE, "job " + id + " is already " + state_name(record.state));
  JobUpdate update;
  update.ended_ms = wall_ms();
  update.reason = "cancelled by user";
  if (record.state == XRUN_STATE_CREATED) {
    if (!store_->transition(id, {XRUN_STATE_CREATED}, XRUN_STATE_CANCELLED, update, "cancelled before submission"))
      throw Error(XRUN_E_STATE, "job " + id + " changed state while being cancelled; try again");
    return;
  }
  if (record.state == XRUN_STATE_SUBMITTING)
    throw Error(XRUN_E_STATE, "job " + id + " is being submitted; recover or try again");
  const Machine& m = machine(record.machine);
  const Scheduler& sched = scheduler(m);
  CommandResult result =
      transport(m)->run(sched.cancel_command({{record.id, record.scheduler_id, record.job_dir}}));
  if (result.exit_status != 0) {
    // The job may have ended on its own just now: let a poll settle that.
    poll_machine(m.name, true);
    JobRecord now = job(id);
    if (is_terminal(now.state))
      throw Error(XRUN_E_STATE, "job " + id + " is already " + state_name(now.state));
    throw Error(XRUN_E_SCHEDULER, "cancel of job " + id + " failed (exit " +
                                      std::to_string(result.exit_status) + "): " +
                                      std::string(trim(result.err + result.out)));
  }
  store_->transition(id, {XRUN_STATE_SUBMITTED, XRUN_STATE_QUEUED, XRUN_STATE_HELD, XRUN_STATE_RUNNING},
                     XRUN_STATE_CANCELLED, update, "cancelled by user");
}

// How long wait() keeps waiting through failed poll rounds before it gives
// the error to its caller.
constexpr int64_t kWaitThroughFailuresMs = 300000;

JobRecord Context::wait(const std::string& id, int64_t timeout_ms) {
  const int64_t start = monotonic_ms();
  const uint64_t interrupts = wakeup_.interrupts();
  int64_t delay = 20;
  int64_t failing_since = 0;
  for (;;) {
    JobRecord record = job(id);
    if (is_terminal(record.state)) return record;
    if (record.state == XRUN_STATE_CREATED && !starts_with(record.reason, kWaitingForRoom))
      throw Error(XRUN_E_STATE, "job " + id + " was not submitted: " + record.reason);
    int64_t next;
    try {
      next = poll_machine(record.machine, false);
      failing_since = 0;
    } catch (const Error& e) {
      // A scheduler or connection that fails for a while is waited out
      // (poll rounds back off); one that stays down is reported.
      if (e.status() != XRUN_E_TRANSPORT && e.status() != XRUN_E_SCHEDULER && e.status() != XRUN_E_TIMEOUT) throw;
      if (failing_since == 0) failing_since = monotonic_ms();
      if (monotonic_ms() - failing_since > kWaitThroughFailuresMs) throw;
      next = 1000;
    }
    record = job(id);
    if (is_terminal(record.state)) return record;
    int64_t elapsed = monotonic_ms() - start;
    if (timeout_ms >= 0 && elapsed >= timeout_ms)
      throw Error(XRUN_E_TIMEOUT, "job " + id + " is still " + state_name(record.state) + " after " +
                                      std::to_string(timeout_ms) + " ms");
    int64_t sleep = std::max(delay, std::min<int64_t>(next, 60000));
    if (timeout_ms >= 0) sleep = std::min(sleep, timeout_ms - elapsed);
    if (wakeup_.sleep_for(std::max<int64_t>(sleep, 1), interrupts) == Wakeup::Woken::Interrupted)
      throw Error(XRUN_E_INTERRUPTED, "wait for job " + id + " interrupted (still " + state_name(record.state) + ")");
    delay = std::min<int64_t>(delay * 2, 1000);
  }
}

// A job in SUBMITTING may belong to a live process that is sending it right
// now, or to a dead one whose submit shell is still finishing (a shell on
// the target outlives its caller). Only jobs untouched for this long are
// reconciled; XRUN_RECOVER_SETTLE_MS overrides it (tests use a short one).
static int64_t recover_settle_ms() {
  const char* env = getenv("XRUN_RECOVER_SETTLE_MS");
  if (env && *env) return std::max<int64_t>(0, atoll(env));
  return 30000;
}

RecoverReport Context::recover() {
  RecoverReport report;
  std::map<std::string, std::vector<JobRecord>> by_machine;
  const int64_t settled_before = wall_ms() - recover_settle_ms();
  for (const auto& job : store_->unsent_jobs()) {
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
    const Machine& m = machine(name);
    auto t = transport(m);
    const Scheduler& sched = scheduler(m);
    // 1. The submit output the machine kept (ONE command for all jobs).
    std::string command = "__xrun_r() { [ -f \"$2\" ] && { printf '%s\\n' \"=== $1\"; cat \"$2\"; }; true; }";
    std::string base = workdir(m);
    for (const auto& job : jobs) {
      std::string dir = job.job_dir.empty() ? base + "/" + job.id : job.job_dir;
      command += "; __xrun_r " + quote_for_shell(job.id) + " " + quote_for_shell(job_files::submit_out(dir));
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
          if (store_->transition(member, {XRUN_STATE_SUBMITTING}, XRUN_STATE_SUBMITTED, update,
                                 "adopted after a crash as " + sched.name() + " job " + *update.scheduler_id))
            ++report.adopted;
        } else {
          update.reason = "not submitted (found neither on the scheduler nor in the job directory); safe to resubmit";
          if (store_->transition(member, {XRUN_STATE_SUBMITTING}, XRUN_STATE_CREATED, update, *update.reason))
            ++report.reset;
        }
      }
    }
  }
  return report;
}

}  // namespace xrun
