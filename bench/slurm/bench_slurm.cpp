// xrun's Slurm figures on the testbeds (scripts/testbed-slurm.sh and
// scripts/testbed-sshd.sh), run by bench/slurm/bench-slurm.sh beside the
// raw sbatch loops:
//   bench_slurm submit MACHINE N THREADS  N held jobs through xrun_job_submit
//   bench_slurm batch MACHINE N           N held jobs through xrun_jobs_submit:
//                                         recorded, then ONE remote command
//   bench_slurm poll MACHINE N            N held jobs, then poll rounds:
//                                         scheduler calls, wall ms, own ms
// MACHINE is "ssh" (remote slurm machine through the libssh pool) or
// "local" (LocalTransport). Each run uses a fresh XRUN_HOME and store.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "machine/machine.h"
#include "scheduler/scheduler.h"
#include "scheduler/submit_batch.h"
#include "transport/local.h"
#include "transport/ssh/ssh_pool.h"
#include "util/json.h"
#include "xrun.h"

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::string env_or(const char* name, const char* fallback) {
  const char* v = getenv(name);
  return v && *v ? v : fallback;
}

[[noreturn]] void die(const std::string& what) {
  fprintf(stderr, "bench_slurm: %s: %s\n", what.c_str(), xrun_last_error());
  exit(1);
}

xrun_ctx* open_ctx(const std::string& tag) {
  std::string d = env_or("TESTBED_DIR", "/tmp/xrun-testbed");
  char tmpl[] = "/tmp/xrun-bench-XXXXXX";
  std::string home = mkdtemp(tmpl);
  std::string jobs = "xrun-bench/" + tag + "-" + std::to_string(getpid()) + "-" + home.substr(home.rfind('-') + 1);
  std::ofstream(home + "/machines.json")
      << "{\"default\": \"local\", \"machines\": {"
      << "\"local\": {\"execution\": \"local\", \"scheduler\": \"slurm\", \"workdir\": \"" << home
      << "/jobs\", \"min_poll_interval\": 0},"
      << "\"ssh\": {\"execution\": \"remote\", \"scheduler\": \"slurm\", \"host\": \"127.0.0.1\", \"port\": "
      << env_or("TESTBED_SSH_PORT", "2222") << ", \"username\": \"xruntest\", \"auth\": {\"method\": \"key\", "
      << "\"key_file\": \"" << d << "/ssh/client_ed25519\"}, \"known_hosts\": \"" << d
      << "/ssh/known_hosts\", \"ssh_config\": \"none\", \"workdir\": \"~/" << jobs
      << "\", \"min_poll_interval\": 0, \"max_sessions\": 8, \"max_handshakes_per_minute\": 60}}}";
  xrun_options opts = XRUN_OPTIONS_INIT;
  opts.home = home.c_str();
  xrun_ctx* ctx = nullptr;
  if (xrun_ctx_open(&ctx, &opts) != XRUN_OK) die("xrun_ctx_open");
  return ctx;
}

std::vector<std::string> submit_held(xrun_ctx* ctx, const std::string& machine, int n, int threads, double* seconds) {
  std::vector<std::string> ids(n);
  std::atomic<int> next{0};
  std::string spec = "{\"machine\": \"" + machine + "\", \"name\": \"bench\", \"command\": \"true\", \"hold\": true}";
  auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        xrun_job* job = nullptr;
        if (xrun_job_submit(&job, ctx, spec.c_str()) != XRUN_OK) die("xrun_job_submit");
        ids[i] = xrun_job_scheduler_id(job);
        xrun_job_free(job);
      }
    });
  for (auto& th : pool) th.join();
  *seconds = ms_since(t0) / 1000;
  return ids;
}

int64_t commands(xrun_ctx* ctx, const char* machine) {
  xrun_machine* m = nullptr;
  if (xrun_machine_open(&m, ctx, machine) != XRUN_OK) die("xrun_machine_open");
  char* json_text = nullptr;
  if (xrun_machine_stats(&json_text, m) != XRUN_OK) die("xrun_machine_stats");
  const char* p = strstr(json_text, "\"commands\":");
  int64_t n = p ? strtoll(p + 11, nullptr, 10) : -1;
  xrun_free(json_text);
  xrun_machine_free(m);
  return n;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Counts the scheduler commands a round runs, through wrappers on PATH
// (the local transport has no command counter).
std::string wrap_commands() {
  char tmpl[] = "/tmp/xrun-bench-bin-XXXXXX";
  std::string bin = mkdtemp(tmpl);
  for (const char* name : {"squeue", "sacct", "sbatch", "scancel", "scontrol"}) {
    std::string path = bin + "/" + name;
    std::ofstream(path) << "#!/bin/sh\necho " << name << " >> '" << bin << "/calls'\nexec /usr/bin/" << name
                        << " \"$@\"\n";
    chmod(path.c_str(), 0755);
  }
  setenv("PATH", (bin + ":" + env_or("PATH", "/usr/bin:/bin")).c_str(), 1);
  return bin;
}

int count_lines(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) ++n;
  return n;
}

int cmd_submit(const std::string& machine, int n, int threads) {
  xrun_ctx* ctx = open_ctx("submit");
  double seconds = 0;
  submit_held(ctx, machine, 1, 1, &seconds);  // connect / warm up outside the timing
  submit_held(ctx, machine, n, threads, &seconds);
  printf("xrun submit  machine=%-5s jobs=%d threads=%d  %.2f s  %.1f jobs/s  (%.2f ms/job)\n", machine.c_str(), n,
         threads, seconds, n / seconds, seconds * 1000 / n);
  xrun_ctx_close(ctx);
  return 0;
}

