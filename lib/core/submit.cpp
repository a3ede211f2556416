// Submission: record first, then send. A job is in the store (CREATED)
// before anything leaves this process; SUBMITTING marks the window in which
// a crash leaves the outcome unknown, which recover() settles.
#include <unistd.h>

#include "core/context.h"
#include "core/job_files.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/ids.h"
#include "util/shell_quote.h"

namespace xrun {

namespace {

std::string base_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// Wraps the scheduler's submit command so its output is also kept in the
// job directory (see job_files::submit_out).
std::string recorded_submit(const std::string& submit, const std::string& job_dir) {
  std::string out = quote_for_shell(job_files::submit_out(job_dir));
  return "__xrun_out=$(" + submit + "\n); __xrun_rc=$?; printf '%s\\n' \"$__xrun_out\" > " + out +
         "; printf '%s\\n' \"$__xrun_out\"; exit $__xrun_rc";
}

}  // namespace

static ScriptRequest script_request(const Machine& m, const JobSpec& spec, const std::string& id,
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
  return req;
}

JobRecord Context::submit(const JobSpec& spec_in) {
  JobSpec spec = spec_in;
  const Machine& m = machine(spec.machine);
  spec.machine = m.name;
  const Scheduler& sched = scheduler(m);

  for (const auto& path : spec.upload) {
    if (access(path.c_str(), R_OK) != 0)
      throw Error(XRUN_E_INVALID, "job spec: $.upload: cannot read \"" + path + "\"");
  }
  std::vector<std::string> dependency_ids;
  for (const auto& dep : spec.depends_on) {
    auto parent = store_->get_job(dep);
    if (!parent) throw Error(XRUN_E_INVALID, "job spec: $.depends_on: no job with id \"" + dep + "\"");
    if (parent->machine != m.name)
      throw Error(XRUN_E_INVALID, "job spec: $.depends_on: job " + dep + " runs on machine \"" +
                                      parent->machine + "\", not \"" + m.name + "\"");
    if (parent->scheduler_id.empty())
      throw Error(XRUN_E_STATE, "job spec: $.depends_on: job " + dep + " has not been submitted");
    dependency_ids.push_back(parent->scheduler_id);
  }
  // Render once with placeholder paths: a spec the scheduler cannot carry
  // is refused before anything is recorded.
  sched.render_script(script_request(m, spec, "00000000000000000000000000", "/xrun-check",
                                     "/xrun-check", dependency_ids));

  JobRecord record;
  record.id = new_job_id();
  record.machine = m.name;
  record.name = spec.name;
  record.state = XRUN_STATE_CREATED;
  record.spec_json = job_spec_to_json(spec);
  record.created_ms = wall_ms();
  record.updated_ms = record.created_ms;
  store_->insert_job(record);
  logger_.info("job " + record.id + " recorded on machine " + m.name);
  send_job(m, spec, record);
  return job(record.id);
}

void Context::send_job(const Machine& m, const JobSpec& spec, JobRecord& record) {
  const std::string& id = record.id;
  JobUpdate attempt;
  attempt.bump_attempts = true;
  if (!store_->transition(id, {XRUN_STATE_CREATED}, XRUN_STATE_SUBMITTING, attempt, "submitting"))
    throw Error(XRUN_E_STATE, "job " + id + " is no longer waiting to be sent");

  const Scheduler& sched = scheduler(m);
  std::string job_dir;
  ScriptRequest req;
  std::string submit;
  std::shared_ptr<Transport> t;
  try {
    t = transport(m);
    job_dir = workdir(m) + "/" + id;
    std::string run_dir = spec.workdir ? t->resolve_path(*spec.workdir) : job_dir;
    std::vector<std::string> dependency_ids;
    for (const auto& dep : spec.depends_on) dependency_ids.push_back(job(dep).scheduler_id);
    req = script_request(m, spec, id, job_dir, run_dir, dependency_ids);
    t->make_dirs(job_dir, 0755);
    for (const auto& path : spec.upload) t->upload(path, job_dir + "/" + base_name(path));
    t->write_file(job_files::script(job_dir), sched.render_script(req), 0700);
    submit = recorded_submit(sched.submit_command(req, job_files::script(job_dir)), job_dir);
  } catch (const Error& e) {
    // Nothing reached the scheduler: the job may safely be sent again, and
    // no half-made job directory is left behind (e.g. on a full disk).
    if (t && !job_dir.empty()) {
      try {
        t->remove(job_dir, true);
      } catch (const Error& cleanup) {
        logger_.warn("job " + id + ": cannot remove " + job_dir + ": " + cleanup.what());
      }
    }
    JobUpdate update;
    update.reason = std::string("not submitted: ") + e.what();
    store_->transition(id, {XRUN_STATE_SUBMITTING}, XRUN_STATE_CREATED, update, *update.reason);
    throw;
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
    store_->transition(id, {XRUN_STATE_SUBMITTING}, XRUN_STATE_SUBMITTING, update, *update.reason);
    throw;
  }
  std::string scheduler_id;
  try {
    scheduler_id = sched.parse_submit_output(result);
  } catch (const Error& e) {
    JobUpdate update;
    update.reason = std::string("refused by the scheduler: ") + e.what();
    update.job_dir = job_dir;
    store_->transition(id, {XRUN_STATE_SUBMITTING}, XRUN_STATE_CREATED, update, *update.reason);
    throw;
  }

  JobUpdate done;
  done.scheduler_id = scheduler_id;
  done.job_dir = job_dir;
  done.submitted_ms = wall_ms();
  done.reason = "";
  store_->transition(id, {XRUN_STATE_SUBMITTING}, XRUN_STATE_SUBMITTED, done,
                     "submitted as " + sched.name() + " job " + scheduler_id);
  if (sched.name() == "direct") {
    // A direct job is running as soon as it is started.
    JobUpdate running;
    running.started_ms = *done.submitted_ms;
    store_->transition(id, {XRUN_STATE_SUBMITTED}, XRUN_STATE_RUNNING, running, "running");
  }
  logger_.info("job " + id + " submitted as " + sched.name() + " job " + scheduler_id);
}

}  // namespace xrun
