#include "scheduler/sge_status.h"

#include <cstdlib>

#include "scheduler/batch_common.h"
#include "util/error.h"
#include "util/strings.h"

namespace xrun {

namespace {

// The text of the first <tag>...</tag> inside [begin, end), or "".
std::string element(const std::string& xml, size_t begin, size_t end, const std::string& tag) {
  std::string open = "<" + tag + ">", close = "</" + tag + ">";
  size_t a = xml.find(open, begin);
  if (a == std::string::npos || a >= end) return "";
  a += open.size();
  size_t b = xml.find(close, a);
  if (b == std::string::npos || b > end) return "";
  return std::string(trim(std::string_view(xml).substr(a, b - a)));
}

}  // namespace

std::vector<SgeQueueEntry> parse_sge_qstat_xml(const std::string& xml) {
  std::vector<SgeQueueEntry> out;
  if (trim(xml).empty()) return out;
  if (xml.find("<job_info") == std::string::npos)
    throw Error(XRUN_E_PARSE, "qstat -xml output has no <job_info> element");
  for (size_t pos = xml.find("<job_list"); pos != std::string::npos; pos = xml.find("<job_list", pos + 1)) {
    size_t end = xml.find("</job_list>", pos);
    if (end == std::string::npos) throw Error(XRUN_E_PARSE, "qstat -xml output ends inside a <job_list>");
    SgeQueueEntry e;
    e.job_number = element(xml, pos, end, "JB_job_number");
    e.name = element(xml, pos, end, "JB_name");
    e.state = element(xml, pos, end, "state");
    e.tasks = element(xml, pos, end, "tasks");
    if (!e.job_number.empty()) out.push_back(e);
  }
  return out;
}

JobStatus sge_queue_status(const std::string& state) {
  JobStatus s;
  s.raw_state = state;
  auto has = [&](char c) { return state.find(c) != std::string::npos; };
  if (has('E')) {
    // Eqw: the job failed to start and waits for an admin's qmod -cj;
    // it never runs by itself, so it shows as held with the reason.
    s.state = XRUN_STATE_HELD;
    s.reason = "Error";
  } else if (has('d')) {
    s.state = XRUN_STATE_RUNNING;  // being deleted: gone next round
    s.reason = "Deleting";
  } else if (has('h')) {
    s.state = XRUN_STATE_HELD;
    s.reason = "Held";
  } else if (has('s') || has('S') || has('T')) {
    s.state = XRUN_STATE_HELD;
    s.reason = "Suspended";
  } else if (has('r') || has('t') || has('R')) {
    s.state = XRUN_STATE_RUNNING;
    if (has('t')) s.reason = "Transferring";
  } else if (has('q') || has('w')) {
    s.state = XRUN_STATE_QUEUED;
  } else {
    s.state = XRUN_STATE_QUEUED;
    s.reason = "unknown SGE state \"" + state + "\"";
  }
  return s;
}

std::map<std::string, std::map<std::string, std::string>> parse_sge_qacct(const std::string& output) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::map<std::string, std::string> record;
  auto flush = [&] {
    auto job = record.find("jobnumber");
    if (job != record.end()) {
      std::string key = job->second;
      auto task = record.find("taskid");
      if (task != record.end() && task->second != "undefined" && task->second != "0") key += "." + task->second;
      out[key] = record;
    }
    record.clear();
  };
  for (const auto& raw : split_lines(output)) {
    std::string_view line = trim(raw);
    if (starts_with(line, "=====")) {
      flush();
      continue;
    }
    size_t space = line.find_first_of(" \t");
    if (space == std::string_view::npos) continue;
    record[std::string(line.substr(0, space))] = std::string(trim(line.substr(space)));
  }
  flush();
  return out;
}

JobStatus sge_accounting_status(const std::map<std::string, std::string>& record) {
  JobStatus s;
  auto get = [&](const char* key) {
    auto it = record.find(key);
    return it == record.end() ? std::string() : it->second;
  };
  std::string failed = get("failed");        // "0" or "37  : qmaster enforced h_rt, h_cpu, or h_vmem limit"
  std::string exit_text = get("exit_status");  // "0", "137", "137 (Killed)"
  int failed_code = leading_int(failed);
  int code = leading_int(exit_text);
  std::string deleted_by = get("deleted_by");  // newer qacct; "NONE" when not deleted
  s.raw_state = "failed=" + failed + " exit_status=" + exit_text;
  if (!deleted_by.empty() && deleted_by != "NONE") {
    s.state = XRUN_STATE_CANCELLED;
    s.reason = "deleted by " + deleted_by;
  } else if (failed.find("h_rt") != std::string::npos || failed.find("s_rt") != std::string::npos) {
    s.state = XRUN_STATE_TIMEOUT;
    s.reason = "TimeLimit";
  } else if (failed.find("h_vmem") != std::string::npos) {
    s.state = XRUN_STATE_OUT_OF_MEMORY;
    s.reason = "OutOfMemory";
  } else if (failed_code != 0 && failed_code != 100) {
    // 100 ("assumedly after job") means the script ran and ended badly;
    // other codes mean Grid Engine could not run it.
    s.state = XRUN_STATE_FAILED;
    s.reason = std::string(trim(failed));
  } else if (code == 0 && failed_code == 0) {
    s.state = XRUN_STATE_COMPLETED;
    s.exit_code = 0;
  } else {
    s.state = XRUN_STATE_FAILED;
    s.exit_code = code;
    s.reason = code > 128 ? "Signaled" : "NonZeroExitCode";
  }
  return s;
}

}  // namespace xrun
