// Finishing: what happens once a job ended on its machine -- retrieve the
// files its spec asks for, apply its parser (a failed diagnosis turns
// "completed" into "failed"), ask Retrying whether its policy sends it
// again, else clean up its directory and record the final state, with the
// attempt and its event.
#pragma once
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/machine_access.h"
#include "core/retrying.h"
#include "scheduler/scheduler.h"
#include "store/store.h"
#include "util/log.h"

namespace xrun {

class Finishing {
 public:
  Finishing(Store& store, MachineAccess& machines, const Logger& logger, std::string home, Retrying& retrying);
  void finish(const Machine& m, const JobRecord& job, JobStatus status);
  // Before finishing the jobs a poll round found ended on a remote
  // machine: their wanted files (retrieve, parse_file) in ONE transfer
  // (Transport::fetch_files); finish() then fetches only what this missed.
  void prefetch(const Machine& m, const std::vector<std::pair<JobRecord, JobStatus>>& ended);

 private:
  Store& store_;
  MachineAccess& machines_;
  const Logger& logger_;
  std::string home_;
  Retrying& retrying_;
  std::mutex prefetched_mu_;  // machines are polled concurrently
  std::map<std::string, std::set<std::string>> prefetched_;  // job id -> names already here

  bool take_prefetched(const std::string& job_id, const std::string& name);
};

}  // namespace xrun
