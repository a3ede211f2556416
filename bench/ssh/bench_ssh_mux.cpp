// Many concurrent commands over SSH on loopback, printed side by side in
// one run (`true` everywhere, THREADS x PER_THREAD commands):
//   xrun, THREADS threads sharing one SshPool transport (default machine
//     settings): wall time, commands/s, xrun's counters, and the logins the
//     testbed sshd logged ("Accepted publickey for <user>") during the run
//   xrun, the same commands from 1 thread (the speed-up of the threads)
//   raw libssh: one session, THREADS channels (at most 32) in flight in one
//     non-blocking loop (open, exec, read to EOF, exit status, close,
//     reopen): the floor
//   xrun sequential pooled run("true") latency (median, p99), beside the
//     raw client's mean with one channel at a time
// Wall times start cold: they include connecting and authenticating (the
// raw client's connect + auth is also printed on its own).
// Usage: bench_ssh_mux [threads=8] [per_thread=200] [n_sequential=300]
// Needs the testbed sshd (scripts/testbed-sshd.sh up); run via run.sh.
#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "raw_libssh_mux.h"
#include "util/shell_quote.h"
#include "ssh_testbed.h"
#include "transport/ssh/ssh_pool.h"

using namespace xrun;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Successful logins of `user` in the sshd log so far: the server's own word
// on how many sessions authenticated, whatever the client counts.
int server_logins(const sshtest::Testbed& tb) {
  return sshtest::count_in_file(tb.sshd_log, "Accepted publickey for " + tb.user + " ");
}

struct ParallelRun {
  int threads = 0, commands = 0;
  double wall_ms = 0;
  TransportStats stats;
  int server_logins = 0;
  double per_s() const { return wall_ms > 0 ? commands * 1000.0 / wall_ms : 0; }
};

// `threads` threads, released together, each running `per_thread` `true`
// through one transport of a fresh pool. Exits the bench on any failure.
ParallelRun run_parallel(const sshtest::Testbed& tb, const Machine& m, int threads, int per_thread) {
  const int logins_before = server_logins(tb);
  ParallelRun r;
  r.threads = threads;
  r.commands = threads * per_thread;
  {
    SshPool pool(SshCallbacks{});
    auto t = pool.transport_for(m);
    std::promise<void> go;
    std::shared_future<void> started = go.get_future().share();
    std::mutex mu;
    std::string first_failure;
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i) {
      workers.emplace_back([&] {
        started.wait();
        try {
          for (int j = 0; j < per_thread; ++j) {
            CommandResult res = t->run("true");
            if (res.exit_status != 0)
              throw std::runtime_error("true exited " + std::to_string(res.exit_status) + ": " + res.err);
          }
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> lock(mu);
          if (first_failure.empty()) first_failure = e.what();
        }
      });
    }
    const double t0 = now_ms();
    go.set_value();
    for (auto& w : workers) w.join();
    r.wall_ms = now_ms() - t0;
    if (!first_failure.empty()) sshtest::die("xrun run(\"true\") failed: " + first_failure);
    r.stats = t->stats();
  }
  r.server_logins = server_logins(tb) - logins_before;
  return r;
}

struct Latency {
  double median = 0, p99 = 0;
};

Latency sequential_latency(const Machine& m, int n) {
  SshPool pool(SshCallbacks{});
  auto t = pool.transport_for(m);
  for (int i = 0; i < 10; ++i) t->run("true");  // connect, warm up
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const double t0 = now_ms();
    if (t->run("true").exit_status != 0) sshtest::die("xrun run(\"true\") failed");
    ms.push_back(now_ms() - t0);
  }
  std::sort(ms.begin(), ms.end());
  Latency l;
  if (ms.empty()) return l;
  l.median = ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
  l.p99 = ms[std::min(ms.size() - 1, static_cast<size_t>(0.99 * static_cast<double>(ms.size())))];
  return l;
}

const char* verdict(bool met) { return met ? "met" : "NOT met"; }

