#include "core/state.h"

namespace xrun {

namespace {
const char* const kNames[] = {"created",   "submitting", "submitted", "queued",  "held",
                              "running",   "completed",  "failed",    "cancelled", "timeout",
                              "out_of_memory", "node_fail", "preempted", "lost",
                              "waiting"};
constexpr int kCount = sizeof kNames / sizeof kNames[0];
}  // namespace

const char* state_name(int state) {
  return (state >= 0 && state < kCount) ? kNames[state] : "unknown";
}

std::optional<xrun_state> state_from_name(std::string_view name) {
  for (int i = 0; i < kCount; ++i)
    if (name == kNames[i]) return static_cast<xrun_state>(i);
  return std::nullopt;
}

bool is_terminal(int state) { return state >= XRUN_STATE_COMPLETED && state <= XRUN_STATE_LOST; }

bool is_unsent(int state) {
  return state == XRUN_STATE_CREATED || state == XRUN_STATE_SUBMITTING || state == XRUN_STATE_WAITING;
}

bool transition_allowed(xrun_state from, xrun_state to) {
  if (from == to) return true;
  switch (from) {
    case XRUN_STATE_CREATED:
      return to == XRUN_STATE_SUBMITTING || to == XRUN_STATE_CANCELLED || to == XRUN_STATE_WAITING;
    case XRUN_STATE_WAITING:
      // Sent by a poll round, cancelled, or failed when it can never be sent
      // (its machine left the configuration).
      return to == XRUN_STATE_SUBMITTING || to == XRUN_STATE_CANCELLED || to == XRUN_STATE_FAILED ||
             to == XRUN_STATE_CREATED;
    case XRUN_STATE_SUBMITTING:
      // Back to CREATED when sending failed or recovery found nothing; to
      // WAITING when a poll round will send it again.
      return to != XRUN_STATE_LOST;
    case XRUN_STATE_SUBMITTED:
    case XRUN_STATE_QUEUED:
    case XRUN_STATE_HELD:
    case XRUN_STATE_RUNNING:
      return to != XRUN_STATE_CREATED && to != XRUN_STATE_SUBMITTING &&
             !(to == XRUN_STATE_SUBMITTED && from != XRUN_STATE_SUBMITTED);
    case XRUN_STATE_COMPLETED:
      // A failed diagnosis of the job's output turns success into failure.
      return to == XRUN_STATE_FAILED;
    case XRUN_STATE_LOST:
      // Late evidence (accounting catching up) may still settle a lost job.
      return is_terminal(to);
    default:
      return false;
  }
}

std::vector<xrun_state> states_leading_to(xrun_state to) {
  std::vector<xrun_state> from;
  for (int i = 0; i < kCount; ++i)
    if (transition_allowed(static_cast<xrun_state>(i), to)) from.push_back(static_cast<xrun_state>(i));
  return from;
}

}  // namespace xrun
