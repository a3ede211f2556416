// A poll round over two machines, one of them unreachable, beside the same
// round with the healthy machine alone:
//   bench_poll_machines [ROUNDS] [CONNECT_TIMEOUT_S]   (defaults 10 2)
// "healthy" is a local machine (direct scheduler) with 4 running jobs;
// "dead" is an SSH machine whose port accepts connections and never
// answers (a listener in this program: the worst kind of dead cluster,
// which costs a whole connect timeout), with a job waiting to be sent
// (resent every round: XRUN_RESEND_BACKOFF_MS=1). Each machine's own round
// time comes from the library's debug log ("machine M: round in N ms").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "xrun.h"

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

[[noreturn]] void die(const char* what) {
  fprintf(stderr, "bench_poll_machines: %s: %s\n", what, xrun_last_error());
  exit(1);
}

std::mutex g_mutex;
std::map<std::string, std::vector<double>> g_round_ms;  // machine -> its rounds

void on_log(int, const char* message, void*) {
  const char* at = strstr(message, ": round in ");
  if (strncmp(message, "machine ", 8) != 0 || !at) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  g_round_ms[std::string(message + 8, at)].push_back(atof(at + 11));
}

// A TCP port on 127.0.0.1 that accepts and never says a word.
int silent_listener(std::vector<int>* held) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 16) != 0) {
    perror("listener");
    exit(1);
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread([fd, held] {
    for (;;) {
      int c = accept(fd, nullptr, nullptr);
      if (c < 0) return;
      held->push_back(c);
    }
  }).detach();
  return ntohs(addr.sin_port);
}

double median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

xrun_ctx* open_ctx(const std::string& home) {
  xrun_options opts = XRUN_OPTIONS_INIT;
  opts.home = home.c_str();
  opts.log = on_log;
  opts.log_level = XRUN_LOG_DEBUG;
  xrun_ctx* ctx = nullptr;
  if (xrun_ctx_open(&ctx, &opts) != XRUN_OK) die("xrun_ctx_open");
  return ctx;
}

// ROUNDS rounds; returns the median wall time of xrun_poll.
double rounds(xrun_ctx* ctx, int n) {
  std::vector<double> wall;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    int64_t next = 0;
    if (xrun_poll(ctx, &next) != XRUN_OK) die("xrun_poll");
    wall.push_back(ms_since(t0));
  }
  return median(wall);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 10;
  const int timeout_s = argc > 2 ? atoi(argv[2]) : 2;
  setenv("XRUN_RESEND_BACKOFF_MS", "1", 1);
  std::vector<int> held;
  const int port = silent_listener(&held);
  char dir[] = "/tmp/xrun-bench-poll-XXXXXX";
  if (!mkdtemp(dir)) die("mkdtemp");
  const std::string home = dir;
  std::string machines = "{\"default\": \"healthy\", \"machines\": {"
                         "\"healthy\": {\"execution\": \"local\", \"scheduler\": \"direct\", \"workdir\": \"" +
                         home + "/jobs\", \"min_poll_interval\": 0},"
                         "\"dead\": {\"execution\": \"remote\", \"scheduler\": \"slurm\", \"host\": \"127.0.0.1\","
                         " \"port\": " + std::to_string(port) + ", \"username\": \"nobody\", \"ssh_config\": \"none\","
                         " \"known_hosts\": \"" + home + "/known_hosts\", \"connect_timeout\": " +
                         std::to_string(timeout_s) + ", \"command_timeout\": " + std::to_string(timeout_s) +
                         ", \"min_poll_interval\": 0, \"max_handshakes_per_minute\": 100000}}}";
  FILE* f = fopen((home + "/machines.json").c_str(), "w");
  fputs(machines.c_str(), f);
  fclose(f);
  xrun_ctx* ctx = open_ctx(home);
  std::vector<xrun_job*> jobs;
  for (int i = 0; i < 4; ++i) {
    xrun_job* job = nullptr;
    if (xrun_job_submit(&job, ctx, "{\"command\": \"sleep 600\"}") != XRUN_OK) die("submit to healthy");
    jobs.push_back(job);
  }
  rounds(ctx, 2);  // warm
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_round_ms.clear();
  }
  double alone_wall = rounds(ctx, n);
  double alone_own;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    alone_own = median(g_round_ms["healthy"]);
    g_round_ms.clear();
  }
  // The dead machine gets work: a job waiting to be sent.
  xrun_job* stuck = nullptr;
  xrun_job_submit_v2(&stuck, ctx, "{\"machine\": \"dead\", \"command\": \"true\", \"defer\": true}");
  if (!stuck) die("deferred submit to dead");
  double both_wall = rounds(ctx, n);
  double both_own, dead_own;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    both_own = median(g_round_ms["healthy"]);
    dead_own = median(g_round_ms["dead"]);
  }
  printf("poll rounds (median of %d), healthy = local machine with 4 running jobs,\n"
         "dead = SSH port that never answers (connect timeout %d s):\n", n, timeout_s);
  printf("  healthy alone:            its round %8.1f ms, xrun_poll %8.1f ms\n", alone_own, alone_wall);
  printf("  healthy beside dead:      its round %8.1f ms, xrun_poll %8.1f ms\n", both_own, both_wall);
  printf("  dead machine's own round:           %8.1f ms\n", dead_own);
  xrun_job_cancel(stuck);
  xrun_job_free(stuck);
  for (auto* job : jobs) {
    xrun_job_cancel(job);
    xrun_job_free(job);
  }
  xrun_ctx_close(ctx);
  for (int c : held) close(c);
  return 0;
}
