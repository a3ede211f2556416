// Deferred submission beside plain submission, on the built-in `local`
// machine, each on a fresh XRUN_HOME under $TMPDIR (default /tmp):
//   bench_defer [N] [N_PLAIN]   (defaults 10000 10000)
// prints
//   1. N jobs recorded with "defer": true through ONE xrun_jobs_submit call
//   2. N jobs recorded with "defer": true through N xrun_job_submit calls
//   3. N_PLAIN xrun_job_submit calls (recorded and sent: each job runs)
//   4. the deferred jobs of (1) sent by poll rounds: rounds, wall time
// Every job runs `true`.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "xrun.h"

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

[[noreturn]] void die(const char* what) {
  fprintf(stderr, "bench_defer: %s: %s\n", what, xrun_last_error());
  exit(1);
}

xrun_ctx* fresh_ctx(const char* tag) {
  const char* tmp = getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/xrun-bench-defer-" + tag + "-XXXXXX";
  if (!mkdtemp(&dir[0])) die("mkdtemp");
  xrun_options opts = XRUN_OPTIONS_INIT;
  opts.home = dir.c_str();
  xrun_ctx* ctx = nullptr;
  if (xrun_ctx_open(&ctx, &opts) != XRUN_OK) die("xrun_ctx_open");
  return ctx;
}

int64_t count_in_state(xrun_ctx* ctx, int state) {
  char* list = nullptr;
  if (xrun_jobs_list(&list, ctx, nullptr, state, 0) != XRUN_OK) die("xrun_jobs_list");
  int64_t n = 0;
  for (const char* p = list; (p = strstr(p, "{\"id\":")) != nullptr; ++p) ++n;
  xrun_free(list);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? atol(argv[1]) : 10000;
  const long n_plain = argc > 2 ? atol(argv[2]) : 10000;
  const char* deferred_spec = "{\"command\": \"true\", \"defer\": true}";
  const char* plain_spec = "{\"command\": \"true\"}";

  // 1. One batch call.
  xrun_ctx* batch_ctx = fresh_ctx("batch");
  std::string specs = "[";
  for (long i = 0; i < n; ++i) specs += std::string(i ? "," : "") + deferred_spec;
  specs += "]";
  auto t0 = Clock::now();
  char* outcomes = nullptr;
  if (xrun_jobs_submit(&outcomes, batch_ctx, specs.c_str()) != XRUN_OK) die("xrun_jobs_submit");
  double batch_ms = ms_since(t0);
  xrun_free(outcomes);
  if (count_in_state(batch_ctx, XRUN_STATE_WAITING) != n) die("deferred jobs are not all waiting");
  printf("deferred, one xrun_jobs_submit of %ld specs: %10.1f ms  (%.1f us/job)\n", n, batch_ms, batch_ms * 1000 / n);

  // 2. One call per job.
  xrun_ctx* single_ctx = fresh_ctx("single");
  t0 = Clock::now();
  for (long i = 0; i < n; ++i) {
    xrun_job* job = nullptr;
    if (xrun_job_submit(&job, single_ctx, deferred_spec) != XRUN_OK) die("xrun_job_submit (defer)");
    xrun_job_free(job);
  }
  double single_ms = ms_since(t0);
  printf("deferred, %ld xrun_job_submit calls:        %10.1f ms  (%.1f us/job)\n", n, single_ms, single_ms * 1000 / n);
  xrun_ctx_close(single_ctx);

  // 3. The reference: plain submissions, each recorded and sent.
  xrun_ctx* plain_ctx = fresh_ctx("plain");
  t0 = Clock::now();
  for (long i = 0; i < n_plain; ++i) {
    xrun_job* job = nullptr;
    if (xrun_job_submit(&job, plain_ctx, plain_spec) != XRUN_OK) die("xrun_job_submit");
    xrun_job_free(job);
  }
  double plain_ms = ms_since(t0);
  printf("reference, %ld xrun_job_submit calls on local (sent): %10.1f ms  (%.1f us/job)\n", n_plain, plain_ms,
         n_plain ? plain_ms * 1000 / n_plain : 0.0);
  xrun_ctx_close(plain_ctx);

  // 4. The deferred batch sent by poll rounds.
  t0 = Clock::now();
  int rounds = 0;
  while (count_in_state(batch_ctx, XRUN_STATE_WAITING) > 0) {
    int64_t next = 0;
    if (xrun_poll(batch_ctx, &next) != XRUN_OK) die("xrun_poll");
    if (++rounds > 1000) die("deferred jobs still waiting after 1000 rounds");
  }
  double send_ms = ms_since(t0);
  printf("deferred jobs of (1) sent by %d poll rounds:  %10.1f ms  (%.1f us/job)\n", rounds, send_ms, send_ms * 1000 / n);
  xrun_ctx_close(batch_ctx);
  return 0;
}
