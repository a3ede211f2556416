// Finishing a job that ended: retrieve, parse, clean up, record.
#include "core/finishing.h"

#include "core/job_spec.h"
#include "core/state.h"
#include "parse/parse.h"
#include "transport/local.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/strings.h"

namespace xrun {

Finishing::Finishing(Store& store, MachineAccess& machines, const Logger& logger, std::string home)
    : store_(store), machines_(machines), logger_(logger), home_(std::move(home)) {}

void Finishing::finish(const Machine& m, const JobRecord& job, JobStatus status) {
  JobSpec spec = parse_job_spec(job.spec_json);
  auto t = machines_.transport(m);
  JobUpdate update;
  update.ended_ms = wall_ms();
  if (status.exit_code) update.exit_code = *status.exit_code;

  // Retrieve what the spec asked for. Local machines need no copy unless a
  // destination was given: the job directory is already here.
  std::string local_dir = job.job_dir;
  bool remote = m.execution == Execution::Remote;
  std::vector<std::string> wanted;
  for (const auto& name : spec.retrieve) wanted.push_back(spec.own_file(name));
  const std::string parse_file = spec.own_file(spec.parse_file);
  if (!spec.parser.empty()) wanted.push_back(parse_file);
  if ((remote || spec.retrieve_to) && !wanted.empty() && status.state != XRUN_STATE_LOST) {
    local_dir = spec.retrieve_to ? expand_user(*spec.retrieve_to) : home_ + "/results/" + job.id;
    LocalTransport here;
    here.make_dirs(local_dir, 0755);
    for (const auto& name : wanted) {
      try {
        t->download(job.job_dir + "/" + name, local_dir + "/" + name);
      } catch (const Error& e) {
        logger_.warn("job " + job.id + ": cannot retrieve " + name + ": " + e.what());
      }
    }
  }

  // Apply the parser: a failed diagnosis says why a "successful" run failed.
  if (!spec.parser.empty() && status.state != XRUN_STATE_LOST) {
    std::string path = local_dir + "/" + parse_file;
    try {
      auto result = parse::parse_file(path, spec.parser);
      update.result_json = result->to_json();
      std::string diagnosis = result->diagnosis();
      if (parse::diagnosis_is_failure(diagnosis) && status.state == XRUN_STATE_COMPLETED) {
        status.state = XRUN_STATE_FAILED;
        status.reason = diagnosis;
      }
    } catch (const Error& e) {
      logger_.warn("job " + job.id + ": parser " + spec.parser + " on " + path + ": " + e.what());
      if (status.state == XRUN_STATE_COMPLETED) {
        status.state = XRUN_STATE_FAILED;
        status.reason = std::string("output not parsed: ") + e.what();
      }
    }
  }

  std::string cleanup = spec.cleanup.value_or(m.cleanup);
  // An array's tasks share one directory: it is never removed under them.
  bool shared_dir = !spec.array.empty();
  if (!shared_dir && (cleanup == "always" || (cleanup == "on_success" && status.state == XRUN_STATE_COMPLETED))) {
    try {
      t->remove(job.job_dir, true);
    } catch (const Error& e) {
      logger_.warn("job " + job.id + ": cannot remove " + job.job_dir + ": " + e.what());
    }
  }

  update.reason = status.reason;
  std::string message = state_name(status.state);
  if (status.exit_code) message += " (exit " + std::to_string(*status.exit_code) + ")";
  if (!status.reason.empty()) message += ": " + status.reason;
  store_.transition(job.id, states_leading_to(status.state), status.state, update, message);
}

}  // namespace xrun
