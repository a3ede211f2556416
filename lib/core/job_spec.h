// A job spec: what a caller asks for (JSON in through the C ABI). Parsed
// strictly -- an unknown key is an error naming the closest known one.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "machine/machine.h"

namespace xrun {

struct JobSpec {
  std::string name;
  std::string machine;                 // "" = default
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
  std::vector<std::string> depends_on; // xrun ids
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
JobSpec parse_job_request(const std::string& json_text);
std::string job_spec_to_json(const JobSpec& spec);

}  // namespace xrun
