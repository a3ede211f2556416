// Submission, second half: the one send. Claims the jobs (CREATED/WAITING ->
// SUBMITTING, a compare-and-set: two processes never both send one job),
// reaches the machine, prepares each submission (uploads, script), runs ONE
// command for all of them and settles each from its own part of the output.
#include <algorithm>
#include <cstdlib>
#include <map>

#include "core/job_files.h"
#include "core/state.h"
#include "core/submission.h"
#include "scheduler/submit_batch.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

namespace {

// A job whose parents are not on the scheduler yet (or, held in xrun, not
// done yet): it waits for them.
class ParentsNotSent : public Error {
 public:
  using Error::Error;
};

// A job whose parents ended so that its condition can never hold: it ends
// cancelled, with the reason.
class DependencyNeverSatisfied : public Error {
 public:
  using Error::Error;
};

// A send that failed before anything reached the scheduler because the
// machine could not be reached: worth trying again by itself.
bool is_transport_failure(const Error& e) {
  return e.status() == XRUN_E_TRANSPORT || e.status() == XRUN_E_TIMEOUT;
}

// Resends after a transport failure back off exponentially from this (5 s;
// XRUN_RESEND_BACKOFF_MS overrides it, tests use a short one) up to 10 min:
// a cluster back from a day's maintenance gets its jobs within minutes.
int64_t resend_backoff_ms(int64_t attempts) {
  const char* env = getenv("XRUN_RESEND_BACKOFF_MS");
  int64_t base = env && *env ? std::max<int64_t>(1, atoll(env)) : 5000;
  int shift = static_cast<int>(std::min<int64_t>(std::max<int64_t>(attempts - 1, 0), 16));
  return std::min<int64_t>(base << shift, 600000);
}

// Whether the batch wrote a job's script: asked only after its submit
// failed, to tell a preparation failure from a refusal by the scheduler.
bool script_written(Transport& t, const std::string& path, size_t size) {
  try {
    FileInfo info = t.stat(path);
    return info.exists && info.size == size;  // a full disk leaves it empty or cut
  } catch (const Error&) {
    return true;  // cannot tell: leave it to the scheduler's answer
  }
}

// How the batch command ended, for the jobs it never reached: killed for
// printing past the output cap says why (a scheduler command gone wild),
// not just "exit 137".
std::string batch_end(const CommandResult& result) {
  if (result.output_capped)
    return "killed: its output passed " + std::to_string(kMaxCommandStdout) + " bytes of stdout or " +
           std::to_string(kMaxCommandStderr) + " of stderr";
  return "exit " + std::to_string(result.exit_status);
}

// Shell text that removes xrun's records of a job directory's previous
// attempt (exit code, start time, submit output, the direct watchdog's
// mark), run before a retry's submission; the submission does not happen
// if they cannot be removed.
std::string clear_attempt_files(const std::string& job_dir) {
  std::string command = "rm -f --";
  for (const char* name : {"exit_code", "exit_code.tmp", "started_at", "submit.out", "walltime_exceeded"})
    command += " " + quote_for_shell(job_files::own_dir(job_dir) + "/" + name);
  return command + " || exit 126\n";
}

}  // namespace

void Submission::remove_half_made(Transport& t, const std::string& job_dir, const std::string& id) {
  try {
    t.remove(job_dir, true);
  } catch (const Error& cleanup) {
    logger_.warn("job " + id + ": cannot remove " + job_dir + ": " + cleanup.what());
  }
}

void Submission::forget_tasks(const Unit& unit) {
  if (unit.records.size() < 2) return;
  std::vector<std::string> tasks;
  for (size_t i = 1; i < unit.records.size(); ++i) tasks.push_back(unit.records[i].id);
  int64_t deleted = store_.delete_unsent_jobs(tasks);
  logger_.info("array job " + unit.records[0].id + " was not sent: its " + std::to_string(deleted) +
               " other task(s) are forgotten until it is sent again");
}

void Submission::move_all(const Unit& unit, xrun_state to, const JobUpdate& update, const std::string& message) {
  for (const auto& r : unit.records) store_.transition(r.id, {XRUN_STATE_SUBMITTING}, to, update, message);
}

bool Submission::claim(const Unit& unit) {
  JobUpdate attempt;
  attempt.bump_attempts = true;
  for (size_t i = 0; i < unit.records.size(); ++i) {
    if (!store_.transition(unit.records[i].id, {XRUN_STATE_CREATED, XRUN_STATE_WAITING}, XRUN_STATE_SUBMITTING,
                           attempt, "submitting")) {
      if (i == 0) return false;  // another process is sending it
      throw Error(XRUN_E_STATE, "array task " + unit.records[i].id + " is no longer waiting to be sent");
    }
  }
  return true;
}

