#include "scheduler/lsf_status.h"

#include <cstdlib>

#include "scheduler/batch_common.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strings.h"

namespace xrun {

const char* const kLsfColumns = "jobid jobindex stat exit_code exit_reason pend_reason job_name";

namespace {

std::string member(const cJSON* record, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(record, key);
  if (cJSON_IsString(item)) return item->valuestring;
  if (cJSON_IsNumber(item)) return std::to_string(clamped_integer(item->valuedouble));
  return "";
}

std::string element_id(const std::string& job, const std::string& index) {
  if (index.empty() || index == "0" || index == "-") return job;
  return job + "[" + index + "]";
}

bool starts(const std::string& text, const char* prefix) { return starts_with(text, prefix); }

}  // namespace

std::vector<LsfRecord> parse_lsf_bjobs(const std::string& output) {
  std::vector<LsfRecord> out;
  std::string_view text = trim(output);
  if (!text.empty() && text.front() == '{') {
    json::Ptr root = json::parse(text, "bjobs -json output", XRUN_E_PARSE);
    const cJSON* records = cJSON_GetObjectItemCaseSensitive(root.get(), "RECORDS");
    for (const cJSON* r = records ? records->child : nullptr; r; r = r->next) {
      LsfRecord rec;
      rec.id = element_id(member(r, "JOBID"), member(r, "JOBINDEX"));
      rec.stat = member(r, "STAT");
      rec.exit_code = member(r, "EXIT_CODE");
      rec.exit_reason = member(r, "EXIT_REASON");
      rec.pend_reason = member(r, "PEND_REASON");
      rec.job_name = member(r, "JOB_NAME");
      rec.error = member(r, "ERROR");
      if (!rec.id.empty()) out.push_back(rec);
    }
    return out;
  }
  for (const auto& line : split_lines(output)) {
    auto f = split_fields(trim(line), '|');
    if (f.size() < 7 || f[0].empty() || f[0][0] < '0' || f[0][0] > '9') continue;
    LsfRecord rec;
    rec.id = element_id(f[0], f[1]);
    rec.stat = f[2];
    rec.exit_code = f[3] == "-" ? "" : f[3];
    rec.exit_reason = f[4] == "-" ? "" : f[4];
    rec.pend_reason = f[5] == "-" ? "" : f[5];
    rec.job_name = f[6];
    out.push_back(rec);
  }
  return out;
}

JobStatus lsf_status(const LsfRecord& r) {
  JobStatus s;
  s.raw_state = r.stat;
  const std::string& st = r.stat;
  if (st == "PEND" || st == "WAIT") {
    s.state = XRUN_STATE_QUEUED;
    s.reason = r.pend_reason;
  } else if (st == "PSUSP") {
    s.state = XRUN_STATE_HELD;  // held by its owner or an admin while pending
    s.reason = r.pend_reason.empty() ? "Held" : r.pend_reason;
  } else if (st == "USUSP" || st == "SSUSP") {
    s.state = XRUN_STATE_HELD;
    s.reason = "Suspended";
  } else if (st == "RUN" || st == "PROV") {
    s.state = XRUN_STATE_RUNNING;
  } else if (st == "UNKWN" || st == "ZOMBI") {
    s.state = XRUN_STATE_RUNNING;  // the host does not answer; LSF decides later
    s.reason = st == "UNKWN" ? "HostUnreachable" : "Zombie";
  } else if (st == "DONE") {
    s.state = XRUN_STATE_COMPLETED;
    s.exit_code = 0;
  } else if (st == "EXIT") {
    const std::string& why = r.exit_reason;
    if (!r.exit_code.empty()) s.exit_code = leading_int(r.exit_code);
    s.reason = why;
    if (starts(why, "TERM_RUNLIMIT") || starts(why, "TERM_DEADLINE")) {
      s.state = XRUN_STATE_TIMEOUT;
    } else if (starts(why, "TERM_MEMLIMIT") || starts(why, "TERM_SWAP")) {
      s.state = XRUN_STATE_OUT_OF_MEMORY;
    } else if (starts(why, "TERM_OWNER") || starts(why, "TERM_ADMIN") || starts(why, "TERM_FORCE_OWNER") ||
               starts(why, "TERM_FORCE_ADMIN")) {
      s.state = XRUN_STATE_CANCELLED;
    } else if (starts(why, "TERM_PREEMPT")) {
      s.state = XRUN_STATE_PREEMPTED;
    } else if (starts(why, "TERM_HOST") || starts(why, "TERM_ZOMBIE") || starts(why, "TERM_LOAD")) {
      s.state = XRUN_STATE_NODE_FAIL;
    } else {
      s.state = XRUN_STATE_FAILED;
      if (s.reason.empty()) s.reason = "NonZeroExitCode";
    }
  } else {
    s.state = XRUN_STATE_QUEUED;
    s.reason = "unknown LSF state \"" + st + "\"";
  }
  return s;
}

}  // namespace xrun