void xrun_row(const std::string& what, const ParallelRun& r, const char* target) {
  printf("%-44s %7d %8.2f %9.0f %8lld %6lld %8lld %6d%s%s\n", what.c_str(), r.commands, r.wall_ms / 1000,
         r.per_s(), static_cast<long long>(r.stats.sessions_opened), static_cast<long long>(r.stats.auths),
         static_cast<long long>(r.stats.channels_peak), r.server_logins, *target ? "  " : "", target);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 8;
  const int per_thread = argc > 2 ? atoi(argv[2]) : 200;
  const int n_sequential = argc > 3 ? atoi(argv[3]) : 300;
  if (threads < 1 || per_thread < 1 || n_sequential < 1)
    sshtest::die("usage: bench_ssh_mux [threads>=1] [per_thread>=1] [n_sequential>=1]");
  const int total = threads * per_thread;
  sshtest::Testbed tb = sshtest::load_testbed();
  const Machine m = sshtest::testbed_machine(tb);  // default max_sessions, budget, timeouts

  ParallelRun many = run_parallel(tb, m, threads, per_thread);
  ParallelRun one = run_parallel(tb, m, 1, total);

  // The testbed sshd allows 64 channels per session (MaxSessions 64), and
  // counts a closed one until it has reaped it, which may be after our next
  // open: each slot may hold two for a moment.
  const int in_flight = std::min(threads, 32);
  // The floor runs the very line xrun sends for `true` (under /bin/sh
  // whatever the login shell: one more exec on the server than a bare
  // `true`), so that the two differ only by the transport; a bare `true`
  // beside it for the server's share.
  const std::string xrun_line = for_any_login_shell("true");
  const int raw_logins_before = server_logins(tb);
  RawMuxResult raw = raw_libssh_mux(tb, in_flight, total, xrun_line);
  const int raw_logins = server_logins(tb) - raw_logins_before;
  RawMuxResult raw_bare = raw_libssh_mux(tb, in_flight, total, "true");

  Latency seq = sequential_latency(m, n_sequential);
  // The same floor one command at a time: what the sequential target is up against.
  RawMuxResult raw_seq = raw_libssh_mux(tb, 1, n_sequential, xrun_line);
  RawMuxResult raw_seq_bare = raw_libssh_mux(tb, 1, n_sequential, "true");

  const std::string many_label =
      "xrun " + std::to_string(threads) + " threads x " + std::to_string(per_thread);
  const std::string one_label = "xrun 1 thread x " + std::to_string(total);
  printf("SSH commands in parallel on 127.0.0.1:%d, `true` each (wall times include connect + auth)\n", tb.port);
  printf("%-44s %7s %8s %9s %8s %6s %8s %6s\n", "", "cmds", "wall s", "cmds/s", "sessions", "auths",
         "ch.peak", "sshd");
  printf("%-44s %7s %8s %9s %8s %6s %8s %6s\n", "", "", "", "", "opened", "", "", "logins");
  xrun_row(many_label, many, "target: >= 800 commands/s, 1 authentication");
  xrun_row(one_label, one, "");
  const std::string raw_label = "raw libssh, 1 session, " + std::to_string(in_flight) + " channels in flight";
  printf("%-44s %7d %8.2f %9.0f %8d %6d %8d %6d\n", raw_label.c_str(), raw.commands, raw.wall_ms / 1000,
         raw.per_s(), 1, 1, in_flight, raw_logins);
  printf("%-44s %7d %8.2f %9.0f\n", "  the same, a bare `true` (one exec less)", raw_bare.commands,
         raw_bare.wall_ms / 1000, raw_bare.per_s());
  if (many.stats.channels_peak == 0) printf("(ch.peak 0: this xrun does not count channels per session)\n");
  printf("\n");
  printf("target (%s): >= 800 commands/s, 1 authentication: %.0f/s (%s), %lld xrun auths / %d sshd logins (%s)\n",
         many_label.c_str(), many.per_s(), verdict(many.per_s() >= 800),
         static_cast<long long>(many.stats.auths), many.server_logins,
         verdict(many.stats.auths == 1 && many.server_logins == 1));
  printf("xrun vs raw libssh floor: %.0f%% of its commands/s\n",
         raw.per_s() > 0 ? 100.0 * many.per_s() / raw.per_s() : 0.0);
  printf("speed-up of %d threads over 1 thread: x%.2f\n", threads,
         one.per_s() > 0 ? many.per_s() / one.per_s() : 0.0);
  printf("raw libssh connect + host key + auth: %.1f ms of its wall time\n", raw.connect_ms);
  printf("xrun sequential pooled run(\"true\"), N=%d: median %.2f ms, p99 %.2f ms; target <= 1.5 ms "
         "(median %s, p99 %s)\n",
         n_sequential, seq.median, seq.p99, verdict(seq.median <= 1.5), verdict(seq.p99 <= 1.5));
  printf("raw libssh, 1 channel at a time, N=%d: mean %.2f ms per command (after connect + auth); a bare "
         "`true`: %.2f ms\n",
         n_sequential, (raw_seq.wall_ms - raw_seq.connect_ms) / raw_seq.commands,
         (raw_seq_bare.wall_ms - raw_seq_bare.connect_ms) / raw_seq_bare.commands);
  return 0;
}
