// The Slurm scheduler: sbatch/squeue/sacct/scancel/scontrol command text
// and parsers. Resources go into #SBATCH directives (checked values only);
// everything free-form (job name, paths) goes on the sbatch command line,
// quoted for the shell, where no directive parser can misread it.
#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_map>

#include "scheduler/batch_common.h"
#include "scheduler/script_common.h"
#include "scheduler/slurm_states.h"
#include "transport/transport.h"
#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

namespace {

// Submission refusals that free up as the user's jobs end: the job waits
// in xrun and is submitted again (Slurm's job_limit reasons and the
// controller's MaxJobCount, which answers EAGAIN).
const std::vector<std::string_view> kLimitRefusals = {
    "MaxSubmitJob",          // QOSMaxSubmitJobPerUserLimit, AssocMaxSubmitJobLimit, ...PerAccount
    "GrpSubmitJobs",         // AssocGrpSubmitJobsLimit, QOSGrpSubmitJobsLimit
    "job submit limit",      // "Job violates accounting/QOS policy (job submit limit, ...)"
    "Resource temporarily unavailable",
};

// What squeue prints per job: id, state, submit time, reason, name.
constexpr const char* kSqueueFormat = "%i|%T|%V|%r|%j";

// Above this many jobs a status query lists the user's jobs instead.
constexpr long kMaxListedIds = 300;

std::string job_name(const ScriptRequest& request) {
  // The xrun id goes last, after a '.', so find_command can read it back
  // whatever the user's name was; the name is cut to characters no squeue
  // line or directive can be confused by.
  std::string name;
  for (char c : request.name) {
    if (name.size() >= 64) break;
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '+';
    name.push_back(ok ? c : '_');
  }
  checked_directive_value(request.job_id, "job id");
  if (request.job_id.find('.') != std::string::npos || request.job_id.find('|') != std::string::npos)
    throw Error(XRUN_E_INVALID, "job id \"" + request.job_id + "\" contains '.' or '|'");
  return (name.empty() ? "" : name + ".") + "xrun-" + request.job_id;
}

// The xrun id in a job name made by job_name(), or "".
std::string job_id_from_name(const std::string& name) {
  for (size_t pos = name.rfind("xrun-"); pos != std::string::npos;
       pos = pos == 0 ? std::string::npos : name.rfind("xrun-", pos - 1)) {
    if (pos == 0 || name[pos - 1] == '.') return name.substr(pos + 5);
  }
  return "";
}

// sbatch expands %j, %x... in --output/--error; a backslash anywhere in the
// name turns that off (and is removed), so paths with '%' arrive as given.
std::string output_path(const std::string& path, bool array) {
  if (path.find('\\') != std::string::npos)
    throw Error(XRUN_E_INVALID, "path \"" + path + "\" contains a backslash, which sbatch removes");
  if (path.find('%') == std::string::npos) return array ? path + ".%a" : path;
  if (array)
    throw Error(XRUN_E_INVALID, "path \"" + path + "\" contains '%', which an array job's output name cannot carry");
  return "\\" + path;
}

std::string id_list(const std::vector<TrackedJob>& jobs, const char* sep) {
  std::string out;
  std::set<std::string> seen;
  for (const auto& job : jobs) {
    const std::string& id = checked_scheduler_id(job, "_[]");
    if (!seen.insert(id).second) continue;
    if (!out.empty()) out += sep;
    out += id;
  }
  return out;
}

std::string scheduler_message(const CommandResult& result) {
  std::string text(trim(result.err));
  if (text.empty()) text = std::string(trim(result.out));
  return text.empty() ? "(no output)" : text;
}

class SlurmScheduler : public Scheduler {
 public:
  std::string name() const override { return "slurm"; }
  bool renders_dependency(DependencyType) const override { return true; }

