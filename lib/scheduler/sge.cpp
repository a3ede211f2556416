// The Grid Engine scheduler (SGE, Son of Grid Engine, OGS): qsub -terse,
// ONE `qstat -xml` over the user's jobs, `qacct -j` for those that left,
// qdel/qhold/qrls. Note: Grid Engine's -hold_jid waits for the parents to
// END, whatever their exit status (it has no afterok).
#include <set>

#include "scheduler/batch_common.h"
#include "scheduler/script_common.h"
#include "scheduler/sge_status.h"
#include "transport/transport.h"
#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

namespace {

const std::vector<std::string_view> kLimitRefusals = {
    "max_u_jobs",                    // "only 100 jobs are allowed per user (max_u_jobs)"
    "jobs are allowed per user",
    "max_jobs",                      // cluster-wide cap
    "jobs are allowed per cluster",
};

std::string job_name(const ScriptRequest& request) {
  checked_directive_value(request.job_id, "job id");
  return "x" + request.job_id;  // SGE names must not start with a digit
}

// qsub expands $JOB_ID, $TASK_ID... in -o/-e, and reads "host:path".
std::string checked_path(const std::string& path) {
  for (char c : path)
    if (c == ':' || c == '$' || c == '\n' || c == '\r')
      throw Error(XRUN_E_INVALID, "path \"" + path + "\" contains a character qsub -o/-e cannot carry");
  return path;
}

// "123" or "123.4" (task 4 of array 123).
std::string checked_id(const TrackedJob& job) { return checked_scheduler_id(job, "."); }

std::string base_of(const std::string& id) { return id.substr(0, id.find('.')); }

// The xrun id in a job name made by job_name(), or "".
std::string job_id_from_name(const std::string& name) {
  return name.size() > 1 && name[0] == 'x' ? name.substr(1) : "";
}

class SgeScheduler : public Scheduler {
 public:
  std::string name() const override { return "sge"; }

  std::string render_script(const ScriptRequest& request) const override {
    const Resources& r = request.resources;
    std::string s = "#!/bin/bash\n";
    s += "# xrun job " + checked_directive_value(request.job_id, "job id") + "\n";
    s += "#$ -S /bin/bash\n";
    int64_t slots = positive_count(r.nodes, "nodes", 1) * positive_count(r.tasks_per_node, "tasks_per_node", 1) *
                    positive_count(r.cpus_per_task, "cpus_per_task", 1);
    if (slots > 1)
      throw Error(XRUN_E_UNSUPPORTED,
                  "Grid Engine needs a site parallel environment (-pe NAME N) for more than one slot");
    if (r.memory) s += "#$ -l h_vmem=" + std::to_string(memory_megabytes(*r.memory)) + "M\n";
    if (r.walltime) s += "#$ -l h_rt=" + hms(walltime_seconds(*r.walltime)) + "\n";
    if (r.partition) s += "#$ -q " + checked_directive_value(*r.partition, "queue") + "\n";
    if (r.account) s += "#$ -P " + checked_directive_value(*r.account, "project") + "\n";
    if (r.qos) throw Error(XRUN_E_UNSUPPORTED, "Grid Engine has no qos; remove \"qos\" from the resources");
    return s + script_body_for(request, "SGE_TASK_ID");
  }

  std::string submit_command(const ScriptRequest& request, const std::string& script_path) const override {
    bool array = !request.array.empty();
    std::string c = "qsub -terse -N " + quote_for_shell(job_name(request));
    c += " -wd " + quote_for_shell(checked_path(request.job_dir));
    // $TASK_ID is Grid Engine's own placeholder, inside single quotes.
    c += " -o " + quote_for_shell(checked_path(request.stdout_path)) + (array ? "'.$TASK_ID'" : "");
    c += " -e " + quote_for_shell(checked_path(request.stderr_path)) + (array ? "'.$TASK_ID'" : "");
    if (array) {
      auto idx = array_indexes(request.array);
      if (request.array.find_first_of(",%") != std::string::npos || idx.front() < 1)
        throw Error(XRUN_E_UNSUPPORTED, "Grid Engine arrays are one range from 1 (\"1-10\", \"1-9:2\"), not \"" +
                                            request.array + "\"");
      c += " -t " + quote_for_shell(request.array);
    }
    if (request.hold) c += " -h";
    if (!request.depends_on.empty()) {
      require_afterok_only(request, "sge");
      std::string deps;
      for (const auto& id : request.depends_on) {
        TrackedJob parent{"dependency", id, ""};
        deps += (deps.empty() ? "" : ",") + base_of(checked_id(parent));
      }
      c += " -hold_jid " + deps;
    }
    return c + " " + quote_for_shell(script_path);
  }

  std::string parse_submit_output(const CommandResult& result) const override {
    std::string last;
    for (const auto& line : split_lines(result.out))
      if (!trim(line).empty()) last = std::string(trim(line));
    // -terse: "123", or "123.1-4:1" for an array.
    std::string id = last.substr(0, last.find('.'));
    bool numeric = !id.empty() && id.find_first_not_of("0123456789") == std::string::npos;
    if (result.exit_status == 0 && numeric) return id;
    std::string message = "qsub failed (exit " + std::to_string(result.exit_status) + "): " +
                          std::string(trim(result.err.empty() ? result.out : result.err));
    if (contains_any(result.err + result.out, kLimitRefusals)) throw SubmitRefusedForLimit(XRUN_E_SCHEDULER, message);
    throw Error(XRUN_E_SCHEDULER, message);
  }

