// The LSF scheduler: `bsub < script`, ONE `bjobs -a -json -o ...` over
// the jobs (finished ones stay visible for CLEAN_PERIOD), bkill, bstop /
// bresume. LSF has no separate accounting query here: bjobs -a is it.
#include <set>

#include "scheduler/batch_common.h"
#include "scheduler/lsf_status.h"
#include "scheduler/script_common.h"
#include "transport/transport.h"
#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

namespace {

const std::vector<std::string_view> kLimitRefusals = {
    "Pending job threshold reached",
    "pending job limit",
    "Job submission limit",
};

std::string job_name(const ScriptRequest& request) {
  checked_directive_value(request.job_id, "job id");
  return "xrun-" + request.job_id;
}

// The xrun id in a job name made by job_name() ("xrun-ID", an array's
// "xrun-ID[1-9]"), or "".
std::string job_id_from_name(const std::string& job_name) {
  std::string name = job_name.substr(0, job_name.find('['));
  return starts_with(name, "xrun-") ? name.substr(5) : "";
}

// bsub expands %J and %I in -o/-e.
std::string checked_path(const std::string& path) {
  for (char c : path)
    if (c == '%' || c == '\n' || c == '\r')
      throw Error(XRUN_E_INVALID, "path \"" + path + "\" contains a character bsub -o/-e cannot carry");
  return path;
}

std::string id_list(const std::vector<TrackedJob>& jobs) {
  std::string out;
  std::set<std::string> seen;
  for (const auto& job : jobs) {
    const std::string& id = checked_scheduler_id(job, "[]");
    if (seen.insert(id).second) out += " " + quote_for_shell(id);  // "12[3]" is a glob
  }
  return out;
}

class LsfScheduler : public Scheduler {
 public:
  std::string name() const override { return "lsf"; }

  std::string render_script(const ScriptRequest& request) const override {
    const Resources& r = request.resources;
    std::string s = "#!/bin/bash\n";
    s += "# xrun job " + checked_directive_value(request.job_id, "job id") + "\n";
    int64_t nodes = positive_count(r.nodes, "nodes", 1);
    int64_t per_node =
        positive_count(r.tasks_per_node, "tasks_per_node", 1) * positive_count(r.cpus_per_task, "cpus_per_task", 1);
    if (r.nodes || r.tasks_per_node || r.cpus_per_task) {
      s += "#BSUB -n " + std::to_string(nodes * per_node) + "\n";
      s += "#BSUB -R \"span[ptile=" + std::to_string(per_node) + "]\"\n";
    }
    if (r.memory) s += "#BSUB -R \"rusage[mem=" + std::to_string(memory_megabytes(*r.memory)) + "]\"\n";
    if (r.walltime) {
      int64_t minutes = (walltime_seconds(*r.walltime) + 59) / 60;
      s += "#BSUB -W " + std::to_string(minutes / 60) + ":" + (minutes % 60 < 10 ? "0" : "") +
           std::to_string(minutes % 60) + "\n";
    }
    if (r.partition) s += "#BSUB -q " + checked_directive_value(*r.partition, "queue") + "\n";
    if (r.account) s += "#BSUB -P " + checked_directive_value(*r.account, "project") + "\n";
    if (r.qos) throw Error(XRUN_E_UNSUPPORTED, "LSF has no qos; remove \"qos\" from the resources");
    return s + script_body_for(request, "LSB_JOBINDEX");
  }

  std::string submit_command(const ScriptRequest& request, const std::string& script_path) const override {
    bool array = !request.array.empty();
    std::string name = job_name(request);
    if (array) {
      auto idx = array_indexes(request.array);
      if (idx.front() < 1) throw Error(XRUN_E_UNSUPPORTED, "LSF array indexes start at 1, not in \"" + request.array + "\"");
      std::string spec = request.array, limit;
      if (auto pct = spec.find('%'); pct != std::string::npos) {
        limit = spec.substr(pct);
        spec.resize(pct);
      }
      name += "[" + spec + "]" + limit;
    }
    std::string c = "cd " + quote_for_shell(request.job_dir) + " && bsub -J " + quote_for_shell(name);
    c += " -o " + quote_for_shell(checked_path(request.stdout_path) + (array ? ".%I" : ""));
    c += " -e " + quote_for_shell(checked_path(request.stderr_path) + (array ? ".%I" : ""));
    if (request.hold) c += " -H";
    if (!request.depends_on.empty()) {
      require_afterok_only(request, "lsf");
      std::string cond;
      for (const auto& id : request.depends_on) {
        TrackedJob parent{"dependency", id, ""};
        cond += (cond.empty() ? "" : " && ") + std::string("done(") + checked_scheduler_id(parent, "[]") + ")";
      }
      c += " -w " + quote_for_shell(cond);
    }
    return c + " < " + quote_for_shell(script_path);
  }