  std::string render_script(const ScriptRequest& request) const override {
    const Resources& r = request.resources;
    std::string s = "#!/bin/bash\n";
    s += "# xrun job " + checked_directive_value(request.job_id, "job id") + "\n";
    auto directive = [&s](const std::string& option) { s += "#SBATCH " + option + "\n"; };
    if (r.nodes) directive("--nodes=" + std::to_string(positive_count(r.nodes, "nodes", 1)));
    if (r.tasks_per_node)
      directive("--ntasks-per-node=" + std::to_string(positive_count(r.tasks_per_node, "tasks_per_node", 1)));
    if (r.cpus_per_task)
      directive("--cpus-per-task=" + std::to_string(positive_count(r.cpus_per_task, "cpus_per_task", 1)));
    if (r.memory) directive("--mem=" + std::to_string(memory_megabytes(*r.memory)) + "M");
    if (r.walltime) {
      walltime_seconds(*r.walltime);  // refuses what Slurm would misread
      directive("--time=" + checked_directive_value(*r.walltime, "walltime"));
    }
    if (r.partition) directive("--partition=" + checked_directive_value(*r.partition, "partition"));
    if (r.account) directive("--account=" + checked_directive_value(*r.account, "account"));
    if (r.qos) directive("--qos=" + checked_directive_value(*r.qos, "qos"));
    return s + script_body_for(request, "SLURM_ARRAY_TASK_ID");
  }

  std::string submit_command(const ScriptRequest& request, const std::string& script_path) const override {
    bool array = !request.array.empty();
    std::string c = "sbatch --parsable";
    c += " --job-name=" + quote_for_shell(job_name(request));
    c += " --output=" + quote_for_shell(output_path(request.stdout_path, array));
    c += " --error=" + quote_for_shell(output_path(request.stderr_path, array));
    c += " --chdir=" + quote_for_shell(request.job_dir);
    if (array) {
      array_indexes(request.array);  // refuses a malformed spec here, not in sbatch
      c += " --array=" + quote_for_shell(checked_directive_value(request.array, "array"));
    }
    if (request.hold) c += " --hold";
    if (request.no_requeue) c += " --no-requeue";
    if (!request.depends_on.empty()) {
      // One clause per type, all of which must hold: afterok:1:2,afterany:3.
      std::string deps;
      for (DependencyType type : {DependencyType::AfterOk, DependencyType::AfterNotOk, DependencyType::AfterAny}) {
        std::string ids;
        for (size_t i = 0; i < request.depends_on.size(); ++i) {
          DependencyType own = i < request.depends_on_types.size() ? request.depends_on_types[i] : DependencyType::AfterOk;
          if (own != type) continue;
          TrackedJob parent{"dependency", request.depends_on[i], ""};
          ids += ":" + checked_scheduler_id(parent, "_");
        }
        if (!ids.empty()) deps += (deps.empty() ? "" : ",") + std::string(dependency_type_name(type)) + ids;
      }
      c += " --dependency=" + deps;
    }
    return c + " " + quote_for_shell(script_path);
  }

  std::string parse_submit_output(const CommandResult& result) const override {
    // --parsable prints "id" or "id;cluster" on a line of its own; a site
    // wrapper may print lines before or after it (or drop --parsable and
    // let sbatch say "Submitted batch job N"). Warnings go to stderr.
    std::set<std::string> ids;
    for (const auto& line : split_lines(result.out)) {
      std::string text(trim(line));
      if (starts_with(text, "Submitted batch job ")) text = text.substr(20);
      std::string id = text.substr(0, text.find(';'));
      std::string cluster = text.find(';') == std::string::npos ? "" : text.substr(text.find(';') + 1);
      bool numeric = !id.empty() && id.size() < 20 && id.find_first_not_of("0123456789") == std::string::npos;
      if (numeric && cluster.find_first_of(" \t") == std::string::npos) ids.insert(id);
    }
    if (result.exit_status == 0 && ids.size() == 1) return *ids.begin();
    if (result.exit_status == 0)
      throw SubmitOutcomeUnknown(XRUN_E_SCHEDULER, "sbatch exited 0 but its output names " +
                                                       std::string(ids.empty() ? "no job id" : "several job ids") +
                                                       ": " + scheduler_message(result));
    std::string message = "sbatch failed (exit " + std::to_string(result.exit_status) + "): " + scheduler_message(result);
    if (result.exit_status != 0 && contains_any(result.err + result.out, kLimitRefusals))
      throw SubmitRefusedForLimit(XRUN_E_SCHEDULER, message);
    throw Error(XRUN_E_SCHEDULER, message);
  }

