// What the DRMAA calls need to know about one xrun job: an RAII handle
// opened by id, and the facts read from its record (state, exit code,
// timestamps as seconds since the epoch).
#pragma once
#include <optional>
#include <string>

#include "xrun.h"

namespace xdrmaa {

class JobHandle {
 public:
  // Opens job `id` in `ctx`; an unknown or malformed id throws
  // Failure(DRMAA_ERRNO_INVALID_JOB).
  JobHandle(xrun_ctx* ctx, const std::string& id);
  ~JobHandle() { xrun_job_free(job_); }
  JobHandle(const JobHandle&) = delete;
  JobHandle& operator=(const JobHandle&) = delete;
  xrun_job* get() const { return job_; }

 private:
  xrun_job* job_ = nullptr;
};

struct JobFacts {
  int state = XRUN_STATE_CREATED;
  bool terminal = false;
  std::optional<int> exit_code;
  std::optional<double> created_s, submitted_s, started_s, ended_s;
};

// From the handle's last open/refresh/wait (no poll).
JobFacts facts_of(xrun_job* job);

// "2026-12-01T23:47:35.123Z" -> seconds since the epoch; nullopt otherwise.
std::optional<double> epoch_seconds(const char* iso8601);

}  // namespace xdrmaa
