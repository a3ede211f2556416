// A DAG beside independent jobs, on the built-in `local` machine, each on a
// fresh XRUN_HOME under $TMPDIR (default /tmp):
//   bench_dag [N]   (default 3000, a multiple of 3)
// prints, side by side:
//   1. N independent jobs: ONE xrun_jobs_submit, then poll rounds until all ended
//   2. N/3 chains of three (relax -> scf -> bands by "@name"): the same
// with the per-job cost of each and the poll rounds each needed. Every job
// runs `true`; the chains' children are held by xrun (the direct scheduler
// has no dependencies) and sent by the rounds after their parents ended.
//   3. N jobs retried once by their policy ("on": ["failed"]): each fails
//      its first attempt and completes its second, in its own directory
// with the commands each run's poll rounds sent to the machine (a poll
// round's status query, the sends of the jobs it found ready).
//   4. the bookkeeping alone: a poll round while N jobs are held for one
// running parent, beside a round with the parent alone, and the cancel of
// that parent, which cancels the N held jobs in one settling.
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
  fprintf(stderr, "bench_dag: %s: %s\n", what, xrun_last_error());
  exit(1);
}

xrun_ctx* fresh_ctx(const char* tag) {
  const char* tmp = getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/xrun-bench-dag-" + tag + "-XXXXXX";
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

struct Run {
  double submit_ms = 0, drive_ms = 0;
  int rounds = 0;
  int64_t completed = 0;
  int64_t commands = 0;  // sent to the machine while the rounds drove the jobs
};

// The local machine's command counter (xrun_machine_stats).
int64_t commands_sent(xrun_ctx* ctx) {
  xrun_machine* m = nullptr;
  if (xrun_machine_open(&m, ctx, "local") != XRUN_OK) die("xrun_machine_open");
  char* json = nullptr;
  if (xrun_machine_stats(&json, m) != XRUN_OK) die("xrun_machine_stats");
  const char* p = strstr(json, "\"commands\":");
  int64_t n = p ? atoll(p + strlen("\"commands\":")) : 0;
  xrun_free(json);
  xrun_machine_free(m);
  return n;
}

Run run(const char* tag, const std::string& specs, long n) {
  xrun_ctx* ctx = fresh_ctx(tag);
  Run r;
  auto t0 = Clock::now();
  char* outcomes = nullptr;
  if (xrun_jobs_submit(&outcomes, ctx, specs.c_str()) != XRUN_OK) die("xrun_jobs_submit");
  r.submit_ms = ms_since(t0);
  xrun_free(outcomes);
  const int64_t commands_before = commands_sent(ctx);
  t0 = Clock::now();
  while ((r.completed = count_in_state(ctx, XRUN_STATE_COMPLETED)) < n) {
    int64_t next = 0;
    if (xrun_poll(ctx, &next) != XRUN_OK) die("xrun_poll");
    ++r.rounds;
    if (ms_since(t0) > 900000) die("jobs still not completed after 15 minutes");
    usleep(20 * 1000);
  }
  r.drive_ms = ms_since(t0);
  r.commands = commands_sent(ctx) - commands_before;
  xrun_ctx_close(ctx);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 3000;
  n -= n % 3;
  if (n <= 0) die("N must be at least 3");
  std::string plain = "[", dag = "[";
  for (long i = 0; i < n; ++i) plain += std::string(i ? "," : "") + "{\"command\": \"true\"}";
  plain += "]";
  for (long c = 0; c < n / 3; ++c) {
    std::string k = std::to_string(c);
    dag += std::string(c ? "," : "") + "{\"name\": \"relax-" + k + "\", \"command\": \"true\"}," +
           "{\"name\": \"scf-" + k + "\", \"command\": \"true\", \"depends_on\": [\"@relax-" + k + "\"]}," +
           "{\"name\": \"bands-" + k + "\", \"command\": \"true\", \"depends_on\": [{\"job\": \"@scf-" + k +
           "\", \"type\": \"afterok\"}]}";
  }
  dag += "]";
  std::string retried = "[";
  for (long i = 0; i < n; ++i)
    retried += std::string(i ? "," : "") +
               "{\"command\": \"[ -e tried ] || { touch tried; exit 1; }\","
               " \"retry\": {\"on\": [\"failed\"], \"max_attempts\": 2}}";
  retried += "]";
  Run a = run("plain", plain, n);
  Run b = run("dag", dag, n);
  Run c = run("retry", retried, n);
  printf("%-36s %14s %14s %12s %8s %14s\n", "", "submit (us/job)", "drive (us/job)", "total (ms)", "rounds",
         "commands/round");
  auto row = [&](const std::string& what, const Run& r) {
    printf("%-36s %14.1f %14.1f %12.1f %8d %14.2f\n", what.c_str(), r.submit_ms * 1000 / n, r.drive_ms * 1000 / n,
           r.submit_ms + r.drive_ms, r.rounds, r.rounds ? static_cast<double>(r.commands) / r.rounds : 0.0);
  };
  row("independent jobs (" + std::to_string(n) + ")", a);
  row("chains of three (" + std::to_string(n / 3) + ")", b);
  row("retried once (" + std::to_string(n) + ", 2 runs each)", c);
  printf("total per job: independent %.1f us, chains %.1f us, retried once %.1f us (starting the jobs' processes\n"
         "dominates all three; the chains' jobs are sent by the rounds after their parents ended, a retried job's\n"
         "second attempt by the round after its first ended)\n",
         (a.submit_ms + a.drive_ms) * 1000 / n, (b.submit_ms + b.drive_ms) * 1000 / n,
         (c.submit_ms + c.drive_ms) * 1000 / n);

  // 4. A round's cost per held job, and the cancel that ends them all.
  auto round_ms = [](xrun_ctx* ctx) {
    const int k = 5;
    auto t0 = Clock::now();
    for (int i = 0; i < k; ++i)
      if (xrun_poll(ctx, nullptr) != XRUN_OK) die("xrun_poll");
    return ms_since(t0) / k;
  };
  xrun_ctx* alone = fresh_ctx("alone");
  xrun_job* lone = nullptr;
  if (xrun_job_submit(&lone, alone, "{\"command\": \"sleep 120\"}") != XRUN_OK) die("xrun_job_submit");
  double alone_ms = round_ms(alone);
  xrun_job_cancel(lone);
  xrun_job_free(lone);
  xrun_ctx_close(alone);

  xrun_ctx* held = fresh_ctx("held");
  xrun_job* parent = nullptr;
  if (xrun_job_submit(&parent, held, "{\"command\": \"sleep 120\"}") != XRUN_OK) die("xrun_job_submit");
  std::string children = "[";
  for (long i = 0; i < n; ++i)
    children += std::string(i ? "," : "") + "{\"command\": \"true\", \"depends_on\": [\"" + xrun_job_id(parent) + "\"]}";
  children += "]";
  char* outcomes = nullptr;
  if (xrun_jobs_submit(&outcomes, held, children.c_str()) != XRUN_OK) die("xrun_jobs_submit (held)");
  xrun_free(outcomes);
  double held_ms = round_ms(held);
  auto t0 = Clock::now();
  if (xrun_job_cancel(parent) != XRUN_OK) die("xrun_job_cancel");
  double cancel_ms = ms_since(t0);
  if (count_in_state(held, XRUN_STATE_CANCELLED) != n + 1) die("the held jobs were not all cancelled");
  xrun_job_free(parent);
  xrun_ctx_close(held);
  printf("poll round, 1 running job:                    %10.2f ms\n", alone_ms);
  printf("poll round, 1 running job + %ld held on it: %10.2f ms  (%.2f us per held job per round)\n", n, held_ms,
         (held_ms - alone_ms) * 1000 / n);
  printf("cancel of the parent, its %ld held jobs cancelled with it: %10.1f ms  (%.1f us/job)\n", n, cancel_ms,
         cancel_ms * 1000 / n);
  return 0;
}