  std::string status_command(const std::vector<TrackedJob>& jobs) const override {
    if (jobs.empty()) return "";
    // -t all: finished jobs stay in slurmctld's memory for MinJobAge, and
    // their final word (TIMEOUT, NODE_FAIL...) is evidence even where
    // there is no accounting. -r: one line per array task. The name and
    // the submit time (unix seconds through SLURM_TIME_FORMAT) tell whether
    // a line is about our job or about another that was given its id.
    std::string ids = id_list(jobs, ",");
    // squeue filters a -j list in time that grows with its length (62 ms
    // of CPU for 2,000 ids against 6 ms for all of a user's jobs, measured
    // on 22.05): past a few hundred jobs, ask for the user's and filter here.
    std::string c = std::string("SLURM_TIME_FORMAT=%s squeue -h -r -t all -o '") + kSqueueFormat + "'";
    if (std::count(ids.begin(), ids.end(), ',') >= kMaxListedIds) return c + " -u \"$(id -un)\"";
    return c + " -j " + ids;
  }

  std::map<std::string, JobStatus> parse_status_output(const std::vector<TrackedJob>& jobs,
                                                        const CommandResult& result) const override {
    std::map<std::string, JobStatus> out;
    if (result.exit_status != 0) {
      // Asking for ONE job slurmctld has forgotten (MinJobAge) fails so;
      // the job has simply left the queue.
      if (result.err.find("Invalid job id specified") != std::string::npos) return out;
      throw Error(XRUN_E_SCHEDULER, "squeue failed (exit " + std::to_string(result.exit_status) +
                                        "): " + scheduler_message(result));
    }
    // Scanned in place: a round over thousands of jobs allocates little.
    JobsById by_id = jobs_by_scheduler_id(jobs);
    std::string_view text = result.out;
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = trim(text.substr(start, end - start));
      start = end + 1;
      // id|state|submit|reason|name (the name last: another user's may hold '|')
      std::string_view f[5];
      size_t at = 0;
      int fields = 0;
      for (; fields < 4; ++fields) {
        size_t bar = line.find('|', at);
        if (bar == std::string_view::npos) break;
        f[fields] = line.substr(at, bar - at);
        at = bar + 1;
      }
      if (fields < 4) continue;
      f[4] = line.substr(at);
      auto range = by_id.equal_range(f[0]);
      if (range.first == range.second) continue;
      std::string owner = job_id_from_name(std::string(f[4]));
      std::optional<int64_t> submitted = unix_seconds(f[2]);
      JobStatus status = slurm_status(std::string(f[1]), std::string(f[3]));
      // A plain non-zero exit: its code is in accounting or the exit-code
      // file, so the job is reported as gone and core asks there.
      if (status.state == XRUN_STATE_FAILED && status.reason == "NonZeroExitCode") continue;
      for (auto it = range.first; it != range.second; ++it)
        if (record_is_for(*it->second, owner, submitted)) out[it->second->job_id] = status;
    }
    return out;
  }

  std::string accounting_command(const std::vector<TrackedJob>& jobs) const override {
    if (jobs.empty()) return "";
    // -D: once Slurm hands an id out again (state lost, FirstJobId restarted,
    // MaxJobId wrapped) sacct shows only one record per id unless asked for
    // all; the job name then picks the record of this job.
    return "SLURM_TIME_FORMAT=%s sacct -X -D -n -P -o JobID,State,ExitCode,Submit,Reason,JobName -j " +
           id_list(jobs, ",");
  }

