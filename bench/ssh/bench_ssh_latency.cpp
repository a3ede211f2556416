// Per-command latency on loopback, printed side by side in one run:
//   xrun pooled `true` | OpenSSH fresh connection | OpenSSH ControlMaster |
//   local fork/exec of `true`, plus xrun's connect+auth once.
// Usage: bench_ssh_latency [N_pooled=300] [N_fresh=50] [N_cm=200]
// Needs the testbed sshd (scripts/testbed-sshd.sh up); run via run.sh.
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <functional>

#include "ssh_testbed.h"
#include "transport/ssh/openssh_transport.h"
#include "transport/ssh/ssh_pool.h"

extern char** environ;
using namespace xrun;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Summary {
  size_t n = 0;
  double median = 0, p99 = 0, min = 0, max = 0;
};

Summary summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  s.p99 = v[std::min(v.size() - 1, static_cast<size_t>(0.99 * static_cast<double>(v.size())))];
  s.min = v.front();
  s.max = v.back();
  return s;
}

std::vector<double> time_n(int n, const std::function<void()>& fn) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    double t0 = now_ms();
    fn();
    out.push_back(now_ms() - t0);
  }
  return out;
}

// fork/exec + wait, output to /dev/null; exits the bench on failure.
void spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid;
  if (posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ) != 0) sshtest::die("spawn " + argv[0]);
  posix_spawn_file_actions_destroy(&fa);
  int st;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) sshtest::die("failed: " + argv[0] + " " + argv.back());
}

void row(const char* what, const Summary& s) {
  printf("%-44s %5zu %9.2f %9.2f %9.2f %9.2f\n", what, s.n, s.median, s.p99, s.min, s.max);
}

}  // namespace

int main(int argc, char** argv) {
  int n_pooled = argc > 1 ? atoi(argv[1]) : 300;
  int n_fresh = argc > 2 ? atoi(argv[2]) : 50;
  int n_cm = argc > 3 ? atoi(argv[3]) : 200;
  sshtest::Testbed tb = sshtest::load_testbed();
  Machine m = sshtest::testbed_machine(tb);
  m.max_handshakes_per_minute = 1000;  // the connect+auth rows open many

  // xrun: connect + host key + auth, a fresh pool each time.
  std::vector<double> connect;
  for (int i = 0; i < 21; ++i) {
    SshPool pool(SshCallbacks{});
    auto t = pool.transport_for(m);
    auto steps = t->check();  // resolve, connect, host_key, authenticate, then commands and SFTP
    double before_commands = 0;   // the steps up to and including authenticate
    bool authenticated = false;
    for (const auto& step : steps) {
      if (!step.ok) sshtest::die("xrun check failed at " + step.step + ": " + step.detail);
      if (!authenticated) before_commands += static_cast<double>(step.ms);
      if (step.step == "authenticate") authenticated = true;
    }
    if (!authenticated) sshtest::die("xrun check has no authenticate step");
    if (i > 0) connect.push_back(before_commands);  // first one warms caches
  }

  // xrun pooled.
  SshPool pool(SshCallbacks{});
  auto t = pool.transport_for(m);
  for (int i = 0; i < 10; ++i) t->run("true");
  auto pooled = time_n(n_pooled, [&] {
    if (t->run("true").exit_status != 0) sshtest::die("xrun run true failed");
  });
  TransportStats st = t->stats();

  // OpenSSH, a new connection per command.
  const std::vector<std::string> ssh = {"ssh", "-F", tb.ssh_config, "xrun-testbed", "true"};
  spawn(ssh);
  auto fresh = time_n(n_fresh, [&] { spawn(ssh); });

  // OpenSSH through a ControlMaster.
  char cpdir[] = "/tmp/xrun-bench-cm-XXXXXX";
  if (!mkdtemp(cpdir)) sshtest::die("mkdtemp");
  const std::string cp = std::string("ControlPath=") + cpdir + "/%C";
  std::vector<std::string> cm = {"ssh", "-F", tb.ssh_config, "-o", "ControlMaster=auto", "-o", cp,
                                 "-o", "ControlPersist=300", "xrun-testbed"};
  auto master = cm;
  master.insert(master.begin() + 1, "-fN");
  double m0 = now_ms();
  spawn(master);
  double master_ms = now_ms() - m0;
  auto cm_true = cm;
  cm_true.push_back("true");
  for (int i = 0; i < 5; ++i) spawn(cm_true);
  auto muxed = time_n(n_cm, [&] { spawn(cm_true); });
  auto stop = cm;
  stop.insert(stop.begin() + 1, {"-O", "exit"});
  spawn(stop);
  // The master removes its socket as it exits, a moment after -O exit.
  for (int i = 0; i < 50 && rmdir(cpdir) != 0; ++i) usleep(20000);
  if (access(cpdir, F_OK) == 0) sshtest::sh(std::string("rm -rf '") + cpdir + "'");

  // xrun's "transport": "openssh": the same ControlMaster, driven by xrun.
  char xcm[] = "/tmp/xrun-bench-xcm-XXXXXX";
  if (!mkdtemp(xcm)) sshtest::die("mkdtemp");
  setenv("XRUN_SSH_CONTROL_DIR", xcm, 1);
  Machine om = m;
  om.transport = "openssh";
  ssh::OpenSshTransport openssh(om, Logger());
  for (int i = 0; i < 5; ++i) openssh.run("true");
  auto via_openssh = time_n(n_cm, [&] {
    if (openssh.run("true").exit_status != 0) sshtest::die("xrun openssh run true failed");
  });
  TransportStats ost = openssh.stats();
  openssh.stop_master();
  for (int i = 0; i < 50 && access((openssh.control_path()).c_str(), F_OK) == 0; ++i) usleep(20000);
  sshtest::sh(std::string("rm -rf '") + xcm + "'");

  auto local = time_n(1000, [&] { spawn({"/bin/true"}); });

  printf("SSH per-command latency on 127.0.0.1:%d (ms)\n", tb.port);
  printf("%-44s %5s %9s %9s %9s %9s\n", "", "N", "median", "p99", "min", "max");
  row("xrun pooled: run(\"true\")", summarize(pooled));
  row("OpenSSH ControlMaster: ssh host true", summarize(muxed));
  row("xrun \"transport\": \"openssh\": run(\"true\")", summarize(via_openssh));
  row("OpenSSH fresh connection: ssh host true", summarize(fresh));
  row("local fork/exec /bin/true", summarize(local));
  row("xrun connect+host key+auth (fresh session)", summarize(connect));
  printf("%-44s %5d %9.2f\n", "OpenSSH ControlMaster start (ssh -fN)", 1, master_ms);
  printf("xrun pooled counters: sessions_opened=%lld handshakes=%lld auths=%lld commands=%lld\n",
         static_cast<long long>(st.sessions_opened), static_cast<long long>(st.handshakes),
         static_cast<long long>(st.auths), static_cast<long long>(st.commands));
  printf("xrun openssh counters: masters started (authentications)=%lld commands=%lld\n",
         static_cast<long long>(ost.auths), static_cast<long long>(ost.commands));
  return 0;
}
