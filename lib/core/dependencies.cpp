#include "core/dependencies.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/state.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/json.h"

namespace xrun {

namespace {

std::string describe(const Dependency& dep, const JobRecord& parent) {
  return "parent " + dep.job + " ended " + state_name(parent.state) + " (" + dependency_type_name(dep.type) + ")";
}

// The first parent whose end rules the condition out, as a reason; "" if none.
std::string never_reason(const JobSpec& spec, const ParentLookup& parent) {
  for (const auto& dep : spec.depends_on) {
    auto p = parent(dep.job);
    if (!p) return "dependency never satisfied: parent " + dep.job + " is not in the store";
    if (is_terminal(p->state) && !dependency_met(dep.type, p->state))
      return "dependency never satisfied: " + describe(dep, *p);
  }
  return "";
}

bool not_started(int state) {
  return state == XRUN_STATE_CREATED || state == XRUN_STATE_WAITING || state == XRUN_STATE_SUBMITTED ||
         state == XRUN_STATE_QUEUED || state == XRUN_STATE_HELD;
}

bool on_scheduler_not_started(int state) {
  return state == XRUN_STATE_SUBMITTED || state == XRUN_STATE_QUEUED || state == XRUN_STATE_HELD;
}

}  // namespace

bool dependency_met(DependencyType type, int state) {
  if (!is_terminal(state)) return false;
  switch (type) {
    case DependencyType::AfterOk:
      return state == XRUN_STATE_COMPLETED;
    case DependencyType::AfterNotOk:
      return state != XRUN_STATE_COMPLETED;
    case DependencyType::AfterAny:
      return true;
  }
  return false;
}

bool has_retry_policy(const std::string& spec_json) {
  if (spec_json.find("\"retry\"") == std::string::npos) return false;  // cheap: most specs have none
  try {
    json::Ptr root = json::parse(spec_json, "stored job spec");
    const cJSON* retry = cJSON_GetObjectItemCaseSensitive(root.get(), "retry");
    return retry && !cJSON_IsNull(retry) && !cJSON_IsFalse(retry);
  } catch (const Error&) {
    return false;
  }
}

DependencyPlan plan_dependencies(const JobSpec& spec, const std::string& machine, const Scheduler& sched,
                                 const ParentLookup& parent, bool machine_retries) {
  DependencyPlan plan;
  if (spec.depends_on.empty()) return plan;
  std::vector<JobRecord> parents;
  for (const auto& dep : spec.depends_on) {
    auto p = parent(dep.job);
    if (!p) {
      plan.verdict = DependencyPlan::Verdict::Never;
      plan.reason = "dependency never satisfied: parent " + dep.job + " is not in the store";
      return plan;
    }
    // A parent that may be retried gets a new scheduler id: never native.
    if (p->machine != machine || !sched.renders_dependency(dep.type) || machine_retries ||
        has_retry_policy(p->spec_json))
      plan.held = true;
    parents.push_back(*p);
  }
  std::string pending;
  for (size_t i = 0; i < parents.size(); ++i) {
    const Dependency& dep = spec.depends_on[i];
    const JobRecord& p = parents[i];
    if (is_terminal(p.state)) {
      if (!dependency_met(dep.type, p.state)) {
        plan.verdict = DependencyPlan::Verdict::Never;
        plan.reason = "dependency never satisfied: " + describe(dep, p);
        return plan;
      }
      continue;  // met: nothing left to wait for
    }
    if (plan.held || p.scheduler_id.empty()) {
      // Kept as the job's reason while it waits: no state that goes stale.
      if (pending.empty())
        pending = "parent " + dep.job + (plan.held ? " has not ended" : " is not on the scheduler yet") + " (" +
                  dependency_type_name(dep.type) + ")";
      continue;
    }
    plan.native_ids.push_back(p.scheduler_id);
    plan.native_types.push_back(dep.type);
  }
  if (!pending.empty()) {
    plan.verdict = DependencyPlan::Verdict::Pending;
    plan.reason = pending;
    plan.native_ids.clear();
    plan.native_types.clear();
  }
  return plan;
}

void resolve_batch_references(std::vector<JobSpec>& specs, const std::vector<std::string>& ids) {
  const size_t n = specs.size();
  std::map<std::string, std::vector<size_t>> by_name;
  for (size_t i = 0; i < n; ++i)
    if (!specs[i].name.empty()) by_name[specs[i].name].push_back(i);
  auto label = [&](size_t i) {
    const std::string& name = specs[i].name;
    if (!name.empty() && by_name[name].size() == 1) return "@" + name;
    return "@" + std::to_string(i);
  };
  std::vector<std::vector<size_t>> edges(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < specs[i].depends_on.size(); ++k) {
      Dependency& dep = specs[i].depends_on[k];
      if (dep.job.empty() || dep.job[0] != '@') continue;
      const std::string where = "job " + std::to_string(i) + ": job spec: $.depends_on[" + std::to_string(k) + "]: ";
      const std::string ref = dep.job.substr(1);
      size_t j = n;
      if (!ref.empty() && ref.size() < 10 && ref.find_first_not_of("0123456789") == std::string::npos) {
        j = static_cast<size_t>(std::stoul(ref));
        if (j >= n)
          throw Error(XRUN_E_INVALID, where + "\"" + dep.job + "\": the batch has " + std::to_string(n) + " job(s)");
      } else {
        auto found = by_name.find(ref);
        if (found == by_name.end())
          throw Error(XRUN_E_INVALID, where + "\"" + dep.job + "\": no job named \"" + ref + "\" in this batch");
        if (found->second.size() > 1) {
          std::string which;
          for (size_t m : found->second) which += (which.empty() ? "" : ", ") + std::to_string(m);
          throw Error(XRUN_E_INVALID, where + "\"" + dep.job + "\" is ambiguous: jobs " + which +
                                          " of the batch are named \"" + ref + "\" (use \"@index\")");
        }
        j = found->second[0];
      }
      edges[i].push_back(j);
    }
  }
  // A cycle is refused with its path: depth-first, 0 new, 1 on the path, 2 done.
  std::vector<int> mark(n, 0);
  std::vector<size_t> path;
  std::function<void(size_t)> visit = [&](size_t i) {
    mark[i] = 1;
    path.push_back(i);
    for (size_t j : edges[i]) {
      if (mark[j] == 1) {
        std::string text;
        auto start = std::find(path.begin(), path.end(), j);
        for (auto it = start; it != path.end(); ++it) text += label(*it) + " -> ";
        throw Error(XRUN_E_INVALID, "dependency cycle: " + text + label(j));
      }
      if (mark[j] == 0) visit(j);
    }
    path.pop_back();
    mark[i] = 2;
  };
  for (size_t i = 0; i < n; ++i)
    if (mark[i] == 0) visit(i);
  for (size_t i = 0; i < n; ++i) {
    size_t e = 0;
    for (auto& dep : specs[i].depends_on)
      if (!dep.job.empty() && dep.job[0] == '@') dep.job = ids[edges[i][e++]];
  }
}

