// Many submissions in ONE remote command, for any scheduler: each job's
// directory is made, its script written and its submit command run, in
// one shell program fed on stdin (it can pass the 128 KiB a single command
// argument may hold). Over SSH that is one round trip for N jobs instead of
// three per job: the way to submit faster than a local sbatch loop.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "transport/transport.h"

namespace xrun {

struct BatchedSubmission {
  std::string key;          // the caller's name for it (xrun id): [A-Za-z0-9_-]
  std::string job_dir;      // made with mkdir -p
  std::string script_path;  // written (mode 0600: schedulers read it, never exec it) with `script`
  std::string script;       // Scheduler::render_script's text
  std::string submit;       // the command that submits it (submit_command, maybe wrapped)
};

// Run `program` as Transport::run(kSubmitBatchCommand, program).
extern const char* const kSubmitBatchCommand;  // "/bin/sh -s"
// Throws Error(XRUN_E_INVALID) for a key outside [A-Za-z0-9_-].
std::string submit_batch_program(const std::vector<BatchedSubmission>& items);

// key -> that submit command's own result (exit status, stdout, stderr),
// ready for Scheduler::parse_submit_output. A key without a complete
// section is absent: the batch stopped before it, its outcome is unknown.
std::map<std::string, CommandResult> split_submit_batch_output(const CommandResult& result);

}  // namespace xrun
