#include "core/machine_choice.h"

#include <algorithm>

#include "util/error.h"

namespace xrun {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

}  // namespace

void MachineChooser::choose(JobSpec& spec) {
  // Chosen before (a stored spec sent again): it stays on its machine.
  if (spec.machine_choice && spec.machine_candidates.empty()) return;
  MachineChoice choice;
  if (!spec.machine_candidates.empty()) {
    choice.candidates = spec.machine_candidates;
    for (const auto& name : choice.candidates) {
      try {
        machines_.machine(name);
      } catch (const Error& e) {
        throw Error(e.status(), std::string("job spec: $.machine: ") + e.what());
      }
    }
  } else {
    const auto& groups = machines_.config().groups;
    auto group = groups.find(spec.machine);
    if (group == groups.end()) return;  // one machine: nothing to choose
    choice.group = group->first;
    choice.candidates = group->second;
  }
  choice.strategy = spec.strategy.empty() ? "least_busy" : spec.strategy;
  std::string chosen;
  if (choice.strategy == "round_robin") {
    // A group's turn is its own whatever lists name the same machines.
    const std::string key = choice.group.empty() ? "list:" + joined(choice.candidates) : "group:" + choice.group;
    chosen = round_robin(key, choice.candidates, choice.why);
  } else if (choice.strategy == "first_reachable") {
    chosen = first_reachable(choice.candidates, choice.why);
  } else {
    chosen = least_busy(choice.candidates, choice.why);
  }
  busy(chosen);
  ++busy_[chosen];
  spec.machine = chosen;
  spec.machine_candidates.clear();
  spec.machine_choice = choice;
}

int64_t MachineChooser::busy(const std::string& machine) {
  auto it = busy_.find(machine);
  if (it != busy_.end()) return it->second;
  const int64_t count = static_cast<int64_t>(store_.active_jobs(machine).size() + store_.waiting_jobs(machine).size());
  busy_[machine] = count;
  return count;
}

std::string MachineChooser::least_busy(const std::vector<std::string>& candidates, std::string& why) {
  size_t best = 0;
  std::vector<int64_t> counts;
  for (size_t i = 0; i < candidates.size(); ++i) {
    counts.push_back(busy(candidates[i]));
    if (counts[i] < counts[best]) best = i;
  }
  auto jobs = [](int64_t n) { return std::to_string(n) + (n == 1 ? " active job" : " active jobs"); };
  why = "least_busy: " + candidates[best] + " had " + jobs(counts[best]);
  for (size_t i = 0; i < candidates.size(); ++i)
    if (i != best) why += ", " + candidates[i] + " had " + std::to_string(counts[i]);
  return candidates[best];
}

std::string MachineChooser::round_robin(const std::string& key, const std::vector<std::string>& candidates,
                                        std::string& why) {
  // The turn is kept in the store's table of named times (a counter is a
  // number like any other there), so that separate processes -- one
  // `xrun submit` after another -- take turns too. Two processes choosing
  // at the same instant may take the same turn: the spread stays even.
  const std::string name = "round_robin:" + key;
  const int64_t turn = std::max<int64_t>(0, store_.last_poll_ms(name));
  store_.set_last_poll_ms(name, turn + 1);
  const size_t index = static_cast<size_t>(turn % static_cast<int64_t>(candidates.size()));
  why = "round_robin: turn " + std::to_string(turn + 1) + " of " + std::to_string(candidates.size()) + " machines (" +
        joined(candidates) + ") went to " + candidates[index];
  return candidates[index];
}

std::string MachineChooser::first_reachable(const std::vector<std::string>& candidates, std::string& why) {
  std::string skipped;
  for (const auto& name : candidates) {
    const Machine& m = machines_.machine(name);
    std::string failure = machines_.recent_connection_failure(name);
    if (failure.empty() && m.execution == Execution::Remote) {
      // One command: connects (bounded by the machine's connect timeout)
      // or reuses the pooled session the send will use anyway.
      try {
        machines_.transport(m)->run("true", "", m.connect_timeout_s * 1000);
        machines_.note_connection(name, "");
      } catch (const Error& e) {
        failure = e.what();
        if (e.status() == XRUN_E_TRANSPORT || e.status() == XRUN_E_TIMEOUT) machines_.note_connection(name, failure);
      }
    }
    if (failure.empty()) {
      why = "first_reachable: " + name + (m.execution == Execution::Local ? " (a local machine)" : " answered");
      if (!skipped.empty()) why += "; skipped " + skipped;
      return name;
    }
    skipped += (skipped.empty() ? "" : "; ") + name + " (" + failure + ")";
  }
  why = "first_reachable: none answered, so " + candidates[0] + ", the first, where the job waits for the connection; " +
        "skipped " + skipped;
  return candidates[0];
}

}  // namespace xrun
