// A job spec: what a caller asks for (JSON in through the C ABI). Parsed
// strictly -- an unknown key is an error naming the closest known one.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "machine/machine.h"
#include "scheduler/scheduler.h"

namespace xrun {

// Which machine a job naming several (a group, or a list) was given, and
// why: made by core/machine_choice.h at submission, kept in the stored spec.
struct MachineChoice {
  std::string group;                    // the group's name, "" for a list
  std::string strategy;                 // least_busy | round_robin | first_reachable
  std::vector<std::string> candidates;  // in the order given
  std::string why;                      // "least_busy: c2 had 0 active jobs, c1 had 3"
};

// One parent of a job: "depends_on": ["ID"] (afterok) or
// [{"job": "ID", "type": "afterok|afternotok|afterany"}]. In a batch, `job`
// may name a member: "@name" or "@index" (resolved before recording).
struct Dependency {
  std::string job;
  DependencyType type = DependencyType::AfterOk;
};

struct JobSpec {
  std::string name;
  std::string machine;                 // "" = default; or a group of the machines file
  // "machine": ["c1", "c2"]: the machines to choose from (machine is "").
  std::vector<std::string> machine_candidates;
  std::string strategy;                // how to choose; "" = least_busy
  // Set by xrun when it chose among several machines, never by callers.
  std::optional<MachineChoice> machine_choice;
  // "cache": true: an identical job that completed gives its result at
  // once; otherwise this job runs and is a source for later ones.
  bool cache = false;
  std::optional<std::string> command;  // shell text
  std::vector<std::string> argv;       // or arguments, each quoted
  std::optional<std::string> workdir;  // run here instead of the job dir
  std::map<std::string, std::string> env;
  Resources resources;
  std::vector<std::string> upload;     // local paths copied into the job dir
  std::vector<std::string> retrieve;   // names in the job dir copied back
  std::optional<std::string> retrieve_to;  // local dir; default <home>/results/<id>
  std::string parser;                  // "" = none
  std::string parse_file;              // default "stdout"
  std::vector<Dependency> depends_on;   // xrun ids, each with its type
  bool hold = false;
  // Record only: the job waits (XRUN_STATE_WAITING, deferred) and the next
  // poll round of its machine sends it, in a batch with the others.
  bool defer = false;
  std::optional<std::string> cleanup;  // keep|on_success|always (machine default)
  // A job array: "0-9", "1,3,5-7", "0-99%10". One submission; each task is
  // a job of its own (its stdout is "stdout.<index>").
  std::string array;
  // Set by xrun on each task of an array, never by callers.
  std::optional<int64_t> array_index;
  std::string array_parent;  // the xrun id of the task that carried the submission
  // A batch whose first failure cancels its jobs that have not started
  // (any member saying so makes the whole batch fail fast).
  bool fail_fast = false;
  // Set by xrun on each member of a batch of several jobs, never by
  // callers: the id of the batch's first job.
  std::string batch;
  // Retries (lib/core/retrying.h): the job's own policy (else its
  // machine's), and which corrections a retry applies to its inputs:
  // "none", "builtin" (the library's for QE and VASP) or "callback" (the
  // caller's, xrun_set_retry_callback).
  std::optional<RetryPolicy> retry;
  std::string corrections = "none";
  // Set by xrun on a retried job, never by callers: the attempt this spec
  // is for (1 = the first). From 2 on, the send reuses the job directory.
  int64_t attempt = 1;

  // The shell text the job runs: command, or argv quoted.
  std::string shell_command() const;
  // A file of the job directory as this job sees it: an array task's
  // "stdout"/"stderr"/"exit_code" carry its index ("stdout.3").
  std::string own_file(const std::string& name) const;
};

// Throws Error(XRUN_E_INVALID) naming the key ("job spec: $.resources.nodes: ...").
// Parses a stored spec as well as a caller's: keys and types only.
JobSpec parse_job_spec(const std::string& json_text);
// A spec from a caller (the JSON submit calls and the spec builder): what
// parse_job_spec checks, and the resources' values too -- walltime and
// memory in the grammar of machine files, partition/account/qos one word
// each -- so a bad value is refused naming its path on every machine, not
// only by the batch schedulers that render it. Stored specs were accepted
// before these checks existed and are read back with parse_job_spec.
// Refuses what only xrun sets: "machine_choice".
JobSpec parse_job_request(const std::string& json_text);
std::string job_spec_to_json(const JobSpec& spec);

}  // namespace xrun
