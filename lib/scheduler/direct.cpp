// The direct scheduler: runs a job at once, detached in its own session
// (setsid), on the machine the transport reaches. Its "queue" is the
// process table: a job is running while its session leader lives, and done
// when its exit_code file exists.
#include <cstdlib>
#include <sstream>

#include "machine/units.h"
#include "scheduler/batch_common.h"
#include "scheduler/script_common.h"
#include "transport/transport.h"
#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

namespace {

// Beside the exit record: the watchdog's mark that the walltime ran out.
constexpr const char* kWalltimeMark = "walltime_exceeded";

std::string own_dir_of(const ScriptRequest& request) {
  const size_t slash = request.exit_code_path.rfind('/');
  return slash == std::string::npos ? request.job_dir : request.exit_code_path.substr(0, slash);
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class DirectScheduler : public Scheduler {
 public:
  std::string name() const override { return "direct"; }
  bool renders_dependency(DependencyType) const override { return false; }

  std::string render_script(const ScriptRequest& request) const override {
    if (!request.depends_on.empty())
      throw Error(XRUN_E_UNSUPPORTED, "the direct scheduler cannot wait for dependencies");
    if (request.hold) throw Error(XRUN_E_UNSUPPORTED, "the direct scheduler cannot hold a job");
    std::string s = "#!/bin/bash\n";
    s += "# xrun job " + request.job_id + "\n";
    // No batch system enforces resources here: the script does. Memory is
    // the address space of every process of the job (ulimit -v, which any
    // process may lower); the walltime a watchdog in the job's own process
    // group that, when the time is up, leaves a mark beside the exit record
    // and sends TERM to the group. The script outlives it (a trap, reset in
    // the command's subshell) to record the job's end as exit 124.
    const Resources& r = request.resources;
    if (r.memory) s += "ulimit -v " + std::to_string(memory_megabytes(*r.memory) * 1024) + " 2>/dev/null || true\n";
    std::string after;
    if (r.walltime) {
      auto seconds = parse_walltime_seconds(*r.walltime);
      if (!seconds) throw Error(XRUN_E_INVALID, "walltime \"" + *r.walltime + "\" is not a duration such as 01:30:00");
      const std::string mark = script_literal(own_dir_of(request) + "/" + kWalltimeMark);
      s += "trap : TERM\n";
      s += "( trap 'kill $__xrun_w 2>/dev/null; exit 0' TERM; sleep " + std::to_string(*seconds) +
           " & __xrun_w=$!; wait $__xrun_w && : > " + mark + " && kill -TERM 0 ) &\n";
      s += "__xrun_watchdog=$!\n";
      after = "kill -TERM \"$__xrun_watchdog\" 2>/dev/null\n"
              "if [ -e " + mark + " ]; then __xrun_status=124; fi\n";
    }
    return s + script_body(request, after);
  }

  std::string submit_command(const ScriptRequest& request, const std::string& script_path) const override {
    // A simple command with its redirections, nothing else, goes in the
    // background: "cd X && cmd &" would background a subshell that keeps
    // the caller's stdout open until the job ends (sshd then holds the
    // channel) and makes $! the subshell's pid. In a non-interactive shell
    // the background child is no process group leader, so setsid does not
    // fork: $! is the job's session leader, the process group cancel kills.
    return "setsid /bin/bash " + quote_for_shell(script_path) + " </dev/null >" +
           quote_for_shell(request.stdout_path) + " 2>" + quote_for_shell(request.stderr_path) + " & echo $!";
  }

  std::string parse_submit_output(const CommandResult& result) const override {
    // `echo $!` prints the pid on the last line; a login shell may print
    // a banner before it.
    std::string pid;
    for (const auto& line : split_lines(result.out)) {
      std::string text(trim(line));
      if (!text.empty() && text.size() < 12 && text.find_first_not_of("0123456789") == std::string::npos) pid = text;
    }
    std::string message = "direct submission (exit " + std::to_string(result.exit_status) + "): " +
                          std::string(trim(result.err + result.out));
    if (result.exit_status == 0 && !pid.empty()) return pid;
    // The job may have started: recover() looks for its script among the processes.
    if (result.exit_status == 0) throw SubmitOutcomeUnknown(XRUN_E_SCHEDULER, message + " (no process id)");
    throw Error(XRUN_E_SCHEDULER, "failed " + message);
  }

  std::string find_command(const std::vector<std::string>& job_ids) const override {
    (void)job_ids;  // filtered in parse_find_output
    return "ps -eo pid=,args= 2>/dev/null; true";
  }

  std::map<std::string, std::string> parse_find_output(const CommandResult& result) const override {
    // "<pid> /bin/bash <workdir>/<xrun id>/[.xrun/]job.sh": the session
    // leader that submit_command started.
    std::map<std::string, std::string> out;
    for (const auto& line : split_lines(result.out)) {
      std::string text(trim(line));
      size_t space = text.find(' ');
      if (space == std::string::npos || !ends_with(text, "/job.sh")) continue;
      std::string pid = text.substr(0, space);
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      std::string dir = text.substr(0, text.size() - 7);
      if (ends_with(dir, "/.xrun")) dir.resize(dir.size() - 6);
      size_t slash = dir.rfind('/');
      if (slash == std::string::npos || slash < space) continue;
      out.emplace(dir.substr(slash + 1), pid);
    }
    return out;
  }

  std::string status_command(const std::vector<TrackedJob>& jobs) const override {
    // Alive is checked before the exit record: a job that ends between the
    // two checks is then seen as running now and done next round, never
    // as gone. The pid must still be our script (pids are reused).
    std::string s =
        "__xrun_s() { if [ -d \"$3/.xrun\" ]; then __xrun_p=\"$3/.xrun\"; else __xrun_p=\"$3\"; fi; "
        "if kill -0 \"$2\" 2>/dev/null && ps -o args= -p \"$2\" 2>/dev/null | "
        "grep -qF \"$__xrun_p/job.sh\"; then echo \"$1 running\"; elif [ -f \"$__xrun_p/exit_code\" ]; then "
        "echo \"$1 done $(head -c 32 \"$__xrun_p/exit_code\") $([ -e \"$__xrun_p/walltime_exceeded\" ] && "
        "echo walltime)\"; else echo \"$1 gone\"; fi; }";
    for (const auto& job : jobs)
      s += "; __xrun_s " + quote_for_shell(job.job_id) + " " + quote_for_shell(job.scheduler_id) +
           " " + quote_for_shell(job.job_dir);
    return s;
  }

  std::map<std::string, JobStatus> parse_status_output(const std::vector<TrackedJob>& jobs,
                                                        const CommandResult& result) const override {
    if (result.exit_status != 0)
      throw Error(XRUN_E_SCHEDULER, "direct status query failed: " + std::string(trim(result.err)));
    std::map<std::string, JobStatus> out;
    for (const auto& line : split_lines(result.out)) {
      std::istringstream words(line);
      std::string id, word, code, mark;
      words >> id >> word >> code >> mark;
      JobStatus status;
      status.raw_state = word;
      if (word == "running") {
        status.state = XRUN_STATE_RUNNING;
      } else if (word == "done") {
        char* end = nullptr;
        long value = strtol(code.c_str(), &end, 10);
        if (code.empty() || *end != '\0') continue;  // unreadable record: treat as gone
        status.exit_code = static_cast<int>(value);
        status.state = value == 0 ? XRUN_STATE_COMPLETED : XRUN_STATE_FAILED;
        status.reason = value == 0 ? "" : "NonZeroExitCode";
        if (mark == "walltime") {
          status.state = XRUN_STATE_TIMEOUT;
          status.reason = "walltime exceeded: stopped by xrun's watchdog";
        }
      } else {
        continue;  // gone: not in the map, core decides (lost)
      }
      out[id] = status;
    }
    (void)jobs;
    return out;
  }

  std::string accounting_command(const std::vector<TrackedJob>&) const override { return ""; }
  std::map<std::string, JobStatus> parse_accounting_output(const std::vector<TrackedJob>&,
                                                           const CommandResult&) const override {
    return {};
  }

  std::string cancel_command(const std::vector<TrackedJob>& jobs) const override {
    // TERM the whole process group, then KILL whatever is left after a
    // grace period, detached so the caller does not wait for it. No "--":
    // dash's kill refuses it, and "kill -TERM -PGID" works in every shell.
    std::string groups;
    for (const auto& job : jobs) {
      if (job.scheduler_id.empty() ||
          job.scheduler_id.find_first_not_of("0123456789") != std::string::npos)
        throw Error(XRUN_E_STATE, "job " + job.job_id + " has no process to cancel");
      groups += " -" + job.scheduler_id;
    }
    return "kill -TERM" + groups + " 2>/dev/null; (sleep 5; kill -KILL" + groups +
           " 2>/dev/null) </dev/null >/dev/null 2>&1 & true";
  }

  std::vector<std::string> required_commands() const override { return {"bash", "setsid", "ps", "kill"}; }
};

}  // namespace

std::unique_ptr<Scheduler> make_direct_scheduler() { return std::make_unique<DirectScheduler>(); }

}  // namespace xrun