  std::map<std::string, JobStatus> parse_accounting_output(const std::vector<TrackedJob>& jobs,
                                                           const CommandResult& result) const override {
    std::map<std::string, JobStatus> out;
    // Without slurmdbd sacct says so and exits 0: no evidence here, core
    // falls back to the exit-code files.
    if ((result.out + result.err).find("accounting storage is disabled") != std::string::npos) return out;
    if (result.exit_status != 0)
      throw Error(XRUN_E_SCHEDULER, "sacct failed (exit " + std::to_string(result.exit_status) +
                                        "): " + scheduler_message(result));
    JobsById by_id = jobs_by_scheduler_id(jobs);
    for (const auto& line : split_lines(result.out)) {
      auto f = split_fields(trim(line), '|');
      if (f.size() < 6) continue;
      // The name is the last column and may itself hold '|'.
      std::string name = f[5];
      for (size_t i = 6; i < f.size(); ++i) name += "|" + f[i];
      auto range = by_id.equal_range(f[0]);
      if (range.first == range.second) continue;
      JobStatus status = slurm_status(f[1], f[4]);
      std::optional<int> code = slurm_exit_code(f[2]);
      if (status.state == XRUN_STATE_COMPLETED || status.state == XRUN_STATE_FAILED) {
        status.exit_code = code;
        if (status.state == XRUN_STATE_FAILED && code && *code != 0 && status.reason == "Failed")
          status.reason = "NonZeroExitCode";
      } else if (code && *code != 0) {
        status.exit_code = code;  // a timeout's 0:0 is no exit status
      }
      std::string owner = job_id_from_name(name);
      std::optional<int64_t> submitted = unix_seconds(f[3]);
      for (auto it = range.first; it != range.second; ++it)
        if (record_is_for(*it->second, owner, submitted)) out[it->second->job_id] = status;
    }
    return out;
  }

  std::string cancel_command(const std::vector<TrackedJob>& jobs) const override {
    return "scancel " + id_list(jobs, " ");
  }
  std::string hold_command(const std::vector<TrackedJob>& jobs) const override {
    // uhold: the user's own hold (JobHeldUser) even when xrun runs as an
    // administrator, whose plain "hold" would be an admin hold the job's
    // owner cannot release.
    return "scontrol uhold " + id_list(jobs, ",");
  }
  std::string release_command(const std::vector<TrackedJob>& jobs) const override {
    return "scontrol release " + id_list(jobs, ",");
  }

  std::string find_command(const std::vector<std::string>& job_ids) const override {
    (void)job_ids;  // filtered in parse_find_output: names are not a squeue filter we can trust
    // -u rather than --me, which Slurm before 20.11 lacks.
    return "squeue -h -r -t all -u \"$(id -un)\" -o '%i|%j'; sacct -X -n -P -S now-14days -o JobID,JobName "
           "2>/dev/null; true";
  }

  std::map<std::string, std::string> parse_find_output(const CommandResult& result) const override {
    std::map<std::string, std::string> out;
    for (const auto& line : split_lines(result.out)) {
      auto f = split_fields(trim(line), '|');
      if (f.size() != 2 || f[0].empty() || f[0].find_first_not_of("0123456789_") != std::string::npos) continue;
      std::string job_id = job_id_from_name(f[1]);
      if (!job_id.empty()) out.emplace(job_id, f[0]);  // squeue's line comes first and wins
    }
    return out;
  }

  std::string array_task_id(const std::string& base_id, int64_t index) const override {
    return base_id + "_" + std::to_string(index);
  }

  std::vector<std::string> required_commands() const override {
    return {"sbatch", "squeue", "sacct", "scancel", "scontrol"};
  }
};

}  // namespace

std::unique_ptr<Scheduler> make_slurm_scheduler() { return std::make_unique<SlurmScheduler>(); }

}  // namespace xrun
