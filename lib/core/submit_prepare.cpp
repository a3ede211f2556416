// Submission, first half: what is refused before anything is recorded, the
// records themselves (one transaction for all of them), and the entry point
// that hands the recorded jobs to the one send path.
#include <unistd.h>

#include <map>

#include "core/job_files.h"
#include "core/retrying.h"
#include "core/submission.h"
#include "scheduler/batch_common.h"
#include "transport/confined_dir.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/ids.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

Submission::Submission(Store& store, MachineAccess& machines, const Logger& logger)
    : store_(store), machines_(machines), logger_(logger) {}

std::string recorded_submit(const std::string& submit, const std::string& job_dir) {
  std::string out = quote_for_shell(job_files::submit_out(job_dir));
  return "__xrun_out=$(" + submit + "\n); __xrun_rc=$?; printf '%s\\n' \"$__xrun_out\" > " + out +
         "; printf '%s\\n' \"$__xrun_out\"; exit $__xrun_rc";
}

ScriptRequest script_request(const Machine& m, const JobSpec& spec, const std::string& id,
                             const std::string& job_dir, const std::string& run_dir,
                             const std::vector<std::string>& dependency_ids) {
  ScriptRequest req;
  req.job_id = id;
  req.name = spec.name;
  req.job_dir = job_dir;
  req.run_dir = run_dir;
  req.command = spec.shell_command();
  req.env = m.env;
  for (const auto& [k, v] : spec.env) req.env[k] = v;
  req.prepend = m.prepend;
  req.launcher = m.launcher;
  req.resources = m.resources.merged_with(spec.resources);
  req.stdout_path = job_files::out(job_dir);
  req.stderr_path = job_files::err(job_dir);
  req.exit_code_path = job_files::exit_code(job_dir);
  req.depends_on = dependency_ids;
  req.hold = spec.hold;
  req.array = spec.array;
  req.no_requeue = retry_takes_node_failures(m, spec);
  return req;
}

const Machine& Submission::check(JobSpec& spec) {
  const Machine& m = machines_.machine(spec.machine);
  spec.machine = m.name;
  const Scheduler& sched = machines_.scheduler(m);
  if (spec.array_index || !spec.array_parent.empty())
    throw Error(XRUN_E_INVALID, "job spec: \"array_index\" and \"array_parent\" are set by xrun, not by callers");
  for (const auto& path : spec.upload) {
    // The copy is named after the path's last part: "dir/.." would put its
    // files in the parent of the job directory.
    if (base_name(path) == job_files::kOwnDirName)
      throw Error(XRUN_E_INVALID, "job spec: $.upload: \"" + path + "\": the name \"" + job_files::kOwnDirName +
                                      "\" is xrun's own folder in the job directory");
    if (!is_plain_name(base_name(path)))
      throw Error(XRUN_E_INVALID, "job spec: $.upload: \"" + path + "\" ends in \"" + base_name(path) +
                                      "\": name the file or directory itself");
    if (access(path.c_str(), R_OK) != 0)
      throw Error(XRUN_E_INVALID, "job spec: $.upload: cannot read \"" + path + "\"");
  }
  std::vector<std::string> placeholder_ids;
  for (const auto& dep : spec.depends_on) {
    auto parent = store_.get_job(dep);
    if (!parent) throw Error(XRUN_E_INVALID, "job spec: $.depends_on: no job with id \"" + dep + "\"");
    if (parent->machine != m.name)
      throw Error(XRUN_E_INVALID, "job spec: $.depends_on: job " + dep + " runs on machine \"" +
                                      parent->machine + "\", not \"" + m.name + "\"");
    // A deferred job may name a parent that is not sent yet: it waits for it.
    if (parent->scheduler_id.empty() && !spec.defer)
      throw Error(XRUN_E_STATE, "job spec: $.depends_on: job " + dep + " has not been submitted");
    placeholder_ids.push_back(parent->scheduler_id.empty() ? "1" : parent->scheduler_id);
  }
  if (!spec.array.empty()) {
    if (sched.array_task_id("1", 0).empty())
      throw Error(XRUN_E_UNSUPPORTED, "the " + sched.name() + " scheduler has no job arrays");
    try {
      array_indexes(spec.array);
    } catch (const Error& e) {
      throw Error(XRUN_E_INVALID, std::string("job spec: $.array: ") + e.what());
    }
  }
  // Render once with placeholder paths: a spec the scheduler cannot carry
  // is refused before anything is recorded.
  sched.render_script(script_request(m, spec, "00000000000000000000000000", "/xrun-check", "/xrun-check",
                                     placeholder_ids));
  return m;
}

std::vector<JobRecord> Submission::make_records(const JobSpec& spec) {
  // Every job (each array task is one) is recorded before anything is sent.
  const std::vector<int64_t> indexes = spec.array.empty() ? std::vector<int64_t>{} : array_indexes(spec.array);
  std::vector<JobRecord> records;
  size_t count = indexes.empty() ? 1 : indexes.size();
  const int64_t now = wall_ms();
  for (size_t i = 0; i < count; ++i) {
    JobRecord record;
    record.id = new_job_id();
    record.machine = spec.machine;
    record.state = XRUN_STATE_CREATED;
    if (spec.defer) {
      record.state = XRUN_STATE_WAITING;
      record.waiting_for = WaitingFor::Deferred;
      record.reason = "deferred: the next poll round of " + spec.machine + " sends it";
    }
    JobSpec own = spec;
    if (!indexes.empty()) {
      own.array_index = indexes[i];
      own.array_parent = i == 0 ? "" : records[0].id;
      record.name = spec.name + "[" + std::to_string(indexes[i]) + "]";
    } else {
      record.name = spec.name;
    }
    record.spec_json = job_spec_to_json(own);
    record.created_ms = now;
    record.updated_ms = now;
    records.push_back(record);
  }
  return records;
}

std::vector<SendOutcome> Submission::submit(std::vector<JobSpec> specs, bool name_index) {
  // 1. Check every spec; one bad spec refuses them all.
  std::vector<const Machine*> machine_of;
  for (size_t i = 0; i < specs.size(); ++i) {
    try {
      machine_of.push_back(&check(specs[i]));
    } catch (const Error& e) {
      if (!name_index) throw;
      throw Error(e.status(), "job " + std::to_string(i) + ": " + e.what());
    }
  }
  // 2. Record every job, in one transaction.
  std::vector<Unit> units(specs.size());
  std::vector<JobRecord> all;
  for (size_t i = 0; i < specs.size(); ++i) {
    units[i].spec = specs[i];
    units[i].records = make_records(specs[i]);
    all.insert(all.end(), units[i].records.begin(), units[i].records.end());
  }
  if (all.empty()) return {};
  store_.insert_jobs(all);
  logger_.info(std::to_string(all.size()) + " job(s) recorded, first " + all.front().id);
  // 3. Send, per machine ONE command (deferred jobs wait for a poll round).
  std::vector<SendOutcome> outcomes(specs.size());
  std::map<std::string, std::vector<size_t>> by_machine;
  for (size_t i = 0; i < specs.size(); ++i) {
    outcomes[i].id = units[i].records[0].id;
    if (!specs[i].defer) by_machine[specs[i].machine].push_back(i);
  }
  for (const auto& [name, indexes] : by_machine) {
    std::vector<Unit> group;
    for (size_t i : indexes) group.push_back(units[i]);
    std::vector<SendOutcome> sent = send_units(*machine_of[indexes[0]], group);
    for (size_t k = 0; k < indexes.size(); ++k) outcomes[indexes[k]] = sent[k];
  }
  return outcomes;
}

}  // namespace xrun