  std::string status_command(const std::vector<TrackedJob>& jobs) const override {
    if (jobs.empty()) return "";
    for (const auto& job : jobs) checked_id(job);
    // qstat has no job-list filter for the overview: ask for all of this
    // user's jobs, one line per array task (-g d).
    return "qstat -xml -g d -u \"$(id -un)\"";
  }

  std::map<std::string, JobStatus> parse_status_output(const std::vector<TrackedJob>& jobs,
                                                        const CommandResult& result) const override {
    if (result.exit_status != 0)
      throw Error(XRUN_E_SCHEDULER, "qstat failed (exit " + std::to_string(result.exit_status) +
                                        "): " + std::string(trim(result.err)));
    std::vector<SgeQueueEntry> entries;
    try {
      entries = parse_sge_qstat_xml(result.out);
    } catch (const Error& e) {
      throw Error(XRUN_E_SCHEDULER, std::string("qstat output unreadable: ") + e.what());
    }
    JobsById by_id = jobs_by_scheduler_id(jobs);
    std::map<std::string, JobStatus> out;
    for (const auto& e : entries) {
      // Only a line whose name is the job's is about it: the id may have
      // been handed out again (qmaster's job counter reset or wrapped).
      std::string owner = job_id_from_name(e.name);
      // A pending array is one line with a range of tasks; -g d splits
      // running ones. Each task is matched as "job.task".
      std::vector<std::string> ids;
      if (e.tasks.empty()) {
        ids.push_back(e.job_number);
      } else if (e.tasks.find_first_of("-,:") == std::string::npos) {
        ids.push_back(e.job_number + "." + e.tasks);
      } else {
        try {  // "1-4:1": the same syntax as ours
          for (int64_t i : array_indexes(e.tasks)) ids.push_back(e.job_number + "." + std::to_string(i));
        } catch (const Error&) {
          continue;
        }
      }
      for (const auto& id : ids) {
        auto range = by_id.equal_range(id);
        for (auto it = range.first; it != range.second; ++it)
          if (record_is_for(*it->second, owner, std::nullopt)) out[it->second->job_id] = sge_queue_status(e.state);
      }
    }
    return out;
  }

  std::string accounting_command(const std::vector<TrackedJob>& jobs) const override {
    if (jobs.empty()) return "";
    std::set<std::string> bases;
    for (const auto& job : jobs) bases.insert(base_of(checked_id(job)));
    // qacct takes one job per call; one shell command runs them all.
    std::string c = "for j in";
    for (const auto& b : bases) c += " " + b;
    return c + "; do qacct -j \"$j\" 2>/dev/null; done; true";
  }

  std::map<std::string, JobStatus> parse_accounting_output(const std::vector<TrackedJob>& jobs,
                                                           const CommandResult& result) const override {
    std::map<std::string, JobStatus> out;
    auto records = parse_sge_qacct(result.out);
    for (const auto& job : jobs) {
      auto it = records.find(job.scheduler_id);
      if (it == records.end()) continue;
      auto name = it->second.find("jobname");
      if (name != it->second.end() && record_is_for(job, job_id_from_name(name->second), std::nullopt))
        out[job.job_id] = sge_accounting_status(it->second);
    }
    return out;
  }

  std::string cancel_command(const std::vector<TrackedJob>& jobs) const override { return "qdel " + ids(jobs); }
  std::string hold_command(const std::vector<TrackedJob>& jobs) const override { return "qhold " + ids(jobs); }
  std::string release_command(const std::vector<TrackedJob>& jobs) const override { return "qrls " + ids(jobs); }

  std::string find_command(const std::vector<std::string>&) const override {
    return "qstat -xml -u \"$(id -un)\"";
  }
  std::map<std::string, std::string> parse_find_output(const CommandResult& result) const override {
    std::map<std::string, std::string> out;
    for (const auto& e : parse_sge_qstat_xml(result.out))
      if (!job_id_from_name(e.name).empty()) out.emplace(job_id_from_name(e.name), e.job_number);
    return out;
  }

  std::string array_task_id(const std::string& base_id, int64_t index) const override {
    return base_id + "." + std::to_string(index);
  }

  std::vector<std::string> required_commands() const override { return {"qsub", "qstat", "qacct", "qdel", "qhold", "qrls"}; }

 private:
  // qdel/qhold/qrls take "123" or "123.4" (one task).
  static std::string ids(const std::vector<TrackedJob>& jobs) {
    std::string out;
    std::set<std::string> seen;
    for (const auto& job : jobs) {
      const std::string& id = checked_id(job);
      if (seen.insert(id).second) out += (out.empty() ? "" : " ") + id;
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Scheduler> make_sge_scheduler() { return std::make_unique<SgeScheduler>(); }

}  // namespace xrun
