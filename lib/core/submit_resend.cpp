// Submission, the sends that come later: xrun_job_send of one recorded job,
// and a poll round's sends of the jobs waiting on its machine -- all through
// the same send as a first submission.
#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>

#include "core/state.h"
#include "core/submission.h"
#include "util/clock.h"
#include "util/error.h"

namespace xrun {

namespace {
// One command sends at most this many submissions, and one poll round at
// most kMaxSendsPerRound: a round stays bounded however many jobs wait.
constexpr size_t kSendChunk = 500;
constexpr size_t kMaxSendsPerRound = 2000;
}  // namespace

SendOutcome Submission::send(const std::string& id) {
  auto record = store_.get_job(id);
  if (!record) throw Error(XRUN_E_NOT_FOUND, "no job with id \"" + id + "\"");
  if (record->state != XRUN_STATE_CREATED && record->state != XRUN_STATE_WAITING)
    throw Error(XRUN_E_STATE, "job " + id + " is " + state_name(record->state) +
                                  ": only a job in created or waiting can be sent");
  Unit unit;
  unit.spec = parse_job_spec(record->spec_json);
  if (!unit.spec.array_parent.empty())
    throw Error(XRUN_E_STATE, "job " + id + " is a task of array job " + unit.spec.array_parent +
                                  ": send that job, which carries every task");
  const Machine& m = machines_.machine(record->machine);
  unit.records = {*record};
  if (!unit.spec.array.empty()) {
    for (const auto& other : store_.list_jobs(m.name, -1, 0))
      if (other.id != id && is_unsent(other.state) && parse_job_spec(other.spec_json).array_parent == id)
        unit.records.push_back(other);
    if (unit.records.size() == 1) {
      // Its tasks were forgotten when the scheduler refused the array.
      unit.records = make_records(unit.spec, record->id, &*record);
      store_.insert_jobs(std::vector<JobRecord>(unit.records.begin() + 1, unit.records.end()));
    }
  }
  unit.spec.array_index.reset();
  std::vector<Unit> units = {unit};
  return send_units(m, units)[0];
}

void Submission::send_waiting(const Machine& m) {
  const int64_t now = wall_ms();
  std::vector<Unit> units;
  std::map<std::string, size_t> unit_of;  // carrier id -> its unit
  bool never = false;  // a job whose parents ruled it out
  // Each parent read once per round, however many jobs wait for it.
  const Scheduler& sched = machines_.scheduler(m);
  std::map<std::string, std::optional<JobRecord>> parents;
  ParentLookup parent = [&](const std::string& id) {
    auto found = parents.find(id);
    if (found == parents.end()) found = parents.emplace(id, store_.get_job(id)).first;
    return found->second;
  };
  for (const auto& job : store_.waiting_jobs(m.name)) {  // oldest first: carriers before their tasks
    JobSpec spec = parse_job_spec(job.spec_json);
    if (!spec.array_parent.empty()) {
      auto carrier = unit_of.find(spec.array_parent);
      if (carrier != unit_of.end()) units[carrier->second].records.push_back(job);
      continue;
    }
    if (job.next_try_ms > now || units.size() >= kMaxSendsPerRound) continue;
    if (!spec.depends_on.empty()) {
      // Judged from the store, no scheduler query: a job whose parents are
      // not done stays as it is (no write, no event) until they are.
      DependencyPlan plan = plan_dependencies(spec, m.name, sched, parent, m.retry.has_value());
      if (plan.verdict == DependencyPlan::Verdict::Never) never = true;
      if (plan.verdict != DependencyPlan::Verdict::Ready) continue;
    }
    spec.array_index.reset();
    unit_of[job.id] = units.size();
    units.push_back({spec, {job}});
  }
  for (size_t first = 0; first < units.size(); first += kSendChunk) {
    std::vector<Unit> chunk(units.begin() + static_cast<std::ptrdiff_t>(first),
                            units.begin() + static_cast<std::ptrdiff_t>(std::min(units.size(), first + kSendChunk)));
    send_units(m, chunk);
  }
  if (never) dependencies_.settle({});
}

void Submission::fail_unconfigured(const std::string& machine) {
  std::vector<JobRecord> ended;
  for (const auto& job : store_.waiting_jobs(machine)) {
    JobUpdate update;
    update.ended_ms = wall_ms();
    update.waiting_for = WaitingFor::Nothing;
    update.reason = "machine \"" + machine + "\" is no longer in the configuration: the job cannot be sent";
    if (store_.transition(job.id, {XRUN_STATE_WAITING}, XRUN_STATE_FAILED, update, *update.reason))
      if (auto now = store_.get_job(job.id)) ended.push_back(*now);
  }
  if (!ended.empty()) dependencies_.settle(ended);
}

}  // namespace xrun
