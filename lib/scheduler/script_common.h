// Pieces every batch script shares: the environment, prepend lines, the
// launcher, and the exit-code record that makes a job's end known without
// accounting. Every value goes through quote_for_shell.
#pragma once
#include <string>
#include <string_view>

#include "scheduler/scheduler.h"

namespace xrun {

// The body after the scheduler's directives: started marker, cd, prepend,
// env, the command run in a subshell (so an `exit` in it cannot skip the
// record), and the atomic write of its exit status to exit_code_path.
// `after_command`: shell lines run after the command, with its status in
// $__xrun_status, before the exit record is written (e.g. a scheduler of
// xrun's own turning a watchdog's kill into its own status).
std::string script_body(const ScriptRequest& request, const std::string& after_command = "");

// A value written into a job script: quote_for_shell's quoting with each
// line break spelled $'\n' (bash ANSI-C quoting; every job script is
// bash), so no value from a job spec ever starts a line of the script.
// Schedulers read lines starting "#SBATCH", "#PBS", "#$" or "#BSUB" as
// their options (Grid Engine anywhere in the file): only xrun's own
// checked directives may start with one.
std::string script_literal(std::string_view value);

// "mpirun -np {tasks}" with {tasks}, {nodes}, {cpus_per_task},
// {tasks_per_node} filled in from the resources; "" when no launcher.
std::string expand_launcher(const ScriptRequest& request);

// Validates a scheduler directive value (partition, account, memory...):
// refuses newlines, NUL and shell metacharacters that a directive line
// cannot carry safely. Throws Error(XRUN_E_INVALID) naming `what`.
std::string checked_directive_value(const std::string& value, const char* what);

}  // namespace xrun
