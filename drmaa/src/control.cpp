// drmaa_job_ps and drmaa_control.
//
// xrun has no suspend/resume: suspending a running job, or resuming one
// suspended outside xrun (by an administrator), is refused with
// DRMAA_ERRNO_DENIED_BY_DRM; other states answer the inconsistent-state
// codes. Hold and
// release are the scheduler's own (xrun_job_hold / xrun_job_release): only
// a job waiting in the scheduler's queue can be held, only a held one
// released.
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

int program_status(xrun_job* job) { return program_status_of(xrun_job_state(job), xrun_job_reason(job)); }

// Holds (`hold`) or releases a job through xrun. The state was checked
// from a fresh poll, but the job can move before the scheduler's command
// runs: xrun's XRUN_E_STATE, or a refusal after which the job is no longer
// where it was, is the inconsistent state; any other refusal (a scheduler
// that cannot hold, an administrator's hold a user cannot release) is the
// DRM's denial.
void change_hold(xrun_job* job, const std::string& id, bool hold) {
  const char* verb = hold ? "hold" : "release";
  const int inconsistent = hold ? DRMAA_ERRNO_HOLD_INCONSISTENT_STATE : DRMAA_ERRNO_RELEASE_INCONSISTENT_STATE;
  const int before = program_status(job);
  int rc = hold ? xrun_job_hold(job) : xrun_job_release(job);
  if (rc == XRUN_OK) {
    // The handle holds the record as xrun left it: a success that did not
    // move the job is not reported as done.
    if ((xrun_job_state(job) == XRUN_STATE_HELD) == hold) return;
    fail(DRMAA_ERRNO_INTERNAL_ERROR, std::string(verb) + " of job " + id + ": xrun reported success but the job is " +
                                         xrun_state_name(xrun_job_state(job)));
  }
  std::string why = xrun_message();
  if (rc == XRUN_E_SCHEDULER && xrun_job_refresh(job) == XRUN_OK && program_status(job) != before) rc = XRUN_E_STATE;
  if (rc == XRUN_E_STATE)
    fail(inconsistent, "cannot " + std::string(verb) + " job " + id + ": it is " +
                           xrun_state_name(xrun_job_state(job)) + " (" + why + ")");
  // A command that did not finish in time is a failure to reach the DRM,
  // not drmaa_wait's timeout.
  int code = rc == XRUN_E_TIMEOUT ? DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE : drmaa_code_for(rc, DRMAA_ERRNO_INVALID_ARGUMENT);
  fail(code, std::string(verb) + " of job " + id + ": " + why);
}

// Applies `action` to one job. With `skip_inapplicable` (SESSION_ALL), a
// job the action does not apply to is left alone instead of refused.
void control_one(Session& s, const std::string& id, int action, bool skip_inapplicable) {
  JobHandle job(s.ctx(), id);
  refresh(job.get());
  int state = xrun_job_state(job.get());
  int ps = program_status(job.get());
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
      if (ps != DRMAA_PS_SYSTEM_SUSPENDED) return inconsistent(DRMAA_ERRNO_RESUME_INCONSISTENT_STATE, "resume");
      fail(DRMAA_ERRNO_DENIED_BY_DRM, "cannot resume job " + id + ": it was suspended outside xrun, which has no resume");
    case DRMAA_CONTROL_HOLD:
      // Queued: sent and waiting in the queue (a job xrun has not sent yet
      // has nothing to hold; xrun_job_hold says so with XRUN_E_STATE).
      if (ps != DRMAA_PS_QUEUED_ACTIVE) return inconsistent(DRMAA_ERRNO_HOLD_INCONSISTENT_STATE, "hold");
      if (skip_inapplicable && state != XRUN_STATE_SUBMITTED && state != XRUN_STATE_QUEUED) return;
      return change_hold(job.get(), id, true);
    case DRMAA_CONTROL_RELEASE:
      if (state != XRUN_STATE_HELD || ps == DRMAA_PS_SYSTEM_SUSPENDED)
        return inconsistent(DRMAA_ERRNO_RELEASE_INCONSISTENT_STATE, "release");
      return change_hold(job.get(), id, false);
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
    *remote_ps = program_status(job.get());
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
