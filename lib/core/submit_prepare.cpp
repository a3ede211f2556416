// Submission, first half: what is refused before anything is recorded, the
// records themselves (one transaction for all of them), and the entry point
// that hands the recorded jobs to the one send path.
#include <unistd.h>

#include <map>
#include <optional>

#include "core/job_cache.h"
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

Submission::Submission(Store& store, MachineAccess& machines, Dependencies& dependencies, const Logger& logger)
    : store_(store), machines_(machines), dependencies_(dependencies), logger_(logger) {}

std::string recorded_submit(const std::string& submit, const std::string& job_dir) {
  std::string out = quote_for_shell(job_files::submit_out(job_dir));
  return "__xrun_out=$(" + submit + "\n); __xrun_rc=$?; printf '%s\\n' \"$__xrun_out\" > " + out +
         "; printf '%s\\n' \"$__xrun_out\"; exit $__xrun_rc";
}

ScriptRequest script_request(const Machine& m, const JobSpec& spec, const std::string& id,
                             const std::string& job_dir, const std::string& run_dir,
                             const std::vector<std::string>& dependency_ids,
                             const std::vector<DependencyType>& dependency_types) {
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
  req.depends_on_types = dependency_types;
  req.hold = spec.hold;
  req.array = spec.array;
  req.no_requeue = retry_takes_node_failures(m, spec);
  return req;
}

const Machine& Submission::check(JobSpec& spec, MachineChooser& chooser,
                                 const std::map<std::string, const JobSpec*>& batch) {
  chooser.choose(spec);
  const Machine& m = machines_.machine(spec.machine);
  spec.machine = m.name;
  const Scheduler& sched = machines_.scheduler(m);
  if (spec.array_index || !spec.array_parent.empty() || !spec.batch.empty())
    throw Error(XRUN_E_INVALID,
                "job spec: \"array_index\", \"array_parent\" and \"batch\" are set by xrun, not by callers");
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
  // Parents on any machine: those the scheduler cannot wait for (another
  // machine, a type it does not render) are held by xrun instead.
  std::vector<std::string> placeholder_ids;
  std::vector<DependencyType> placeholder_types;
  for (size_t i = 0; i < spec.depends_on.size(); ++i) {
    const Dependency& dep = spec.depends_on[i];
    std::string parent_machine;
    auto member = batch.find(dep.job);
    if (member != batch.end()) {
      parent_machine = member->second->machine;
    } else {
      auto parent = store_.get_job(dep.job);
      if (!parent)
        throw Error(XRUN_E_INVALID, "job spec: $.depends_on[" + std::to_string(i) + "]: no job with id \"" +
                                        dep.job + "\"");
      parent_machine = parent->machine;
    }
    if (parent_machine == m.name && sched.renders_dependency(dep.type)) {
      placeholder_ids.push_back("1");
      placeholder_types.push_back(dep.type);
    }
  }
  if (placeholder_ids.size() != spec.depends_on.size()) {
    placeholder_ids.clear();  // held by xrun: sent without native dependencies
    placeholder_types.clear();
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
                                     placeholder_ids, placeholder_types));
  return m;
}

