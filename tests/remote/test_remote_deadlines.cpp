// Every blocking call of the xrun tool against a remote machine stays within
// the deadlines include/xrun.h states, when the host is down (a stopped
// sshd: connection refused), silent (accepts TCP, never speaks), or its
// scheduler hangs; and its memory and store stay bounded when a scheduler
// command prints without end. Each call runs in a FRESH process (the xrun tool), as a
// user would run it, and is timed from the outside.
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "tool_runner.h"

using sshtest::Testbed;

using namespace tooltest;

// Issue 10 #2: with the sshd stopped, submit took 61 s (refused connects
// counted as handshakes, the cleanup reconnected). Now each submit, in a
// fresh process, returns within connect_timeout + 2 s, says which job it
// recorded, and that job is in the store, waiting for the connection.
static void submit_to_a_stopped_sshd_is_bounded(void**) {
  Testbed tb = sshtest::load_testbed();
  sshtest::PrivateSshd sshd(tb, "deadlines-down", "");
  const int connect_timeout_s = 5;
  std::string home = make_home(tb, sshd.port, sshd.known_hosts, connect_timeout_s);
  ToolRun ok = run_tool(home, "submit -q -- true");
  assert_int_equal(ok.rc, 0);  // the machine works while its sshd is up
  sshd.stop();
  for (int i = 0; i < 3; ++i) {
    ToolRun r = run_tool(home, "submit -- echo hi");
    fprintf(stderr, "submit %d to a stopped sshd: rc %d after %lld ms: %s", i + 1, r.rc,
            static_cast<long long>(r.ms), r.out.c_str());
    assert_int_not_equal(r.rc, 0);
    assert_true(r.ms < connect_timeout_s * 1000 + 2000);
    assert_non_null(strstr(r.out.c_str(), "XRUN_E_TRANSPORT"));
    std::string id = named_job_id(r.out);
    assert_int_equal(id.size(), 26);
    ToolRun st = run_tool(home, "status --json " + id);
    assert_int_equal(st.rc, 0);
    // It waits for the connection: a later poll round sends it (issue 12).
    assert_true(st.out.find("\"waiting\"") != std::string::npos);
  }
}

