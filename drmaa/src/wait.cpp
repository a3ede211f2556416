// drmaa_wait and drmaa_synchronize. A wait blocks in xrun_job_wait (which
// polls the job's machine no more often than it allows); waiting for any
// job of the session runs one poll round over all machines, then reads
// the session's jobs from the store, until one has ended. Reaping is per
// session: a job is reaped once, by drmaa_wait or a disposing
// drmaa_synchronize; it stays in xrun's store and drmaa_job_ps still sees it.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "api.h"
#include "common.h"
#include "job_facts.h"
#include "job_status.h"
#include "session.h"
#include "vectors.h"

namespace xdrmaa {

namespace {

using Clock = std::chrono::steady_clock;

// DRMAA timeouts are seconds; negative waits for ever.
int64_t timeout_ms(signed long timeout) {
  if (timeout < 0) return -1;
  if (timeout > 100L * 365 * 86400) return -1;
  return static_cast<int64_t>(timeout) * 1000;
}

int64_t remaining_ms(int64_t total_ms, Clock::time_point start) {
  if (total_ms < 0) return -1;
  int64_t spent = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  return spent >= total_ms ? 0 : total_ms - spent;
}

// Waits for one job to reach a terminal state; Failure on timeout.
void wait_terminal(xrun_job* job, const std::string& id, int64_t ms) {
  int rc = xrun_job_wait(job, ms);
  if (rc == XRUN_E_TIMEOUT) fail(DRMAA_ERRNO_EXIT_TIMEOUT, "job " + id + " has not finished within the timeout");
  if (rc == XRUN_E_STATE) fail(DRMAA_ERRNO_INVALID_JOB, "job " + id + " was never sent: " + xrun_message());
  check_xrun(rc, "waiting for the job", DRMAA_ERRNO_INVALID_ARGUMENT);
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::vector<std::string> rusage_of(const JobFacts& f) {
  std::vector<std::string> out;
  if (f.submitted_s) out.push_back("submission_time=" + number(*f.submitted_s));
  else if (f.created_s) out.push_back("submission_time=" + number(*f.created_s));
  if (f.started_s) out.push_back("start_time=" + number(*f.started_s));
  if (f.ended_s) out.push_back("end_time=" + number(*f.ended_s));
  if (f.started_s && f.ended_s) out.push_back("ru_wallclock=" + number(*f.ended_s - *f.started_s));
  if (f.exit_code) out.push_back("exit_status=" + std::to_string(*f.exit_code));
  return out;
}

struct Reaped {
  std::string id;
  JobFacts facts;
};

Reaped wait_one(Session& s, const std::string& id, int64_t ms) {
  if (s.is_reaped(id)) fail(DRMAA_ERRNO_INVALID_JOB, "job " + id + " was already reaped by drmaa_wait");
  JobHandle job(s.ctx(), id);
  wait_terminal(job.get(), id, ms);
  JobFacts facts = facts_of(job.get());
  if (!s.reap(id)) fail(DRMAA_ERRNO_INVALID_JOB, "job " + id + " was reaped by another thread");
  return {id, facts};
}

Reaped wait_any(Session& s, int64_t total_ms) {
  Clock::time_point start = Clock::now();
  for (;;) {
    std::vector<std::string> ids = s.unreaped();
    if (ids.empty()) fail(DRMAA_ERRNO_INVALID_JOB, "no job of this session is left to wait for");
    int64_t next_ms = 0;
    xrun_poll(s.ctx(), &next_ms);  // a failing machine is backed off inside; its jobs keep their states
    for (const auto& id : ids) {
      xrun_job* job = nullptr;
      if (xrun_job_open(&job, s.ctx(), id.c_str()) != XRUN_OK) continue;
      JobFacts facts = facts_of(job);
      xrun_job_free(job);
      if (facts.terminal && s.reap(id)) return {id, facts};
    }
    int64_t left = remaining_ms(total_ms, start);
    if (left == 0) fail(DRMAA_ERRNO_EXIT_TIMEOUT, "no job of this session finished within the timeout");
    int64_t nap = next_ms < 100 ? 100 : next_ms > 1000 ? 1000 : next_ms;
    if (left > 0 && left < nap) nap = left;
    std::this_thread::sleep_for(std::chrono::milliseconds(nap));
  }
}

}  // namespace

}  // namespace xdrmaa

using namespace xdrmaa;

extern "C" {

int drmaa_wait(const char* job_id, char* job_id_out, size_t job_id_out_len, int* stat, signed long timeout,
               drmaa_attr_values_t** rusage, char* error_diagnosis, size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    if (rusage) *rusage = nullptr;
    std::shared_ptr<Session> s = current_session();
    if (!job_id) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "job_id is NULL");
    if (job_id_out && job_id_out_len < 27)
      fail(DRMAA_ERRNO_INVALID_ARGUMENT, "job_id_out buffer must hold 27 bytes (an xrun id and its NUL)");
    std::string id = job_id;
    Reaped r = id == DRMAA_JOB_IDS_SESSION_ANY ? wait_any(*s, timeout_ms(timeout))
                                               : wait_one(*s, id, timeout_ms(timeout));
    put(job_id_out, job_id_out_len, r.id);
    if (stat) *stat = stat_of(r.facts);
    if (rusage) *rusage = new_vector<drmaa_attr_values_t>(rusage_of(r.facts));
  });
}

int drmaa_synchronize(const char* job_ids[], signed long timeout, int dispose, char* error_diagnosis,
                      size_t error_diag_len) {
  return guarded(error_diagnosis, error_diag_len, [&] {
    std::shared_ptr<Session> s = current_session();
    if (!job_ids) fail(DRMAA_ERRNO_INVALID_ARGUMENT, "job_ids is NULL");
    std::vector<std::string> ids;
    for (size_t i = 0; job_ids[i]; ++i) {
      std::string id = job_ids[i];
      if (id == DRMAA_JOB_IDS_SESSION_ALL) {
        for (auto& j : s->unreaped()) ids.push_back(j);
      } else {
        if (s->is_reaped(id)) fail(DRMAA_ERRNO_INVALID_JOB, "job " + id + " was already reaped by drmaa_wait");
        ids.push_back(id);
      }
    }
    // Every id is checked before anything is waited for.
    std::vector<std::unique_ptr<JobHandle>> jobs;
    for (const auto& id : ids) jobs.push_back(std::make_unique<JobHandle>(s->ctx(), id));
    int64_t total = timeout_ms(timeout);
    Clock::time_point start = Clock::now();
    for (size_t i = 0; i < jobs.size(); ++i) wait_terminal(jobs[i]->get(), ids[i], remaining_ms(total, start));
    if (dispose)
      for (const auto& id : ids) s->reap(id);
  });
}

}  // extern "C"
