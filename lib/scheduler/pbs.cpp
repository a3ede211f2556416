// The PBS scheduler (PBS Pro / OpenPBS, and Torque where the syntax is
// shared): qsub/qstat/qdel/qhold/qrls command text and parsers. Resources
// use the `nodes=N:ppn=M` form both accept; arrays use PBS Pro's -J.
#include <set>

#include "scheduler/batch_common.h"
#include "scheduler/pbs_status.h"
#include "scheduler/script_common.h"
#include "transport/transport.h"
#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

namespace {

// Refusals that free up as the user's jobs end (PBS Pro's and Torque's
// per-user / per-queue job caps).
const std::vector<std::string_view> kLimitRefusals = {
    "Maximum number of jobs already in queue",
    "would exceed",          // "would exceed queue ...'s per-user limit of jobs"
    "per-user limit",
    "exceeds the queue limit",
};

// PBS job names: at most 236 characters (15 on old Torque), starting
// with a letter, no whitespace or '@'. Ours: "x" + the xrun id, which
// crash recovery reads back; the user's name is kept in the script comment.
std::string job_name(const ScriptRequest& request) {
  checked_directive_value(request.job_id, "job id");
  return "x" + request.job_id;
}

// The xrun id in a job name made by job_name(), or "".
std::string job_id_from_name(const std::string& name) {
  return name.size() > 1 && name[0] == 'x' ? name.substr(1) : "";
}

// PBS reads "host:path" in -o/-e; a ':' or a newline cannot be carried.
std::string checked_path(const std::string& path) {
  for (char c : path)
    if (c == ':' || c == '\n' || c == '\r')
      throw Error(XRUN_E_INVALID, "path \"" + path + "\" contains a character qsub -o/-e cannot carry");
  return path;
}

std::string id_list(const std::vector<TrackedJob>& jobs) {
  std::string out;
  std::set<std::string> seen;
  for (const auto& job : jobs) {
    const std::string& id = checked_scheduler_id(job, "[].-_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
    if (!seen.insert(id).second) continue;
    out += (out.empty() ? "" : " ") + quote_for_shell(id);  // "12[3].srv" is a glob
  }
  return out;
}

class PbsScheduler : public Scheduler {
 public:
  std::string name() const override { return "pbs"; }

  std::string render_script(const ScriptRequest& request) const override {
    const Resources& r = request.resources;
    std::string s = "#!/bin/bash\n";
    s += "# xrun job " + checked_directive_value(request.job_id, "job id") + "\n";
    s += "#PBS -S /bin/bash\n";
    int64_t nodes = positive_count(r.nodes, "nodes", 1);
    int64_t per_node =
        positive_count(r.tasks_per_node, "tasks_per_node", 1) * positive_count(r.cpus_per_task, "cpus_per_task", 1);
    if (r.nodes || r.tasks_per_node || r.cpus_per_task)
      s += "#PBS -l nodes=" + std::to_string(nodes) + ":ppn=" + std::to_string(per_node) + "\n";
    if (r.memory) s += "#PBS -l mem=" + std::to_string(memory_megabytes(*r.memory)) + "mb\n";
    if (r.walltime) s += "#PBS -l walltime=" + hms(walltime_seconds(*r.walltime)) + "\n";
    if (r.partition) s += "#PBS -q " + checked_directive_value(*r.partition, "queue") + "\n";
    if (r.account) s += "#PBS -A " + checked_directive_value(*r.account, "account") + "\n";
    if (r.qos) throw Error(XRUN_E_UNSUPPORTED, "PBS has no qos; remove \"qos\" from the resources");
    // PBS Pro names the index PBS_ARRAY_INDEX, Torque PBS_ARRAYID.
    return s + script_body_for(request, "{PBS_ARRAY_INDEX:-$PBS_ARRAYID}");
  }

  std::string submit_command(const ScriptRequest& request, const std::string& script_path) const override {
    std::string c = "cd " + quote_for_shell(request.job_dir) + " && qsub";
    c += " -N " + quote_for_shell(job_name(request));
    bool array = !request.array.empty();
    // PBS Pro replaces ^array_index^ in a subjob's paths: stdout.N.
    c += " -o " + quote_for_shell(checked_path(request.stdout_path) + (array ? ".^array_index^" : ""));
    c += " -e " + quote_for_shell(checked_path(request.stderr_path) + (array ? ".^array_index^" : ""));
    if (array) {
      auto idx = array_indexes(request.array);
      if (request.array.find_first_of(",%") != std::string::npos || idx.size() < 2)
        throw Error(XRUN_E_UNSUPPORTED, "PBS arrays are one range of two or more (\"0-9\", \"1-9:2\"), not \"" +
                                            request.array + "\"");
      c += " -J " + quote_for_shell(request.array);
    }
    if (request.hold) c += " -h";
    if (!request.depends_on.empty()) {
      require_afterok_only(request, "pbs");
      std::string deps;
      for (const auto& id : request.depends_on) {
        TrackedJob parent{"dependency", id, ""};
        deps += ":" + checked_scheduler_id(parent, "[].-_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
      }
      c += " -W " + quote_for_shell("depend=afterok" + deps);
    }
    return c + " " + quote_for_shell(script_path);
  }

  std::string parse_submit_output(const CommandResult& result) const override {
    std::string id;
    for (const auto& line : split_lines(result.out))
      if (!trim(line).empty()) id = std::string(trim(line));
    bool ok = !id.empty() && id[0] >= '0' && id[0] <= '9' && id.find(' ') == std::string::npos;
    if (result.exit_status == 0 && ok) return id;
    std::string message = "qsub failed (exit " + std::to_string(result.exit_status) + "): " +
                          std::string(trim(result.err.empty() ? result.out : result.err));
    if (contains_any(result.err + result.out, kLimitRefusals)) throw SubmitRefusedForLimit(XRUN_E_SCHEDULER, message);
    throw Error(XRUN_E_SCHEDULER, message);
  }

  std::string status_command(const std::vector<TrackedJob>& jobs) const override {
    if (jobs.empty()) return "";
    std::string ids = id_list(jobs);
    // PBS Pro: JSON with finished jobs (-x); Torque has neither, and keeps
    // completed jobs (state C) for keep_completed seconds.
    return "if qstat --version 2>&1 | grep -qi 'pbs_version'; then qstat -f -F json -x -t " + ids +
           "; else qstat -f -t " + ids + "; fi";
  }

  std::map<std::string, JobStatus> parse_status_output(const std::vector<TrackedJob>& jobs,
                                                        const CommandResult& result) const override {
    // Unknown ids make qstat exit non-zero ("Unknown Job Id") while the
    // others are printed: only an unreadable answer is an error.
    std::map<std::string, JobStatus> out;
    std::map<std::string, PbsAttributes> records;
    try {
      records = parse_pbs_qstat(result.out);
    } catch (const Error& e) {
      throw Error(XRUN_E_SCHEDULER, std::string("qstat output unreadable: ") + e.what());
    }
    if (records.empty() && result.exit_status != 0 && result.err.find("Unknown Job Id") == std::string::npos)
      throw Error(XRUN_E_SCHEDULER, "qstat failed (exit " + std::to_string(result.exit_status) +
                                        "): " + std::string(trim(result.err)));
    std::multimap<std::string, const TrackedJob*> by_short;
    for (const auto& job : jobs) by_short.emplace(pbs_short_id(job.scheduler_id), &job);
    for (const auto& [id, attributes] : records) {
      // Only a record whose name is the job's is about it: the id may have
      // been handed out again (server rebuilt, ids wrapping at max_job_sequence_id).
      auto name = attributes.find("Job_Name");
      std::string owner = name == attributes.end() ? "" : job_id_from_name(name->second);
      auto range = by_short.equal_range(pbs_short_id(id));
      for (auto it = range.first; it != range.second; ++it)
        if (record_is_for(*it->second, owner, std::nullopt)) out[it->second->job_id] = pbs_status(attributes);
    }
    return out;
  }

  std::string accounting_command(const std::vector<TrackedJob>&) const override { return ""; }
  std::map<std::string, JobStatus> parse_accounting_output(const std::vector<TrackedJob>&,
                                                           const CommandResult&) const override {
    return {};
  }

  std::string cancel_command(const std::vector<TrackedJob>& jobs) const override { return "qdel " + id_list(jobs); }
  std::string hold_command(const std::vector<TrackedJob>& jobs) const override { return "qhold " + id_list(jobs); }
  std::string release_command(const std::vector<TrackedJob>& jobs) const override { return "qrls " + id_list(jobs); }

  std::string find_command(const std::vector<std::string>&) const override {
    return "qstat -f 2>/dev/null; true";
  }
  std::map<std::string, std::string> parse_find_output(const CommandResult& result) const override {
    std::map<std::string, std::string> out;
    for (const auto& [id, a] : parse_pbs_qstat(result.out)) {
      auto name = a.find("Job_Name");
      if (name != a.end() && !job_id_from_name(name->second).empty()) out.emplace(job_id_from_name(name->second), id);
    }
    return out;
  }

  std::string array_task_id(const std::string& base_id, int64_t index) const override {
    // "123[].server" -> "123[4].server"
    size_t open = base_id.find("[]");
    if (open == std::string::npos) return "";
    return base_id.substr(0, open) + "[" + std::to_string(index) + "]" + base_id.substr(open + 2);
  }

  std::vector<std::string> required_commands() const override { return {"qsub", "qstat", "qdel", "qhold", "qrls"}; }
};

}  // namespace

std::unique_ptr<Scheduler> make_pbs_scheduler() { return std::make_unique<PbsScheduler>(); }

}  // namespace xrun