void Submission::not_sent(const Unit& unit, const Error& e, SendOutcome& outcome) {
  JobUpdate update;
  update.last_error = e.what();
  if (dynamic_cast<const ParentsNotSent*>(&e)) {
    update.waiting_for = WaitingFor::Dependencies;
    update.next_try_ms = 0;
    update.reason = std::string("waiting for dependencies: ") + e.what();
    move_all(unit, XRUN_STATE_WAITING, update, *update.reason);
    return;  // not a failure: it waits
  }
  if (dynamic_cast<const DependencyNeverSatisfied*>(&e)) {
    update.waiting_for = WaitingFor::Nothing;
    update.next_try_ms = 0;
    update.ended_ms = wall_ms();
    update.reason = e.what();
    move_all(unit, XRUN_STATE_CANCELLED, update, std::string("cancelled: ") + e.what());
    return;  // not a failed call: the job ended, as its parents decided
  }
  outcome.status = e.status();
  outcome.error = e.what();
  if (is_transport_failure(e)) {
    machines_.note_connection(unit.spec.machine, e.what());
    // Nothing reached the scheduler: poll rounds send it again, backing off.
    const int64_t attempts = unit.records[0].attempts + 1;
    update.waiting_for = WaitingFor::Connection;
    update.next_try_ms = wall_ms() + resend_backoff_ms(attempts);
    update.reason = std::string("waiting for the connection: ") + e.what();
    move_all(unit, XRUN_STATE_WAITING, update, *update.reason);
    logger_.info("job " + outcome.id + " waits for the connection (attempt " + std::to_string(attempts) +
                 "): " + e.what());
    return;
  }
  update.waiting_for = WaitingFor::Nothing;
  update.next_try_ms = 0;
  update.reason = std::string("not submitted: ") + e.what();
  move_all(unit, XRUN_STATE_CREATED, update, *update.reason);
  forget_tasks(unit);
}

void Submission::outcome_unknown(const Unit& unit, const std::string& job_dir, const Error& e,
                                 SendOutcome& outcome) {
  // The submit command may or may not have run: stay SUBMITTING, with the
  // reason, so Recovery looks for the job instead of sending it twice.
  JobUpdate update;
  update.reason = std::string("submission outcome unknown: ") + e.what();
  update.last_error = e.what();
  update.job_dir = job_dir;
  move_all(unit, XRUN_STATE_SUBMITTING, update, *update.reason);
  outcome.status = e.status();
  outcome.error = e.what();
}

void Submission::settle(const Machine& m, const Unit& unit, const std::string& job_dir,
                        const CommandResult& result, SendOutcome& outcome) {
  const Scheduler& sched = machines_.scheduler(m);
  const std::string& id = unit.records[0].id;
  std::string scheduler_id;
  try {
    scheduler_id = sched.parse_submit_output(result);
  } catch (const SubmitRefusedForLimit& e) {
    // A per-user cap: the job waits in xrun and a poll round sends it again
    // when there is room, instead of failing.
    JobUpdate update;
    update.reason = std::string("waiting for room on the scheduler: ") + e.what();
    update.waiting_for = WaitingFor::Room;
    update.last_error = e.what();
    update.next_try_ms = 0;
    move_all(unit, XRUN_STATE_WAITING, update, *update.reason);
    logger_.info("job " + id + " waits: " + e.what());
    return;
  } catch (const SubmitOutcomeUnknown& e) {
    // Accepted, perhaps, under an id the output does not show: never call
    // it refused (a resend would run it twice); Recovery finds it by name.
    outcome_unknown(unit, job_dir, e, outcome);
    return;
  } catch (const Error& e) {
    JobUpdate update;
    update.reason = std::string("refused by the scheduler: ") + e.what();
    update.last_error = e.what();
    update.waiting_for = WaitingFor::Nothing;
    update.job_dir = job_dir;
    move_all(unit, XRUN_STATE_CREATED, update, *update.reason);
    forget_tasks(unit);
    outcome.status = e.status();
    outcome.error = e.what();
    return;
  }
  const int64_t now = wall_ms();
  for (const auto& r : unit.records) {
    JobSpec own = parse_job_spec(r.spec_json);
    JobUpdate done;
    done.scheduler_id = own.array_index ? sched.array_task_id(scheduler_id, *own.array_index) : scheduler_id;
    done.job_dir = job_dir;
    done.submitted_ms = now;
    done.reason = "";
    done.waiting_for = WaitingFor::Nothing;
    done.next_try_ms = 0;
    store_.transition(r.id, {XRUN_STATE_SUBMITTING}, XRUN_STATE_SUBMITTED, done,
                      "submitted as " + sched.name() + " job " + *done.scheduler_id);
    if (sched.name() == "direct") {
      // A direct job is running as soon as it is started.
      JobUpdate running;
      running.started_ms = now;
      store_.transition(r.id, {XRUN_STATE_SUBMITTED}, XRUN_STATE_RUNNING, running, "running");
    }
  }
  logger_.info("job " + id + " submitted as " + sched.name() + " job " + scheduler_id);
}