  std::string parse_submit_output(const CommandResult& result) const override {
    // "Job <123> is submitted to queue <normal>."
    size_t at = result.out.find("Job <");
    if (result.exit_status == 0 && at != std::string::npos) {
      size_t end = result.out.find('>', at);
      std::string id = result.out.substr(at + 5, end == std::string::npos ? 0 : end - at - 5);
      if (!id.empty() && id.find_first_not_of("0123456789") == std::string::npos) return id;
    }
    std::string message = "bsub failed (exit " + std::to_string(result.exit_status) + "): " +
                          std::string(trim(result.err.empty() ? result.out : result.err));
    if (contains_any(result.err + result.out, kLimitRefusals)) throw SubmitRefusedForLimit(XRUN_E_SCHEDULER, message);
    throw Error(XRUN_E_SCHEDULER, message);
  }

  std::string status_command(const std::vector<TrackedJob>& jobs) const override {
    if (jobs.empty()) return "";
    return std::string("bjobs -a -json -o '") + kLsfColumns + "'" + id_list(jobs);
  }

  std::map<std::string, JobStatus> parse_status_output(const std::vector<TrackedJob>& jobs,
                                                        const CommandResult& result) const override {
    // Unknown ids are records with an ERROR (and a non-zero exit):
    // those jobs have left LSF's memory.
    std::vector<LsfRecord> records;
    try {
      records = parse_lsf_bjobs(result.out);
    } catch (const Error& e) {
      throw Error(XRUN_E_SCHEDULER, std::string("bjobs output unreadable: ") + e.what());
    }
    if (records.empty() && result.exit_status != 0 && result.err.find("not found") == std::string::npos)
      throw Error(XRUN_E_SCHEDULER, "bjobs failed (exit " + std::to_string(result.exit_status) +
                                        "): " + std::string(trim(result.err)));
    JobsById by_id = jobs_by_scheduler_id(jobs);
    std::map<std::string, JobStatus> out;
    for (const auto& r : records) {
      if (!r.error.empty()) continue;
      // Only a record whose name is the job's is about it: LSF hands ids
      // out again after MAX_JOBID, and from 1 on a rebuilt cluster.
      std::string owner = job_id_from_name(r.job_name);
      auto range = by_id.equal_range(r.id);
      for (auto it = range.first; it != range.second; ++it)
        if (record_is_for(*it->second, owner, std::nullopt)) out[it->second->job_id] = lsf_status(r);
    }
    return out;
  }

  std::string accounting_command(const std::vector<TrackedJob>&) const override { return ""; }
  std::map<std::string, JobStatus> parse_accounting_output(const std::vector<TrackedJob>&,
                                                           const CommandResult&) const override {
    return {};
  }

  std::string cancel_command(const std::vector<TrackedJob>& jobs) const override { return "bkill" + id_list(jobs); }
  std::string hold_command(const std::vector<TrackedJob>& jobs) const override { return "bstop" + id_list(jobs); }
  std::string release_command(const std::vector<TrackedJob>& jobs) const override { return "bresume" + id_list(jobs); }

  std::string find_command(const std::vector<std::string>&) const override {
    return std::string("bjobs -a -json -o '") + kLsfColumns + "' 2>/dev/null; true";
  }
  std::map<std::string, std::string> parse_find_output(const CommandResult& result) const override {
    std::map<std::string, std::string> out;
    for (const auto& r : parse_lsf_bjobs(result.out)) {
      std::string owner = job_id_from_name(r.job_name);
      if (!owner.empty()) out.emplace(owner, r.id.substr(0, r.id.find('[')));
    }
    return out;
  }

  std::string array_task_id(const std::string& base_id, int64_t index) const override {
    return base_id + "[" + std::to_string(index) + "]";
  }

  std::vector<std::string> required_commands() const override { return {"bsub", "bjobs", "bkill", "bstop", "bresume"}; }
};

}  // namespace

std::unique_ptr<Scheduler> make_lsf_scheduler() { return std::make_unique<LsfScheduler>(); }

}  // namespace xrun