int cmd_poll(const std::string& machine, int n) {
  std::string bin = machine == "local" ? wrap_commands() : "";
  xrun_ctx* ctx = open_ctx("poll");
  double seconds = 0;
  std::vector<std::string> ids = submit_held(ctx, machine, n, machine == "local" ? 2 : 8, &seconds);
  // Rounds: every one asks about all n held jobs; none leaves the queue.
  std::vector<double> walls;
  int64_t calls_before = machine == "ssh" ? commands(ctx, "ssh") : 0;
  if (!bin.empty()) remove((bin + "/calls").c_str());
  const int rounds = 5;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    if (xrun_poll(ctx, nullptr) != XRUN_OK) die("xrun_poll");
    walls.push_back(ms_since(t0));
  }
  double calls = machine == "ssh" ? double(commands(ctx, "ssh") - calls_before) / rounds
                                  : double(count_lines(bin + "/calls")) / rounds;
  // The same squeue alone, and our parse of its output alone.
  auto sched = xrun::make_scheduler("slurm");
  std::vector<xrun::TrackedJob> tracked;
  for (size_t i = 0; i < ids.size(); ++i) tracked.push_back({"job" + std::to_string(i), ids[i], ""});
  std::string status = sched->status_command(tracked);
  // Run here as root, the query must name the user the ssh machine submits as.
  if (machine == "ssh")
    for (size_t at = status.find("\"$(id -un)\""); at != std::string::npos; at = status.find("\"$(id -un)\""))
      status.replace(at, 11, "xruntest");
  xrun::LocalTransport local;
  std::vector<double> squeue_ms, parse_ms;
  xrun::CommandResult out;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    out = local.run(status);
    squeue_ms.push_back(ms_since(t0));
    t0 = Clock::now();
    auto map = sched->parse_status_output(tracked, out);
    parse_ms.push_back(ms_since(t0));
    if (map.size() != ids.size()) {
      fprintf(stderr, "bench_slurm: squeue knew %zu of %zu jobs\n", map.size(), ids.size());
      return 1;
    }
  }
  double own = median(walls) - median(squeue_ms);
  printf("xrun poll    machine=%-5s held=%-5d calls/round=%.1f  round wall %.1f ms (median of %d)  "
         "squeue alone %.1f ms  parse %.2f ms  own (wall - squeue) %.1f ms = %.2f ms per 1000 jobs  "
         "[submitted in %.1f s]\n",
         machine.c_str(), n, calls, median(walls), rounds, median(squeue_ms), median(parse_ms), own,
         own * 1000 / n, seconds);
  printf("             status command (%zu bytes): %.120s...\n", status.size(), status.c_str());
  xrun_ctx_close(ctx);
  return 0;
}

int cmd_batch(const std::string& machine, int n) {
  // The product path: xrun_jobs_submit records all N jobs in the store,
  // then sends them in ONE command over the pool (or locally).
  xrun_ctx* ctx = open_ctx("batch");
  xrun_job* warm = nullptr;  // connect outside the timing
  std::string warm_spec = "{\"machine\": \"" + machine + "\", \"command\": \"true\", \"hold\": true}";
  if (xrun_job_submit(&warm, ctx, warm_spec.c_str()) != XRUN_OK) die("xrun_job_submit (warm-up)");
  xrun_job_cancel(warm);
  xrun_job_free(warm);
  std::string specs = "[";
  for (int i = 0; i < n; ++i)
    specs += std::string(i ? "," : "") + "{\"machine\": \"" + machine +
             "\", \"name\": \"bench\", \"command\": \"true\", \"hold\": true}";
  specs += "]";
  int64_t before = machine == "ssh" ? commands(ctx, "ssh") : 0;
  auto t0 = Clock::now();
  char* out = nullptr;
  if (xrun_jobs_submit(&out, ctx, specs.c_str()) != XRUN_OK) die("xrun_jobs_submit");
  double seconds = ms_since(t0) / 1000;
  int64_t used = machine == "ssh" ? commands(ctx, "ssh") - before : -1;
  int ok = 0;
  for (const char* p = out; (p = strstr(p, "\"state\":\"submitted\"")) != nullptr; ++p) ++ok;
  bool errors = strstr(out, "\"error\"") != nullptr;
  xrun_free(out);
  xrun_ctx_close(ctx);
  printf("xrun batch   machine=%-5s jobs=%d submitted=%d through xrun_jobs_submit (store included), "
         "remote commands %lld  %.2f s  %.1f jobs/s\n",
         machine.c_str(), n, ok, static_cast<long long>(used), seconds, n / seconds);
  return ok == n && !errors ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "submit") return cmd_submit(argv[2], atoi(argv[3]), atoi(argv[4]));
  if (argc == 4 && std::string(argv[1]) == "poll") return cmd_poll(argv[2], atoi(argv[3]));
  if (argc == 4 && std::string(argv[1]) == "batch") return cmd_batch(argv[2], atoi(argv[3]));
  fprintf(stderr, "usage: bench_slurm submit ssh|local N THREADS | batch ssh|local N | poll ssh|local N\n");
  return 2;
}
