// The real Slurm of scripts/testbed-slurm.sh, driven the way core drives
// a scheduler: rendered script written to the job dir, submit command run,
// then rounds of ONE status query for all jobs plus ONE accounting query
// for those that left the queue, then the exit-code file, else lost.
// Commands run as the testbed's user (runuser), counted per kind.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "scheduler/scheduler.h"
#include "transport/transport.h"

namespace xrun_test {

struct SlurmTestbed {
  std::string dir;         // $TESTBED_DIR
  std::string slurm_conf;  // its slurm.conf
  std::string user;        // the job owner (xruntest)
  std::string base;        // a fresh directory owned by `user` for this test program

  // Fails the test, saying why, when the testbed is not up.
  static SlurmTestbed require();

  // Runs `command` as `user` with SLURM_CONF set, `stdin_data` on its stdin.
  xrun::CommandResult run(const std::string& command, const std::string& stdin_data = "") const;

  // A ScriptRequest for a new job whose dir exists under `base`.
  xrun::ScriptRequest new_job(const std::string& tag, const std::string& command) const;
  // Writes the script and submits; returns the scheduler id.
  std::string submit(const xrun::Scheduler& s, const xrun::ScriptRequest& r) const;
};

struct Settled {
  xrun::JobStatus status;
  std::string evidence;  // "squeue", "sacct", "exit_code", "none"
};

// Counts each kind of command a PollRounds runs.
struct CallCounts {
  int status = 0, accounting = 0, exit_files = 0;
};

class PollRounds {
 public:
  PollRounds(const SlurmTestbed& bed, const xrun::Scheduler& s) : bed_(bed), s_(s) {}
  // One round over `jobs`: the status of each (terminal ones settled as
  // core would settle them).
  std::map<std::string, Settled> round(const std::vector<xrun::TrackedJob>& jobs,
                                       const std::map<std::string, std::string>& exit_code_paths);
  // Rounds until every job is terminal or `timeout_s` passes (fails then).
  std::map<std::string, Settled> settle(const std::vector<xrun::TrackedJob>& jobs,
                                        const std::map<std::string, std::string>& exit_code_paths,
                                        int timeout_s);
  // Rounds until `job` reaches `state` (fails after `timeout_s`).
  Settled wait_for(const xrun::TrackedJob& job, xrun_state state, int timeout_s);
  CallCounts calls;

 private:
  const SlurmTestbed& bed_;
  const xrun::Scheduler& s_;
};

std::string read_file_text(const std::string& path);

}  // namespace xrun_test
