// Submission: record first, then send. A job is in the store (CREATED)
// before anything leaves this process; SUBMITTING marks the window in which
// a crash leaves the outcome unknown, which recover() settles. A job array
// is one submission carried by its first task; every task is a job.
#include <unistd.h>

#include "core/context.h"
#include "core/job_files.h"
#include "core/submission.h"
#include "scheduler/batch_common.h"
#include "transport/confined_dir.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/ids.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

const char* const kWaitingForRoom = "waiting for room on the scheduler: ";

namespace {

std::string base_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

}  // namespace

// Wraps the scheduler's submit command so its output is also kept in the
// job directory (see job_files::submit_out).
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
  return req;
}

Context::CheckedSpec Context::check_spec(JobSpec& spec) {
  const Machine& m = machine(spec.machine);
  spec.machine = m.name;
  const Scheduler& sched = scheduler(m);
  if (spec.array_index || !spec.array_parent.empty())
    throw Error(XRUN_E_INVALID, "job spec: \"array_index\" and \"array_parent\" are set by xrun, not by callers");
  for (const auto& path : spec.upload) {
    // The copy is named after the path's last part: "dir/.." would put its
    // files in the parent of the job directory.
    if (!is_plain_name(base_name(path)))
      throw Error(XRUN_E_INVALID, "job spec: $.upload: \"" + path + "\" ends in \"" + base_name(path) +
                                      "\": name the file or directory itself");
    if (access(path.c_str(), R_OK) != 0)
      throw Error(XRUN_E_INVALID, "job spec: $.upload: cannot read \"" + path + "\"");
  }
  CheckedSpec checked{&m, {}, {}};
  for (const auto& dep : spec.depends_on) {
    auto parent = store_->get_job(dep);
    if (!parent) throw Error(XRUN_E_INVALID, "job spec: $.depends_on: no job with id \"" + dep + "\"");
    if (parent->machine != m.name)
      throw Error(XRUN_E_INVALID, "job spec: $.depends_on: job " + dep + " runs on machine \"" +
                                      parent->machine + "\", not \"" + m.name + "\"");
    if (parent->scheduler_id.empty())
      throw Error(XRUN_E_STATE, "job spec: $.depends_on: job " + dep + " has not been submitted");
    checked.dependency_ids.push_back(parent->scheduler_id);
  }
  if (!spec.array.empty()) {
    if (sched.array_task_id("1", 0).empty())
      throw Error(XRUN_E_UNSUPPORTED, "the " + sched.name() + " scheduler has no job arrays");
    try {
      checked.array_indexes = array_indexes(spec.array);
    } catch (const Error& e) {
      throw Error(XRUN_E_INVALID, std::string("job spec: $.array: ") + e.what());
    }
  }
  // Render once with placeholder paths: a spec the scheduler cannot carry
  // is refused before anything is recorded.
  sched.render_script(script_request(m, spec, "00000000000000000000000000", "/xrun-check", "/xrun-check",
                                     checked.dependency_ids));
  return checked;
}

std::vector<JobRecord> Context::record_jobs(const JobSpec& spec, const CheckedSpec& checked) {
  // Every job (each array task is one) is in the store before anything is sent.
  const std::vector<int64_t>& indexes = checked.array_indexes;
  std::vector<JobRecord> records;
  size_t count = indexes.empty() ? 1 : indexes.size();
  for (size_t i = 0; i < count; ++i) {
    JobRecord record;
    record.id = new_job_id();
    record.machine = spec.machine;
    record.state = XRUN_STATE_CREATED;
    JobSpec own = spec;
    if (!indexes.empty()) {
      own.array_index = indexes[i];
      own.array_parent = i == 0 ? "" : records[0].id;
      record.name = spec.name + "[" + std::to_string(indexes[i]) + "]";
    } else {
      record.name = spec.name;
    }
    record.spec_json = job_spec_to_json(own);
    record.created_ms = wall_ms();
    record.updated_ms = record.created_ms;
    store_->insert_job(record);
    records.push_back(record);
  }
  logger_.info("job " + records[0].id + " recorded on machine " + spec.machine +
               (count > 1 ? " with " + std::to_string(count) + " array tasks" : ""));
  return records;
}

JobRecord Context::submit(const JobSpec& spec_in) {
  JobSpec spec = spec_in;
  CheckedSpec checked = check_spec(spec);
  std::vector<JobRecord> records = record_jobs(spec, checked);
  send_job(*checked.machine, spec, records);
  return job(records[0].id);
}

