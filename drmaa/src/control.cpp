// drmaa_job_ps and drmaa_control.
//
// xrun has no suspend/resume: suspending a running job is refused with
// DRMAA_ERRNO_DENIED_BY_DRM, and since no job is ever suspended, resume
// always answers DRMAA_ERRNO_RESUME_INCONSISTENT_STATE. Hold and release
// of a job already submitted need xrun functions the public API does not
// have yet: a queued job answers DRMAA_ERRNO_DENIED_BY_DRM (a job can still
// be submitted held, with drmaa_js_state = drmaa_hold).
#include <string>

#include "api.h"
#include "common.h"
#include "job_facts.h"
#include "job_status.h"
#include "session.h"

namespace xdrmaa {

namespace {

// Re-reads the job and polls its machine (as the specification asks: the
// status comes from the DRM unless already final).
void refresh(xrun_job* job) {
  if (xrun_state_is_terminal(xrun_job_state(job))) return;
  check_xrun(xrun_job_refresh(job), "asking the scheduler", DRMAA_ERRNO_INTERNAL_ERROR);
}

bool is_waiting(int state) {
  int ps = program_status_of(state);
  return ps == DRMAA_PS_QUEUED_ACTIVE;
}

// Applies `action` to one job. With `skip_inapplicable` (SESSION_ALL), a
// job the action does not apply to is left alone instead of refused.
void control_one(Session& s, const std::string& id, int action, bool skip_inapplicable) {
  JobHandle job(s.ctx(), id);
  refresh(job.get());
  int state = xrun_job_state(job.get());
  int ps = program_status_of(state);
  auto inconsistent = [&](int code, const char* what) {
    if (skip_inapplicable) return;
    fail(code, "cannot " + std::string(what) + " job " + id + ": it is " + xrun_state_name(state));
  };
  switch (action) {
    case DRMAA_CONTROL_TERMINATE: {
      if (xrun_state_is_terminal(state)) return;  // nothing left to end
      int rc = xrun_job_cancel(job.get());
      if (rc == XRUN_E_STATE) return;  // it ended meanwhile
      check_xrun(rc, ("terminating job " + id).c_str(), DRMAA_ERRNO_INTERNAL_ERROR);
      return;
    }
    case DRMAA_CONTROL_SUSPEND:
      if (ps != DRMAA_PS_RUNNING) return inconsistent(DRMAA_ERRNO_SUSPEND_INCONSISTENT_STATE, "suspend");
      fail(DRMAA_ERRNO_DENIED_BY_DRM, "cannot suspend job " + id + ": xrun has no suspend");
    case DRMAA_CONTROL_RESUME:
      return inconsistent(DRMAA_ERRNO_RESUME_INCONSISTENT_STATE, "resume");  // never suspended
    case DRMAA_CONTROL_HOLD:
      if (!is_waiting(state)) return inconsistent(DRMAA_ERRNO_HOLD_INCONSISTENT_STATE, "hold");
      fail(DRMAA_ERRNO_DENIED_BY_DRM, "cannot hold job " + id +
                                          ": xrun's public API has no hold of a submitted job "
                                          "(submit it held with drmaa_js_state=drmaa_hold)");
    case DRMAA_CONTROL_RELEASE:
      if (ps != DRMAA_PS_USER_ON_HOLD) return inconsistent(DRMAA_ERRNO_RELEASE_INCONSISTENT_STATE, "release");
      fail(DRMAA_ERRNO_DENIED_BY_DRM, "cannot release job " + id + ": xrun's public API has no release");
    default:
      fail(DRMAA_ERRNO_INVALID_ARGUMENT, "unknown control action " + std::to_string(action));
  }
}

}  // namespace

}  // namespace xdrmaa

using namespace xdrmaa;

extern "C" {

int drmaa_job_ps(const char* job_id, int* remote_ps, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    std::shared_ptr<Session> s = current_session();
    if (!job_id) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "job_id is NULL");
    if (!remote_ps) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "remote_ps is NULL");
    JobHandle job(s->ctx(), job_id);
    refresh(job.get());
    *remote_ps = program_status_of(xrun_job_state(job.get()));
  });
}

int drmaa_control(const char* jobid, int action, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    std::shared_ptr<Session> s = current_session();
    if (!jobid) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "jobid is NULL");
    if (action < DRMAA_CONTROL_SUSPEND || action > DRMAA_CONTROL_TERMINATE)
      fail(DRMAA_ERRNO_INVALID_ARGUMENT, "unknown control action " + std::to_string(action));
    std::string id = jobid;
    if (id != DRMAA_JOB_IDS_SESSION_ALL) return control_one(*s, id, action, false);
    for (const auto& each : s->jobs()) control_one(*s, each, action, true);
  });
}

}  // extern "C"
