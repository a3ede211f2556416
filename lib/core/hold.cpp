#include "core/hold.h"

#include "core/state.h"
#include "util/error.h"
#include "util/strings.h"

namespace xrun {

namespace {

enum class Change { Hold, Release };

void change_hold(Context& context, const std::string& id, Change change) {
  const bool hold = change == Change::Hold;
  JobRecord record = context.job(id);
  const bool pending = record.state == XRUN_STATE_SUBMITTED || record.state == XRUN_STATE_QUEUED;
  if (hold ? record.state == XRUN_STATE_HELD : pending) return;  // already where asked
  auto wrong_state = [&] {
    return Error(XRUN_E_STATE, "job " + id + " is " + state_name(record.state) + ": only a job waiting in its " +
                                   "scheduler's queue (submitted, queued or held) can be " +
                                   (hold ? "held" : "released"));
  };
  if (is_terminal(record.state) || record.scheduler_id.empty()) throw wrong_state();
  const Machine& machine = context.machines().machine(record.machine);
  const Scheduler& scheduler = context.machines().scheduler(machine);
  std::vector<TrackedJob> jobs = {{record.id, record.scheduler_id, record.job_dir}};
  std::string command = hold ? scheduler.hold_command(jobs) : scheduler.release_command(jobs);
  if (command.empty())
    throw Error(XRUN_E_UNSUPPORTED, "the " + scheduler.name() + " scheduler of machine " + machine.name +
                                        " cannot " + (hold ? "hold" : "release") + " a job");
  if (!pending && record.state != XRUN_STATE_HELD) throw wrong_state();
  CommandResult result = context.machines().transport(machine)->run(command);
  if (result.exit_status != 0)
    throw Error(XRUN_E_SCHEDULER, std::string(hold ? "hold" : "release") + " of job " + id + " failed (exit " +
                                      std::to_string(result.exit_status) + "): " +
                                      std::string(trim(result.err + result.out)));
  JobUpdate update;
  update.reason = hold ? "held by user" : "released by user";
  if (hold)
    context.store().transition(id, {XRUN_STATE_SUBMITTED, XRUN_STATE_QUEUED}, XRUN_STATE_HELD, update, "held by user");
  else
    context.store().transition(id, {XRUN_STATE_HELD}, XRUN_STATE_QUEUED, update, "released by user");
}

}  // namespace

void hold_job(Context& context, const std::string& id) { change_hold(context, id, Change::Hold); }
void release_job(Context& context, const std::string& id) { change_hold(context, id, Change::Release); }

}  // namespace xrun