bool Context::send_job(const Machine& m, const JobSpec& spec, const std::vector<JobRecord>& records) {
  const std::string& id = records[0].id;
  // Every job of the submission moves to SUBMITTING first (compare-and-set:
  // two processes resending a waiting job cannot both send it).
  JobUpdate attempt;
  attempt.bump_attempts = true;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!store_->transition(records[i].id, {XRUN_STATE_CREATED}, XRUN_STATE_SUBMITTING, attempt, "submitting")) {
      if (i == 0) return false;  // someone else is sending it
      throw Error(XRUN_E_STATE, "array task " + records[i].id + " is no longer waiting to be sent");
    }
  }
  auto settle = [&](xrun_state to, const JobUpdate& update, const std::string& message) {
    for (const auto& r : records) store_->transition(r.id, {XRUN_STATE_SUBMITTING}, to, update, message);
  };

  const Scheduler& sched = scheduler(m);
  std::string job_dir;
  std::string submit;
  std::shared_ptr<Transport> t;
  bool dir_made = false;  // something on the host to clean up if a later step fails
  try {
    t = transport(m);
    job_dir = workdir(m) + "/" + id;
    std::string run_dir = spec.workdir ? t->resolve_path(*spec.workdir) : job_dir;
    std::vector<std::string> dependency_ids;
    for (const auto& dep : spec.depends_on) dependency_ids.push_back(job(dep).scheduler_id);
    ScriptRequest req = script_request(m, spec, id, job_dir, run_dir, dependency_ids);
    t->make_dirs(job_dir, 0755);
    dir_made = true;
    for (const auto& path : spec.upload) t->upload(path, job_dir + "/" + base_name(path));
    t->write_file(job_files::script(job_dir), sched.render_script(req), 0700);
    submit = recorded_submit(sched.submit_command(req, job_files::script(job_dir)), job_dir);
  } catch (const Error& e) {
    // Nothing reached the scheduler: the job may safely be sent again, and
    // no half-made job directory is left behind (e.g. on a full disk). A
    // send that never made the directory (host down) has nothing to clean:
    // reconnecting for it would only double the wait.
    if (t && dir_made) {
      try {
        t->remove(job_dir, true);
      } catch (const Error& cleanup) {
        logger_.warn("job " + id + ": cannot remove " + job_dir + ": " + cleanup.what());
      }
    }
    JobUpdate update;
    update.reason = std::string("not submitted: ") + e.what();
    settle(XRUN_STATE_CREATED, update, *update.reason);
    // The caller gets no job handle: the message names the job recorded.
    throw Error(e.status(), "job " + id + " recorded but not sent (state created, safe to send again): " + e.what());
  }

  CommandResult result;
  try {
    result = t->run(submit);
  } catch (const Error& e) {
    // The submit command may or may not have run: stay SUBMITTING, with the
    // reason, so recover() can look for the job instead of sending it twice.
    JobUpdate update;
    update.reason = std::string("submission outcome unknown: ") + e.what();
    update.job_dir = job_dir;
    settle(XRUN_STATE_SUBMITTING, update, *update.reason);
    throw Error(e.status(), "job " + id + " recorded; whether the scheduler got it is unknown (xrun recover "
                            "settles it): " + e.what());
  }
  return record_submission(m, records, job_dir, result);
}

bool Context::record_submission(const Machine& m, const std::vector<JobRecord>& records,
                                const std::string& job_dir, const CommandResult& result) {
  const Scheduler& sched = scheduler(m);
  const std::string& id = records[0].id;
  auto settle = [&](xrun_state to, const JobUpdate& update, const std::string& message) {
    for (const auto& r : records) store_->transition(r.id, {XRUN_STATE_SUBMITTING}, to, update, message);
  };
  std::string scheduler_id;
  try {
    scheduler_id = sched.parse_submit_output(result);
  } catch (const SubmitRefusedForLimit& e) {
    // A per-user cap: the job waits in xrun and is sent again when a poll
    // round sees room (resend_waiting), instead of failing.
    JobUpdate update;
    update.reason = std::string(kWaitingForRoom) + e.what();
    settle(XRUN_STATE_CREATED, update, *update.reason);
    logger_.info("job " + id + " waits: " + e.what());
    return false;
  } catch (const Error& e) {
    JobUpdate update;
    update.reason = std::string("refused by the scheduler: ") + e.what();
    update.job_dir = job_dir;
    settle(XRUN_STATE_CREATED, update, *update.reason);
    throw;
  }

  const int64_t now = wall_ms();
  for (const auto& r : records) {
    JobSpec own = parse_job_spec(r.spec_json);
    JobUpdate done;
    done.scheduler_id = own.array_index ? sched.array_task_id(scheduler_id, *own.array_index) : scheduler_id;
    done.job_dir = job_dir;
    done.submitted_ms = now;
    done.reason = "";
    store_->transition(r.id, {XRUN_STATE_SUBMITTING}, XRUN_STATE_SUBMITTED, done,
                       "submitted as " + sched.name() + " job " + *done.scheduler_id);
    if (sched.name() == "direct") {
      // A direct job is running as soon as it is started.
      JobUpdate running;
      running.started_ms = now;
      store_->transition(r.id, {XRUN_STATE_SUBMITTED}, XRUN_STATE_RUNNING, running, "running");
    }
  }
  logger_.info("job " + id + " submitted as " + sched.name() + " job " + scheduler_id);
  return true;
}

void Context::resend_waiting(const Machine& m) {
  // Oldest first, and stop at the first refusal: the cap is still reached.
  std::vector<JobRecord> waiting = store_->list_jobs(m.name, XRUN_STATE_CREATED, 0);
  for (auto it = waiting.rbegin(); it != waiting.rend(); ++it) {
    if (!starts_with(it->reason, kWaitingForRoom)) continue;
    JobSpec spec = parse_job_spec(it->spec_json);
    if (!spec.array_parent.empty()) continue;  // sent with its carrier
    std::vector<JobRecord> records = {*it};
    if (!spec.array.empty()) {
      for (const auto& other : waiting) {
        if (other.id == it->id || !starts_with(other.reason, kWaitingForRoom)) continue;
        if (parse_job_spec(other.spec_json).array_parent == it->id) records.push_back(other);
      }
    }
    JobSpec carrier = spec;
    carrier.array_index.reset();
    carrier.array_parent.clear();
    if (!send_job(m, carrier, records)) break;
  }
}

}  // namespace xrun