Dependencies::Dependencies(Store& store, MachineAccess& machines, const Logger& logger)
    : store_(store), machines_(machines), logger_(logger) {}

DependencyPlan Dependencies::plan(const JobSpec& spec, const Machine& m) const {
  return plan_dependencies(spec, m.name, machines_.scheduler(m),
                           [&](const std::string& id) { return store_.get_job(id); }, m.retry.has_value());
}

void Dependencies::cancel_jobs(const std::vector<JobRecord>& jobs, const std::vector<std::string>& reasons) {
  std::map<std::string, std::vector<size_t>> on_scheduler;  // machine -> indexes
  for (size_t i = 0; i < jobs.size(); ++i) {
    const JobRecord& job = jobs[i];
    if (on_scheduler_not_started(job.state)) {
      on_scheduler[job.machine].push_back(i);
      continue;
    }
    JobUpdate update;
    update.ended_ms = wall_ms();
    update.reason = reasons[i];
    update.waiting_for = WaitingFor::Nothing;
    update.next_try_ms = 0;
    if (store_.transition(job.id, {XRUN_STATE_CREATED, XRUN_STATE_WAITING}, XRUN_STATE_CANCELLED, update,
                          "cancelled: " + reasons[i]))
      logger_.info("job " + job.id + " cancelled: " + reasons[i]);
  }
  // Those already on a scheduler: ONE cancel command per machine (the
  // command xrun_job_cancel uses), then the state.
  for (const auto& [name, indexes] : on_scheduler) {
    try {
      const Machine& m = machines_.machine(name);
      const Scheduler& sched = machines_.scheduler(m);
      std::vector<TrackedJob> tracked;
      for (size_t i : indexes) tracked.push_back({jobs[i].id, jobs[i].scheduler_id, jobs[i].job_dir});
      CommandResult result = machines_.transport(m)->run(sched.cancel_command(tracked));
      if (result.exit_status != 0)
        logger_.warn("machine " + name + ": cancelling jobs whose dependencies failed: exit " +
                     std::to_string(result.exit_status) + ": " + result.err);
      for (size_t i : indexes) {
        JobUpdate update;
        update.ended_ms = wall_ms();
        update.reason = reasons[i];
        if (store_.transition(jobs[i].id, {XRUN_STATE_SUBMITTED, XRUN_STATE_QUEUED, XRUN_STATE_HELD},
                              XRUN_STATE_CANCELLED, update, "cancelled: " + reasons[i]))
          logger_.info("job " + jobs[i].id + " cancelled: " + reasons[i]);
      }
    } catch (const Error& e) {
      logger_.warn("machine " + name + ": cannot cancel jobs whose dependencies failed: " + e.what());
    }
  }
}

