#include "scheduler/pbs_status.h"

#include <cstdlib>

#include "scheduler/batch_common.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strings.h"

namespace xrun {

namespace {

std::string attribute(const PbsAttributes& a, const char* key) {
  auto it = a.find(key);
  return it == a.end() ? "" : it->second;
}

bool contains(const std::string& text, const char* word) { return text.find(word) != std::string::npos; }

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

void flatten_json(const cJSON* job, PbsAttributes& out) {
  for (const cJSON* item = job->child; item; item = item->next) {
    if (!item->string) continue;
    if (cJSON_IsString(item)) {
      out[item->string] = item->valuestring;
    } else if (cJSON_IsNumber(item)) {
      out[item->string] = std::to_string(clamped_integer(item->valuedouble));
    } else if (cJSON_IsObject(item)) {  // Resource_List: {"walltime": ...} -> Resource_List.walltime
      for (const cJSON* sub = item->child; sub; sub = sub->next)
        if (sub->string && cJSON_IsString(sub)) out[std::string(item->string) + "." + sub->string] = sub->valuestring;
    }
  }
}

}  // namespace

std::string pbs_short_id(const std::string& id) {
  std::string text(trim(id));
  size_t bracket = text.find(']');
  size_t dot = text.find('.', bracket == std::string::npos ? 0 : bracket);
  return text.substr(0, dot);
}

std::map<std::string, PbsAttributes> parse_pbs_qstat(const std::string& output) {
  std::map<std::string, PbsAttributes> jobs;
  std::string_view text = trim(output);
  if (!text.empty() && text.front() == '{') {
    json::Ptr root = json::parse(text, "qstat -F json output", XRUN_E_PARSE);
    const cJSON* list = cJSON_GetObjectItemCaseSensitive(root.get(), "Jobs");
    if (!list) return jobs;  // no job known: PBS prints no "Jobs" at all
    for (const cJSON* job = list->child; job; job = job->next)
      if (job->string && cJSON_IsObject(job)) flatten_json(job, jobs[job->string]);
    return jobs;
  }
  PbsAttributes* current = nullptr;
  std::string last_key;
  for (const auto& raw : split_lines(output)) {
    std::string_view line = raw;
    if (starts_with(line, "Job Id:")) {
      current = &jobs[std::string(trim(line.substr(7)))];
      last_key.clear();
      continue;
    }
    if (!current || trim(line).empty()) continue;
    bool indented = line[0] == ' ' || line[0] == '\t';
    size_t eq = line.find(" = ");
    if (indented && line[0] == '\t' && !last_key.empty()) {  // continuation of a long value
      (*current)[last_key] += std::string(trim(line));
    } else if (indented && eq != std::string_view::npos) {
      last_key = std::string(trim(line.substr(0, eq)));
      (*current)[last_key] = std::string(trim(line.substr(eq + 3)));
    }
  }
  return jobs;
}

JobStatus pbs_status(const PbsAttributes& a) {
  JobStatus s;
  std::string state = attribute(a, "job_state");
  std::string comment = attribute(a, "comment");
  s.raw_state = state;
  s.reason = comment;
  if (state == "Q" || state == "T" || state == "M") {
    s.state = XRUN_STATE_QUEUED;
  } else if (state == "W") {
    s.state = XRUN_STATE_QUEUED;
    if (s.reason.empty()) s.reason = "WaitingForStartTime";
  } else if (state == "H") {
    s.state = XRUN_STATE_HELD;
    if (s.reason.empty()) s.reason = "Held";
  } else if (state == "S" || state == "U") {
    s.state = XRUN_STATE_HELD;
    if (s.reason.empty()) s.reason = "Suspended";
  } else if (state == "R" || state == "E" || state == "B") {
    s.state = XRUN_STATE_RUNNING;
  } else if (state == "F" || state == "X" || state == "C") {
    // Finished (PBS Pro history; X: a finished subjob) or completed (Torque).
    std::string code_text = attribute(a, "Exit_status");
    if (code_text.empty()) code_text = attribute(a, "exit_status");
    std::string why = lower(comment);
    if (code_text.empty()) {
      // It never ran: deleted while queued (or held).
      s.state = XRUN_STATE_CANCELLED;
      if (s.reason.empty()) s.reason = "Deleted";
      return s;
    }
    int code = leading_int(code_text);
    if (code == 0) {
      s.state = XRUN_STATE_COMPLETED;
      s.exit_code = 0;
    } else if (code == -29 || code == -11 || (contains(why, "walltime") && contains(why, "exceeded"))) {
      // PBS Pro JOB_EXEC_KILL_WALLTIME (-29), Torque JOB_EXEC_OVERLIMIT_WT (-11),
      // or a signal death whose comment names the walltime.
      s.state = XRUN_STATE_TIMEOUT;
      if (s.reason.empty()) s.reason = "TimeLimit";
    } else if (code == -27 || code == -26 || code == -10 ||
               ((contains(why, "mem ") || contains(why, "memory")) && contains(why, "exceeded"))) {
      s.state = XRUN_STATE_OUT_OF_MEMORY;  // PBS Pro JOB_EXEC_KILL_MEM/VMEM, Torque OVERLIMIT_MEM
      if (s.reason.empty()) s.reason = "OutOfMemory";
    } else if (contains(why, "deleted") || contains(why, "qdel")) {
      s.state = XRUN_STATE_CANCELLED;
    } else if (code < 0) {
      s.state = XRUN_STATE_FAILED;  // PBS could not start it (JOB_EXEC_FAIL*, ...)
      if (s.reason.empty()) s.reason = "JobExecFailed(" + code_text + ")";
    } else {
      s.state = XRUN_STATE_FAILED;
      // 256+N (PBS Pro) is death by signal N; the shell's 128+N is kept.
      s.exit_code = code >= 256 ? 128 + (code - 256) : code;
      if (s.reason.empty()) s.reason = code >= 256 ? "Signaled" : "NonZeroExitCode";
    }
  } else {
    s.state = XRUN_STATE_QUEUED;
    s.reason = "unknown PBS state \"" + state + "\"";
  }
  return s;
}

}  // namespace xrun