std::vector<SendOutcome> Submission::send_units(const Machine& m, std::vector<Unit>& units) {
  std::vector<SendOutcome> outcomes(units.size());
  std::vector<size_t> claimed;
  for (size_t i = 0; i < units.size(); ++i) {
    outcomes[i].id = units[i].records[0].id;
    if (claim(units[i])) {
      claimed.push_back(i);
    } else {
      outcomes[i].status = XRUN_E_STATE;
      outcomes[i].error = "job " + outcomes[i].id + " changed state: another process is sending it";
    }
  }
  if (claimed.empty()) return outcomes;

  // Reach the machine first: a failure here means nothing was sent.
  std::shared_ptr<Transport> t;
  std::string base;
  try {
    t = machines_.transport(m);
    base = machines_.workdir(m);
    t->make_dirs(base, 0755);
  } catch (const Error& e) {
    for (size_t i : claimed) not_sent(units[i], e, outcomes[i]);
    return outcomes;
  }

  const Scheduler& sched = machines_.scheduler(m);
  bool cancelled = false;  // a job's parents ruled it out: its dependents may be too
  struct SettleAfter {
    Dependencies& dependencies;
    const bool& cancelled;
    ~SettleAfter() {
      try {
        if (cancelled) dependencies.settle({});
      } catch (...) {  // settle logs its own errors; a destructor throws nothing
      }
    }
  } settle_after{dependencies_, cancelled};
  std::vector<BatchedSubmission> items;
  std::vector<size_t> sending;
  std::vector<bool> reused;  // per item: a retry's directory, never removed
  for (size_t i : claimed) {
    const Unit& unit = units[i];
    const std::string& id = unit.records[0].id;
    // A retry (lib/core/retrying.h) runs in the directory of its first
    // attempt: restarts need the files the previous attempts left.
    const bool retry = unit.spec.attempt > 1 && !unit.records[0].job_dir.empty();
    const std::string job_dir = retry ? unit.records[0].job_dir : base + "/" + id;
    bool made_dir = false;
    try {
      DependencyPlan plan = dependencies_.plan(unit.spec, m);
      if (plan.verdict == DependencyPlan::Verdict::Never) {
        cancelled = true;
        throw DependencyNeverSatisfied(XRUN_E_STATE, plan.reason);
      }
      if (plan.verdict == DependencyPlan::Verdict::Pending) throw ParentsNotSent(XRUN_E_STATE, plan.reason);
      ScriptRequest req = script_request(m, unit.spec, id, job_dir,
                                         unit.spec.workdir ? t->resolve_path(*unit.spec.workdir) : job_dir,
                                         plan.native_ids, plan.native_types);
      if (!retry && !unit.spec.upload.empty()) {
        // Inputs need their own transfers; the script and the submission
        // still go in the one command. "inputs/" lands as job_dir/inputs.
        made_dir = true;
        t->make_dirs(job_dir, 0755);
        for (const auto& path : unit.spec.upload) t->upload(path, job_dir + "/" + base_name(path));
      }
      std::string script_path = job_files::script(job_dir);
      // A retry's inputs stay as they are (corrected, perhaps); the previous
      // attempt's own records must not pass for this one's end: removed in
      // the same command, just before the submission.
      items.push_back({id, job_dir, script_path, sched.render_script(req),
                       (retry ? clear_attempt_files(job_dir) : std::string()) +
                           recorded_submit(sched.submit_command(req, script_path), job_dir)});
      sending.push_back(i);
      reused.push_back(retry);
    } catch (const Error& e) {
      // Nothing reached the scheduler, and no half-made job directory is
      // left behind (e.g. a full disk during an upload).
      if (made_dir) remove_half_made(*t, job_dir, id);
      not_sent(unit, e, outcomes[i]);
    }
  }
  if (items.empty()) return outcomes;

  CommandResult result;
  try {
    result = t->run(kSubmitBatchCommand, submit_batch_program(items));
  } catch (const Error& e) {
    for (size_t k = 0; k < sending.size(); ++k) outcome_unknown(units[sending[k]], items[k].job_dir, e, outcomes[sending[k]]);
    return outcomes;
  }
  std::map<std::string, CommandResult> parts = split_submit_batch_output(result);
  for (size_t k = 0; k < sending.size(); ++k) {
    size_t i = sending[k];
    auto part = parts.find(items[k].key);
    if (part == parts.end()) {
      outcome_unknown(units[i], items[k].job_dir,
                      Error(XRUN_E_SCHEDULER, "the batch stopped before this job (" + batch_end(result) +
                                                  "): " + result.err),
                      outcomes[i]);
      continue;
    }
    if (part->second.exit_status != 0 && !script_written(*t, items[k].script_path, items[k].script.size())) {
      // The batch could not even write the script (a full disk, say):
      // nothing reached the scheduler, as when a preparation fails.
      if (!reused[k]) remove_half_made(*t, items[k].job_dir, items[k].key);
      not_sent(units[i], Error(XRUN_E_IO, "cannot write the job script " + items[k].script_path + ": " +
                                              std::string(trim(part->second.err))),
               outcomes[i]);
      continue;
    }
    settle(m, units[i], items[k].job_dir, part->second, outcomes[i]);
  }
  return outcomes;
}

}  // namespace xrun
