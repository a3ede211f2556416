#include "scheduler/slurm_states.h"

#include <cstdlib>
#include <cstring>

#include "util/strings.h"

namespace xrun {

namespace {

struct StateRow {
  const char* slurm;
  xrun_state state;
  const char* default_reason;  // when Slurm gives none
};

// Every state of Slurm 22.05's job_state_string() plus the
// federation/requeue extras that squeue prints.
const StateRow kStates[] = {
    {"PENDING", XRUN_STATE_QUEUED, ""},
    {"REQUEUED", XRUN_STATE_QUEUED, "Requeued"},
    {"REQUEUE_FED", XRUN_STATE_QUEUED, "Requeued"},
    {"CONFIGURING", XRUN_STATE_QUEUED, "Configuring"},  // allocated, nodes booting
    {"POWER_UP_NODE", XRUN_STATE_QUEUED, "PowerUpNode"},
    {"REQUEUE_HOLD", XRUN_STATE_HELD, "RequeueHold"},
    {"RESV_DEL_HOLD", XRUN_STATE_HELD, "ReservationDeleted"},
    {"SPECIAL_EXIT", XRUN_STATE_HELD, "SpecialExit"},  // held after the exit code the site marks special
    {"SUSPENDED", XRUN_STATE_HELD, "Suspended"},
    {"STOPPED", XRUN_STATE_HELD, "Stopped"},
    {"RUNNING", XRUN_STATE_RUNNING, ""},
    {"COMPLETING", XRUN_STATE_RUNNING, "Completing"},
    {"SIGNALING", XRUN_STATE_RUNNING, "Signaling"},
    {"STAGE_OUT", XRUN_STATE_RUNNING, "StageOut"},
    {"RESIZING", XRUN_STATE_RUNNING, "Resizing"},
    {"UPDATE_DB", XRUN_STATE_RUNNING, "UpdateDb"},
    {"COMPLETED", XRUN_STATE_COMPLETED, ""},
    {"FAILED", XRUN_STATE_FAILED, "Failed"},
    {"CANCELLED", XRUN_STATE_CANCELLED, "Cancelled"},
    {"REVOKED", XRUN_STATE_CANCELLED, "Revoked"},  // federation: it ran on another cluster
    {"TIMEOUT", XRUN_STATE_TIMEOUT, "TimeLimit"},
    {"DEADLINE", XRUN_STATE_TIMEOUT, "Deadline"},
    {"OUT_OF_MEMORY", XRUN_STATE_OUT_OF_MEMORY, "OutOfMemory"},
    {"NODE_FAIL", XRUN_STATE_NODE_FAIL, "NodeFail"},
    {"BOOT_FAIL", XRUN_STATE_NODE_FAIL, "BootFail"},
    {"PREEMPTED", XRUN_STATE_PREEMPTED, "Preempted"},
};

}  // namespace

JobStatus slurm_status(const std::string& raw_state, const std::string& reason) {
  JobStatus status;
  std::string word(trim(raw_state));
  std::string detail;
  if (auto space = word.find(' '); space != std::string::npos) {  // "CANCELLED by 1001"
    detail = std::string(trim(std::string_view(word).substr(space + 1)));
    word.resize(space);
  }
  while (!word.empty() && word.back() == '+') word.pop_back();  // sacct's truncation mark
  status.raw_state = word;
  std::string why(trim(reason));
  if (why == "None" || why == "(null)") why.clear();
  const StateRow* row = nullptr;
  for (const auto& r : kStates)
    if (word == r.slurm) row = &r;
  if (!row) {
    status.state = XRUN_STATE_QUEUED;
    status.reason = "unknown Slurm state \"" + word + "\"" + (why.empty() ? "" : " (" + why + ")");
    return status;
  }
  status.state = row->state;
  // A pending job held by its owner or an admin is held, whatever the word.
  if (status.state == XRUN_STATE_QUEUED && (starts_with(why, "JobHeld") || why == "Held"))
    status.state = XRUN_STATE_HELD;
  if (why.empty()) why = row->default_reason;
  if (!detail.empty()) why += (why.empty() ? "" : " ") + detail;
  status.reason = why;
  if (status.state == XRUN_STATE_COMPLETED) status.exit_code = 0;
  return status;
}

std::optional<int> slurm_exit_code(const std::string& code_signal) {
  std::string text(trim(code_signal));
  auto colon = text.find(':');
  std::string code = text.substr(0, colon);
  std::string signal = colon == std::string::npos ? "0" : text.substr(colon + 1);
  auto number = [](const std::string& s) -> std::optional<int> {
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::atoi(s.c_str());
  };
  auto c = number(code), s = number(signal);
  if (!c || !s) return std::nullopt;
  return *s != 0 ? 128 + *s : *c;
}

}  // namespace xrun