std::vector<JobRecord> Submission::make_records(const JobSpec& spec, const std::string& first_id,
                                               const JobRecord* carrier) {
  // Every job (each array task is one) is recorded before anything is sent.
  const std::vector<int64_t> indexes = spec.array.empty() ? std::vector<int64_t>{} : array_indexes(spec.array);
  std::vector<JobRecord> records;
  size_t count = indexes.empty() ? 1 : indexes.size();
  const int64_t now = wall_ms();
  for (size_t i = 0; i < count; ++i) {
    if (i == 0 && carrier) {
      records.push_back(*carrier);
      continue;
    }
    JobRecord record;
    record.id = i == 0 ? first_id : new_job_id();
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
  // 1. Check every spec; one bad spec refuses them all. The ids are made
  // first: members of the batch may name each other ("@name", "@index").
  std::vector<std::string> ids;
  for (size_t i = 0; i < specs.size(); ++i) ids.push_back(new_job_id());
  resolve_batch_references(specs, ids);
  std::map<std::string, const JobSpec*> members;
  for (size_t i = 0; i < specs.size(); ++i) members[ids[i]] = &specs[i];
  std::vector<const Machine*> machine_of;
  std::vector<std::string> hashes(specs.size());
  MachineChooser chooser(store_, machines_);
  for (size_t i = 0; i < specs.size(); ++i) {
    try {
      if (specs[i].cache) check_cacheable(specs[i]);
      machine_of.push_back(&check(specs[i], chooser, members));
      if (specs[i].cache) hashes[i] = content_hash(*machine_of[i], specs[i]);
    } catch (const Error& e) {
      if (!name_index) throw;
      throw Error(e.status(), "job " + std::to_string(i) + ": " + e.what());
    }
  }
  // A batch of several jobs: each member carries the batch's id (its
  // first job's), and fail_fast on any member makes the whole batch so.
  if (specs.size() > 1) {
    bool fail_fast = false;
    for (const auto& spec : specs) fail_fast = fail_fast || spec.fail_fast;
    for (auto& spec : specs) {
      spec.batch = ids[0];
      spec.fail_fast = fail_fast;
    }
  }
  // 2. Record every job, in one transaction. A job whose parents are not
  // done (or not on the scheduler) is recorded waiting for them; a job the
  // cache answers is recorded like any other, then ends at once.
  std::vector<Unit> units(specs.size());
  std::vector<std::optional<JobRecord>> cached(specs.size());
  std::vector<JobRecord> all;
  std::vector<bool> held(specs.size(), false);
  bool never = false;
  for (size_t i = 0; i < specs.size(); ++i) {
    units[i].spec = specs[i];
    units[i].records = make_records(specs[i], ids[i]);
    if (!hashes[i].empty()) {
      JobRecord& record = units[i].records[0];
      record.content_hash = hashes[i];
      cached[i] = store_.cache_source(hashes[i]);
      if (cached[i]) {
        record.cached_from = cached[i]->id;
        record.state = XRUN_STATE_CREATED;
        record.waiting_for = WaitingFor::Nothing;
        record.reason.clear();
      }
    }
    if (!specs[i].depends_on.empty() && !specs[i].defer) {
      DependencyPlan plan = plan_dependencies(
          specs[i], specs[i].machine, machines_.scheduler(*machine_of[i]),
          [&](const std::string& id) -> std::optional<JobRecord> {
            auto member = members.find(id);
            if (member == members.end()) return store_.get_job(id);
            JobRecord unsent;  // a member of this batch: recorded with it, not sent yet
            unsent.id = id;
            unsent.machine = member->second->machine;
            unsent.spec_json = job_spec_to_json(*member->second);
            return unsent;
          },
          machine_of[i]->retry.has_value());
      if (plan.verdict != DependencyPlan::Verdict::Ready) {
        held[i] = true;
        never = never || plan.verdict == DependencyPlan::Verdict::Never;
        for (auto& record : units[i].records) {
          record.state = XRUN_STATE_WAITING;
          record.waiting_for = WaitingFor::Dependencies;
          record.reason = "waiting for dependencies: " + plan.reason;
        }
      }
    }
    all.insert(all.end(), units[i].records.begin(), units[i].records.end());
  }
  if (all.empty()) return {};
  store_.insert_jobs(all);
  logger_.info(std::to_string(all.size()) + " job(s) recorded, first " + all.front().id);
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!cached[i]) continue;
    complete_from_cache(store_, units[i].records[0], *cached[i]);
    logger_.info("job " + units[i].records[0].id + " completed from the cache: " + cached[i]->id);
  }
  // A parent that already ended the wrong way: the job ends at once.
  if (never) dependencies_.settle({});
  // 3. Send, per machine ONE command (deferred and held jobs wait for a
  // poll round; cached ones are done).
  std::vector<SendOutcome> outcomes(specs.size());
  std::map<std::string, std::vector<size_t>> by_machine;
  for (size_t i = 0; i < specs.size(); ++i) {
    outcomes[i].id = units[i].records[0].id;
    if (!specs[i].defer && !held[i] && !cached[i]) by_machine[specs[i].machine].push_back(i);
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
