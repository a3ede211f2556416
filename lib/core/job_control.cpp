// Cancel and wait.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/job_control.h"
#include "core/job_spec.h"
#include "core/state.h"
#include "util/clock.h"
#include "util/deadline.h"
#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

namespace {

JobRecord job_of(const Store& store, const std::string& id) {
  auto record = store.get_job(id);
  if (!record) throw Error(XRUN_E_NOT_FOUND, "no job with id \"" + id + "\"");
  return *record;
}

}  // namespace

void Cancelling::cancel(const std::string& id) {
  JobRecord record = job_of(store_, id);
  if (is_terminal(record.state))
    throw Error(XRUN_E_STATE, "job " + id + " is already " + state_name(record.state));
  JobUpdate update;
  update.ended_ms = wall_ms();
  update.reason = "cancelled by user";
  if (record.state == XRUN_STATE_CREATED || record.state == XRUN_STATE_WAITING) {
    if (!store_.transition(id, {XRUN_STATE_CREATED, XRUN_STATE_WAITING}, XRUN_STATE_CANCELLED, update,
                            "cancelled before submission"))
      throw Error(XRUN_E_STATE, "job " + id + " changed state while being cancelled; try again");
    dependencies_.settle({});  // its dependents may be ruled out now
    return;
  }
  if (record.state == XRUN_STATE_SUBMITTING)
    throw Error(XRUN_E_STATE, "job " + id + " is being submitted; recover or try again");
  const Machine& m = machines_.machine(record.machine);
  const Scheduler& sched = machines_.scheduler(m);
  CommandResult result =
      machines_.transport(m)->run(sched.cancel_command({{record.id, record.scheduler_id, record.job_dir}}));
  if (result.exit_status != 0) {
    // The job may have ended on its own just now: let a poll settle that.
    polling_.poll_machine(m.name, true);
    JobRecord now = job_of(store_, id);
    if (is_terminal(now.state))
      throw Error(XRUN_E_STATE, "job " + id + " is already " + state_name(now.state));
    throw Error(XRUN_E_SCHEDULER, "cancel of job " + id + " failed (exit " +
                                      std::to_string(result.exit_status) + "): " +
                                      std::string(trim(result.err + result.out)));
  }
  // The attempt that was on the scheduler ends here (its record, as when a
  // poll round finishes a job).
  AttemptRecord attempt;
  attempt.job_id = id;
  attempt.number = parse_job_spec(record.spec_json).attempt;
  attempt.scheduler_id = record.scheduler_id;
  attempt.state = XRUN_STATE_CANCELLED;
  attempt.reason = *update.reason;
  attempt.submitted_ms = record.submitted_ms;
  attempt.started_ms = record.started_ms;
  attempt.ended_ms = update.ended_ms;
  update.add_attempt = attempt;
  store_.transition(id, {XRUN_STATE_SUBMITTED, XRUN_STATE_QUEUED, XRUN_STATE_HELD, XRUN_STATE_RUNNING},
                     XRUN_STATE_CANCELLED, update, "cancelled by user");
  dependencies_.settle({});  // its dependents may be ruled out now
}

// How long wait() keeps waiting through failed poll rounds before it gives
// the error to its caller.
constexpr int64_t kWaitThroughFailuresMs = 300000;

JobRecord Waiting::wait(const std::string& id, int64_t timeout_ms) {
  const int64_t start = monotonic_ms();
  // Every poll, connect and command below ends by the wait's own deadline.
  DeadlineScope bound(timeout_ms >= 0 ? start + timeout_ms : kNoDeadline);
  const uint64_t interrupts = wakeup_.interrupts();
  int64_t delay = 20;
  int64_t failing_since = 0;
  for (;;) {
    JobRecord record = job_of(store_, id);
    if (is_terminal(record.state)) return record;
    if (record.state == XRUN_STATE_CREATED)
      throw Error(XRUN_E_STATE, "job " + id + " is in state created, never sent (xrun_job_send sends it)" +
                                    (record.reason.empty() ? std::string() : ": " + record.reason));
    int64_t next;
    try {
      // A job held for its parents moves when THEIR machines are polled.
      next = record.state == XRUN_STATE_WAITING && record.waiting_for == WaitingFor::Dependencies
                 ? polling_.poll_all()
                 : polling_.poll_machine(record.machine, false);
      failing_since = 0;
    } catch (const Error& e) {
      // A scheduler or connection that fails for a while is waited out
      // (poll rounds back off); one that stays down is reported.
      if (e.status() != XRUN_E_TRANSPORT && e.status() != XRUN_E_SCHEDULER && e.status() != XRUN_E_TIMEOUT) throw;
      if (failing_since == 0) failing_since = monotonic_ms();
      if (monotonic_ms() - failing_since > kWaitThroughFailuresMs) throw;
      next = 1000;
    }
    record = job_of(store_, id);
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


}  // namespace xrun
