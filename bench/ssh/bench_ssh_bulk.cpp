// Retrieval of 2 files from each of N finished jobs' directories (default
// 1,000) over the testbed sshd, side by side in one run:
//   one bulk stream (Transport::fetch_files, what a poll round does)
//   2N sequential SFTP downloads (Transport::retrieve, one per file)
//   the same bulk stream on "transport": "openssh"
// Usage: bench_ssh_bulk [N=1000]. Needs the testbed sshd; run via run.sh.
#include <chrono>

#include "ssh_testbed.h"
#include "transport/ssh/openssh_transport.h"
#include "transport/ssh/ssh_pool.h"

using namespace xrun;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<FileFetch> items_for(const std::string& root, int n, const std::string& local) {
  std::vector<FileFetch> items;
  for (int j = 0; j < n; ++j)
    for (const char* name : {"stdout", "result.json"})
      items.push_back({root + "/job" + std::to_string(j), name, local + "/job" + std::to_string(j)});
  return items;
}

size_t count(const std::vector<bool>& v) {
  size_t n = 0;
  for (bool b : v) n += b ? 1 : 0;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 1000;
  sshtest::Testbed tb = sshtest::load_testbed();
  Machine m = sshtest::testbed_machine(tb);
  m.command_timeout_s = 600;
  SshPool pool(SshCallbacks{});
  auto t = pool.transport_for(m);
  const std::string root = t->resolve_path("~/xrun-bench-bulk");
  // N job directories with a 2 kB stdout and a 300-byte result each, made by one command.
  CommandResult made = t->run("rm -rf '" + root + "' && mkdir -p '" + root + "' && cd '" + root +
                              "' && i=0; while [ $i -lt " + std::to_string(n) +
                              " ]; do mkdir job$i; head -c 2000 /dev/urandom | base64 > job$i/stdout; "
                              "head -c 220 /dev/urandom | base64 > job$i/result.json; i=$((i+1)); done");
  if (made.exit_status != 0) sshtest::die("cannot make the job directories: " + made.err);
  char tmpl[] = "/tmp/xrun-bench-bulk-XXXXXX";
  if (!mkdtemp(tmpl)) sshtest::die("mkdtemp");
  const std::string local = tmpl;

  double t0 = now_ms();
  auto fetched = t->fetch_files(items_for(root, n, local + "/bulk"));
  const double bulk_ms = now_ms() - t0;

  t0 = now_ms();
  for (const auto& item : items_for(root, n, local + "/sftp")) t->retrieve(item.remote_dir, item.name, item.local_dir);
  const double sftp_ms = now_ms() - t0;

  char cm[] = "/tmp/xrun-bench-bcm-XXXXXX";
  if (!mkdtemp(cm)) sshtest::die("mkdtemp");
  setenv("XRUN_SSH_CONTROL_DIR", cm, 1);
  Machine om = m;
  om.transport = "openssh";
  ssh::OpenSshTransport openssh(om, Logger());
  openssh.run("true");
  t0 = now_ms();
  auto fetched_openssh = openssh.fetch_files(items_for(root, n, local + "/openssh"));
  const double openssh_ms = now_ms() - t0;
  openssh.stop_master();

  const bool same = sshtest::sh("diff -r '" + local + "/bulk' '" + local + "/sftp' >/dev/null && diff -r '" + local +
                                "/bulk' '" + local + "/openssh' >/dev/null") == 0;
  printf("Retrieving 2 files of each of %d finished jobs from 127.0.0.1:%d\n", n, tb.port);
  printf("%-52s %10s %8s\n", "", "wall ms", "files");
  printf("%-52s %10.1f %8zu\n", "xrun bulk stream (one exec channel, SHA-256 each)", bulk_ms, count(fetched));
  printf("%-52s %10.1f %8d\n", "sequential SFTP downloads (retrieve, one per file)", sftp_ms, 2 * n);
  printf("%-52s %10.1f %8zu\n", "xrun bulk stream over openssh (ControlMaster)", openssh_ms, count(fetched_openssh));
  printf("speed-up of the bulk stream: %.1fx; all copies identical: %s\n", sftp_ms / bulk_ms, same ? "yes" : "NO");
  t->run("rm -rf '" + root + "'");
  sshtest::sh("rm -rf '" + local + "' '" + cm + "'");
  return same && count(fetched) == static_cast<size_t>(2 * n) ? 0 : 1;
}
