// Machine groups: a job may name several machines ("machine": ["c1", "c2"])
// or a group of the machines file ("groups": {"NAME": [...]}); at
// submission one of them is chosen by the spec's "strategy", and the job
// is from then on a job of that machine (spec.machine), with the choice and
// its reason kept in its spec (spec.machine_choice) for its info.
//   least_busy       fewest jobs of this store waiting, submitted, queued,
//                    held or running there (as the last poll rounds left
//                    them: no scheduler query); ties go to the first listed
//   round_robin      the next in turn; the turn is kept per group (or per
//                    list) in the store, shared by every process using it
//   first_reachable  the first whose connection works: a machine this
//                    process saw failing in the last minute is skipped, a
//                    remote one is tried (one command, bounded by its
//                    connect timeout); when none answers, the first, whose
//                    job then waits for the connection like any other
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "core/job_spec.h"
#include "core/machine_access.h"
#include "store/store.h"

namespace xrun {

// One per submission call: least_busy counts each machine's jobs once and
// adds the jobs it gives it, so that a batch is spread out.
class MachineChooser {
 public:
  MachineChooser(Store& store, MachineAccess& machines) : store_(store), machines_(machines) {}

  // For a spec naming several machines: sets spec.machine to the chosen one
  // and spec.machine_choice; otherwise (one machine, or a stored spec that
  // has its choice) changes nothing. Throws Error(XRUN_E_NOT_FOUND) for a
  // listed name that is no machine. (A caller's "machine_choice" is refused
  // by parse_job_request.)
  void choose(JobSpec& spec);

 private:
  std::string least_busy(const std::vector<std::string>& candidates, std::string& why);
  std::string round_robin(const std::string& key, const std::vector<std::string>& candidates, std::string& why);
  std::string first_reachable(const std::vector<std::string>& candidates, std::string& why);
  int64_t busy(const std::string& machine);

  Store& store_;
  MachineAccess& machines_;
  std::map<std::string, int64_t> busy_;  // machine -> jobs, counted once
};

}  // namespace xrun
