// The outer deadline of the calling thread. A caller that must return by
// a time (xrun_job_wait with a timeout) opens a DeadlineScope; every
// blocking operation below it -- waiting for a session, connecting, running
// a command, moving a file, waiting for another thread's poll round --
// ends by that time as well as by its own timeout (XRUN_E_TIMEOUT), so the
// caller's promise holds whatever hangs underneath.
#pragma once
#include <cstdint>
#include <limits>

namespace xrun {

constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();

// The thread's outer deadline (monotonic ms), kNoDeadline if none.
int64_t outer_deadline_ms();

// The earlier of `own_deadline_ms` and the thread's outer deadline.
int64_t bounded_deadline(int64_t own_deadline_ms);

// Sets the thread's outer deadline for its lifetime (nested scopes can only
// make it earlier); the previous one comes back when it ends.
class DeadlineScope {
 public:
  explicit DeadlineScope(int64_t deadline_ms);
  ~DeadlineScope();
  DeadlineScope(const DeadlineScope&) = delete;
  DeadlineScope& operator=(const DeadlineScope&) = delete;

 private:
  int64_t saved_;
};

}  // namespace xrun