// A host that accepts the TCP connection and never speaks: one connect
// timeout in all, not one per retry.
static void submit_to_a_silent_host_is_bounded(void**) {
  Testbed tb = sshtest::load_testbed();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  assert_int_equal(listen(fd, 64), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int connect_timeout_s = 3;
  std::string home = make_home(tb, ntohs(a.sin_port), tb.known_hosts, connect_timeout_s);
  ToolRun r = run_tool(home, "submit -- echo hi");
  fprintf(stderr, "submit to a silent host: rc %d after %lld ms: %s", r.rc, static_cast<long long>(r.ms),
          r.out.c_str());
  close(fd);
  assert_int_not_equal(r.rc, 0);
  assert_true(r.ms >= connect_timeout_s * 1000 - 200);
  assert_true(r.ms < connect_timeout_s * 1000 + 2000);
  assert_int_equal(named_job_id(r.out).size(), 26);
}


// A directory of fake scheduler commands for a private sshd's PATH.
std::string fake_bin(const std::string& squeue_body, const std::string& sbatch_body = "echo 4242") {
  char tmpl[] = "/tmp/xrun-fakebin-XXXXXX";
  if (!mkdtemp(tmpl)) sshtest::die("mkdtemp failed");
  std::string bin = tmpl;
  sshtest::private_dirs().push_back(bin);
  chmod(bin.c_str(), 0755);
  sshtest::spit(bin + "/sbatch", "#!/bin/sh\n" + sbatch_body + "\n", 0755);
  sshtest::spit(bin + "/squeue", "#!/bin/sh\n" + squeue_body + "\n", 0755);
  sshtest::spit(bin + "/sacct", "#!/bin/sh\nexit 0\n", 0755);
  mkdir((bin + "/pids").c_str(), 0777);
  chmod((bin + "/pids").c_str(), 0777);
  return bin;
}

// Ends the fake commands that recorded their pids (a killed channel may
// leave them behind), by pid.
void kill_recorded(const std::string& bin) {
  std::istringstream pids(sshtest::slurp(bin + "/pids/squeue"));
  for (int pid; pids >> pid;)
    if (pid > 1) kill(pid, SIGKILL);
}

// Issue 11 #3/#7: `xrun wait --timeout 5` took 120 s with a hung squeue
// (the poll ran to the command timeout) and 61 s with sshd down. The poll
// inside a wait now ends by the wait's own deadline: within 5 s + 2 s.
static void wait_with_a_hung_squeue_is_bounded(void**) {
  Testbed tb = sshtest::load_testbed();
  std::string bin = fake_bin("echo $$ >> \"$(dirname \"$0\")/pids/squeue\"; exec sleep 60");
  sshtest::PrivateSshd sshd(tb, "deadlines-hung-squeue", "SetEnv PATH=" + bin + ":/usr/bin:/bin\n");
  std::string home = make_home(tb, sshd.port, sshd.known_hosts, 5, ", \"command_timeout\": 120", "slurm");
  ToolRun sub = run_tool(home, "submit -q -- true");
  assert_int_equal(sub.rc, 0);
  std::string id = last_id(sub.out);
  for (int i = 0; i < 2; ++i) {
    ToolRun w = run_tool(home, "wait --timeout 5 " + id);
    fprintf(stderr, "wait --timeout 5 with a hung squeue: rc %d after %lld ms: %s", w.rc,
            static_cast<long long>(w.ms), w.out.c_str());
    assert_int_not_equal(w.rc, 0);
    assert_true(w.ms >= 4800);
    assert_true(w.ms < 5000 + 2000);
    ToolRun st = run_tool(home, "list --json");  // reads the store: the job is untouched
    assert_int_equal(st.rc, 0);
    assert_true(st.out.find("\"submitted\"") != std::string::npos);
  }
  kill_recorded(bin);
}

static void wait_with_sshd_down_is_bounded(void**) {
  Testbed tb = sshtest::load_testbed();
  std::string bin = fake_bin("exit 0");
  sshtest::PrivateSshd sshd(tb, "deadlines-wait-down", "SetEnv PATH=" + bin + ":/usr/bin:/bin\n");
  std::string home = make_home(tb, sshd.port, sshd.known_hosts, 5, "", "slurm");
  ToolRun sub = run_tool(home, "submit -q -- true");
  assert_int_equal(sub.rc, 0);
  std::string id = last_id(sub.out);
  sshd.stop();
  for (int i = 0; i < 3; ++i) {
    ToolRun w = run_tool(home, "wait --timeout 5 " + id);
    fprintf(stderr, "wait --timeout 5 with sshd down: rc %d after %lld ms: %s", w.rc, static_cast<long long>(w.ms),
            w.out.c_str());
    assert_int_not_equal(w.rc, 0);
    assert_true(w.ms < 5000 + 2000);
  }
}

// The RSS an xrun process may reach here. Without the cap the 100 MB
// message alone took it past 300 MB. ASan keeps up to 256 MB of freed
// memory in quarantine (and shadow memory besides): a 16 MiB output copied
// a few times stays resident there.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kMaxRssKb = 600 * 1024;
#else
constexpr long kMaxRssKb = 200 * 1024;
#endif

int64_t store_bytes(const std::string& home) {
  int64_t total = 0;
  for (const char* f : {"/xrun.db", "/xrun.db-wal", "/xrun.db-shm"}) {
    struct stat st;
    if (stat((home + f).c_str(), &st) == 0) total += st.st_size;
  }
  return total;
}

// Issue 11 #6: an endless squeue grew xrun to 2 GB in 3.9 s; a 100 MB sbatch
// message became a reason and an event (+200 MB of store). Commands are now
// killed past 16 MiB of output (1 MiB of stderr), reasons and events kept
// to 4 KiB (tests/store: test_reasons_and_messages_are_capped).
static void endless_outputs_stay_bounded(void**) {
  Testbed tb = sshtest::load_testbed();
  std::string bin = fake_bin("echo $$ >> \"$(dirname \"$0\")/pids/squeue\"; exec yes 'endless squeue line'",
                             "head -c 100000000 /dev/zero | tr '\\0' x; echo; echo 4242");
  sshtest::PrivateSshd sshd(tb, "bounded-output", "SetEnv PATH=" + bin + ":/usr/bin:/bin\n");
  std::string home = make_home(tb, sshd.port, sshd.known_hosts, 5, "", "slurm");
  ToolRun sub = run_tool(home, "submit -q -- true");
  fprintf(stderr, "submit with a 100 MB sbatch message: rc %d after %lld ms, max RSS %ld KB, store %lld bytes\n",
          sub.rc, static_cast<long long>(sub.ms), sub.max_rss_kb, static_cast<long long>(store_bytes(home)));
  assert_int_not_equal(sub.rc, 0);  // killed past the cap: refused, not hung, not 100 MB in memory
  assert_true(sub.max_rss_kb < kMaxRssKb);
  assert_true(store_bytes(home) < 4 * 1024 * 1024);
  // sbatch ran: whether it queued the job is unknown (recover settles it by
  // the job's name), and the reason says the command was cut off.
  ToolRun list = run_tool(home, "list --json");
  assert_true(list.out.size() < 64 * 1024);
  assert_true(list.out.find("\"submitting\"") != std::string::npos);
  assert_true(list.out.find("its output passed 16777216 bytes") != std::string::npos);

  // A job to poll, then a squeue that never stops printing.
  sshtest::spit(bin + "/sbatch", "#!/bin/sh\necho 4243\n", 0755);
  ToolRun ok = run_tool(home, "submit -q -- true");
  assert_int_equal(ok.rc, 0);
  std::string id = last_id(ok.out);
  ToolRun w = run_tool(home, "wait --timeout 6 " + id);
  fprintf(stderr, "wait with an endless squeue: rc %d after %lld ms, max RSS %ld KB, store %lld bytes\n", w.rc,
          static_cast<long long>(w.ms), w.max_rss_kb, static_cast<long long>(store_bytes(home)));
  assert_int_not_equal(w.rc, 0);
  assert_true(w.ms < 6000 + 2000);
  assert_true(w.max_rss_kb < kMaxRssKb);
  assert_true(store_bytes(home) < 4 * 1024 * 1024);
  kill_recorded(bin);
}

// The cap is on what one command prints, not on a job's output: `xrun run`
// over SSH still streams all of a 20,000,015-byte stdout (read in ranges
// that each fit under the cap; issue 11 #11 on a remote machine).
static void run_streams_past_the_cap_over_ssh(void**) {
  Testbed tb = sshtest::load_testbed();
  sshtest::PrivateSshd sshd(tb, "stream-past-cap", "");
  std::string home = make_home(tb, sshd.port, sshd.known_hosts, 5);
  ToolRun r = run_tool(home, "run -q -- sh -c 'head -c 20000015 /dev/zero | tr \"\\0\" x'");
  size_t xs = static_cast<size_t>(std::count(r.out.begin(), r.out.end(), 'x'));
  fprintf(stderr, "xrun run over SSH: rc %d, %zu bytes of x, %zu bytes in all, %lld ms\n", r.rc, xs, r.out.size(),
          static_cast<long long>(r.ms));
  assert_int_equal(r.rc, 0);
  assert_int_equal(xs, 20000015);
  assert_int_equal(r.out.size(), 20000015);
}

int main() {
  const struct CMUnitTest tests[] = {
      SSH_TEST(submit_to_a_stopped_sshd_is_bounded),
      SSH_TEST(submit_to_a_silent_host_is_bounded),
      SSH_TEST(wait_with_a_hung_squeue_is_bounded),
      SSH_TEST(wait_with_sshd_down_is_bounded),
      SSH_TEST(endless_outputs_stay_bounded),
      SSH_TEST(run_streams_past_the_cap_over_ssh),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