std::vector<JobRecord> Dependencies::fail_fast_victims(const std::vector<JobRecord>& ended,
                                                       std::vector<std::string>& reasons) {
  std::map<std::string, std::string> batches;  // batch -> reason
  for (const auto& job : ended) {
    if (!is_terminal(job.state) || job.state == XRUN_STATE_COMPLETED || job.state == XRUN_STATE_CANCELLED) continue;
    if (job.spec_json.find("\"fail_fast\"") == std::string::npos) continue;
    JobSpec spec = parse_job_spec(job.spec_json);
    if (spec.fail_fast && !spec.batch.empty() && !batches.count(spec.batch))
      batches[spec.batch] = "fail_fast: job " + job.id + " of its batch ended " + state_name(job.state);
  }
  std::vector<JobRecord> victims;
  if (batches.empty()) return victims;
  std::vector<JobRecord> candidates = store_.waiting_jobs("");
  for (auto& j : store_.unsent_jobs()) candidates.push_back(std::move(j));
  for (auto& j : store_.active_jobs("")) candidates.push_back(std::move(j));
  std::set<std::string> seen;
  for (const auto& job : candidates) {
    if (!not_started(job.state) || job.spec_json.find("\"batch\"") == std::string::npos || !seen.insert(job.id).second)
      continue;
    auto batch = batches.find(parse_job_spec(job.spec_json).batch);
    if (batch == batches.end()) continue;
    victims.push_back(job);
    reasons.push_back(batch->second);
  }
  return victims;
}

void Dependencies::settle(const std::vector<JobRecord>& ended, const std::vector<JobRecord>& active) {
  try {
    std::vector<std::string> reasons;
    std::vector<JobRecord> victims = fail_fast_victims(ended, reasons);
    if (!victims.empty()) cancel_jobs(victims, reasons);

    // Every job that may still wait for a parent: ONE read of the waiting
    // jobs of every machine, and the round's own jobs still on a scheduler.
    std::map<std::string, JobRecord> known;
    std::vector<std::pair<JobRecord, JobSpec>> candidates;
    for (const auto& job : store_.waiting_jobs("")) {
      known[job.id] = job;
      if (job.spec_json.find("\"depends_on\"") != std::string::npos)
        candidates.emplace_back(job, parse_job_spec(job.spec_json));
    }
    for (const auto& job : active) {
      if (job.spec_json.find("\"depends_on\"") == std::string::npos) continue;
      auto now = store_.get_job(job.id);
      if (!now || !on_scheduler_not_started(now->state)) continue;
      known[job.id] = *now;
      candidates.emplace_back(*now, parse_job_spec(now->spec_json));
    }
    ParentLookup lookup = [&](const std::string& id) -> std::optional<JobRecord> {
      auto found = known.find(id);
      if (found != known.end()) return found->second;
      auto record = store_.get_job(id);
      if (record) known[id] = *record;
      return record;
    };
    std::set<std::string> done;
    for (;;) {
      std::vector<JobRecord> cancel;
      std::vector<std::string> why;
      for (const auto& [job, spec] : candidates) {
        if (done.count(job.id)) continue;
        std::string reason = never_reason(spec, lookup);
        if (reason.empty()) continue;
        done.insert(job.id);
        cancel.push_back(job);
        why.push_back(reason);
      }
      if (cancel.empty()) break;
      cancel_jobs(cancel, why);
      // Their own dependents see them cancelled in the next pass.
      for (const auto& job : cancel) {
        auto now = store_.get_job(job.id);
        if (now) known[job.id] = *now;
      }
    }
  } catch (const Error& e) {
    logger_.warn(std::string("settling dependent jobs: ") + e.what());
  }
}

}  // namespace xrun
