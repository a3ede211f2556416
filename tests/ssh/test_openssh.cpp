// "transport": "openssh" against the real testbed sshd with the real ssh
// client: commands (quoting, stdin, exit codes, timeouts, output caps),
// ONE authentication on the server for several processes sharing the
// ControlMaster, strict host keys, a master killed mid-command, a missing
// ssh binary, and `check`. File operations run in test_ssh_files.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "ssh_testbed.h"
#include "test_common.h"
#include "transport/ssh/openssh_transport.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/shell_quote.h"

using namespace xrun;

static sshtest::Testbed tb;
static std::string control_dir;

static Machine openssh_machine() {
  Machine m = sshtest::testbed_machine(tb);
  m.transport = "openssh";
  return m;
}

static int accepted_logins() { return sshtest::count_in_file(tb.sshd_log, "Accepted publickey for " + tb.user); }

static void commands_arrive_unchanged(void**) {
  ssh::OpenSshTransport t(openssh_machine(), Logger());
  const std::vector<std::string> args = {"plain", "with space", "it's", "\"dq\"", "$(echo no)", "`echo no`",
                                         "line1\nline2", "*", "a;b|c&d", "$HOME", "", "back\\slash", "!x"};
  std::string cmd = "printf '%s\\0'";
  for (const auto& a : args) cmd += " " + quote_for_shell(a);
  CommandResult r = t.run(cmd);
  assert_int_equal(r.exit_status, 0);
  std::string expect;
  for (const auto& a : args) expect += a + std::string(1, '\0');
  assert_int_equal(r.out.size(), expect.size());
  assert_memory_equal(r.out.data(), expect.data(), expect.size());
  // stdin in, stdout and stderr apart, the exit status (255 included: the
  // master is alive, so it is the command's own).
  std::string big(300 * 1024, 'x');
  r = t.run("wc -c; echo err >&2; exit 7", big);
  assert_int_equal(r.exit_status, 7);
  assert_string_equal(r.out.c_str(), "307200\n");
  assert_string_equal(r.err.c_str(), "err\n");
  assert_int_equal(t.run("exit 255").exit_status, 255);
  t.stop_master();
}

static void timeout_and_output_cap(void**) {
  ssh::OpenSshTransport t(openssh_machine(), Logger());
  assert_int_equal(t.run("true").exit_status, 0);
  int64_t t0 = monotonic_ms();
  try {
    t.run("sleep 20", "", 500);
    fail_msg("no timeout");
  } catch (const Error& e) {
    assert_int_equal(e.status(), XRUN_E_TIMEOUT);
  }
  int64_t took = monotonic_ms() - t0;
  assert_true(took >= 500 && took < 3000);
  CommandResult out = t.run("yes endless", "", 30000);
  assert_true(out.output_capped);
  assert_int_equal(out.exit_status, 137);
  assert_int_equal(out.out.size(), kMaxCommandStdout);
  // Still one master: no new authentication for any of this.
  assert_int_equal(t.stats().auths, 1);
  assert_string_equal(t.run("echo ok").out.c_str(), "ok\n");
  t.stop_master();
}

// Four processes of the same user, 100 commands each, started together:
// the server sees ONE authentication.
static void four_processes_authenticate_once(void**) {
  const int before = accepted_logins();
  const int64_t t0 = monotonic_ms();
  std::vector<pid_t> kids;
  for (int p = 0; p < 4; ++p) {
    pid_t pid = fork();
    if (pid == 0) {
      int bad = 0;
      try {
        ssh::OpenSshTransport t(openssh_machine(), Logger());
        for (int i = 0; i < 100; ++i) {
          CommandResult r = t.run("echo " + std::to_string(p * 1000 + i));
          if (r.exit_status != 0 || r.out != std::to_string(p * 1000 + i) + "\n") ++bad;
        }
      } catch (const std::exception& e) {
        fprintf(stderr, "process %d: %s\n", p, e.what());
        bad = 100;
      }
      _exit(bad == 0 ? 0 : 1);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const int64_t took = monotonic_ms() - t0;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int logins = accepted_logins() - before;
  fprintf(stderr, "4 processes x 100 commands over one ControlMaster: %lld ms (%.2f ms per command), %d login(s)\n",
          static_cast<long long>(took), took / 400.0, logins);
  assert_int_equal(logins, 1);
  ssh::OpenSshTransport(openssh_machine(), Logger()).stop_master();
}

static void unknown_host_key_is_refused(void**) {
  Machine m = openssh_machine();
  std::string empty = control_dir + "/empty_known_hosts";
  sshtest::spit(empty, "");
  m.known_hosts = empty;
  ssh::OpenSshTransport t(m, Logger());
  try {
    t.run("true");
    fail_msg("an unknown host key was accepted");
  } catch (const Error& e) {
    assert_int_equal(e.status(), XRUN_E_HOSTKEY);
    assert_non_null(strstr(e.what(), "ssh to "));
    assert_non_null(strstr(e.what(), empty.c_str()));  // where ssh looked
    assert_non_null(strstr(e.what(), "SHA256:"));      // what the server offers
  }
  struct stat st;
  assert_int_not_equal(::stat(t.control_path().c_str(), &st), 0);  // no master was left
}

// The master killed while a command runs: that command fails naming the
// host; the next one starts a new master by itself.
static void killed_master_fails_in_flight_then_reconnects(void**) {
  ssh::OpenSshTransport t(openssh_machine(), Logger());
  assert_int_equal(t.run("true").exit_status, 0);
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    // The master only: its arguments say ControlMaster=yes (a command's say auto).
    sshtest::sh("pkill -KILL -f -- " + quote_for_shell("ControlPath=" + t.control_path() + " .*ControlMaster=yes") +
                " >/dev/null 2>&1");
  });
  int64_t t0 = monotonic_ms();
  try {
    CommandResult r = t.run("sleep 10; echo late", "", 20000);
    killer.join();
    fail_msg("the command survived its master (exit %d, out %s)", r.exit_status, r.out.c_str());
  } catch (const Error& e) {
    killer.join();
    assert_int_equal(e.status(), XRUN_E_TRANSPORT);
    assert_non_null(strstr(e.what(), tb.host.c_str()));
  }
  assert_true(monotonic_ms() - t0 < 8000);
  CommandResult again = t.run("echo back");
  assert_string_equal(again.out.c_str(), "back\n");
  assert_int_equal(t.stats().auths, 2);
  t.stop_master();
}

static void missing_ssh_binary_is_named(void**) {
  std::string path = getenv("PATH") ? getenv("PATH") : "";
  setenv("PATH", "/nonexistent", 1);
  ssh::OpenSshTransport t(openssh_machine(), Logger());
  try {
    t.run("true");
    setenv("PATH", path.c_str(), 1);
    fail_msg("ran without ssh");
  } catch (const Error& e) {
    setenv("PATH", path.c_str(), 1);
    assert_int_equal(e.status(), XRUN_E_TRANSPORT);
    assert_non_null(strstr(e.what(), "ssh"));
    fprintf(stderr, "without ssh: %s\n", e.what());
  }
}

static void check_names_the_transport(void**) {
  ssh::OpenSshTransport t(openssh_machine(), Logger());
  auto steps = t.check();
  std::vector<std::string> names;
  for (const auto& s : steps) {
    names.push_back(s.step);
    if (!s.ok) fail_msg("step %s failed: %s", s.step.c_str(), s.detail.c_str());
  }
  assert_int_equal(steps.size(), 5);
  assert_string_equal(names[0].c_str(), "transport");
  assert_non_null(strstr(steps[0].detail.c_str(), "ControlMaster"));
  assert_string_equal(names[2].c_str(), "authenticate");
  assert_non_null(strstr(steps[2].detail.c_str(), "ControlMaster"));
  assert_non_null(strstr(steps[4].detail.c_str(), "commands under /bin/sh"));
  t.stop_master();
}

int main(void) {
  tb = sshtest::load_testbed();
  char tmpl[] = "/tmp/xcm-XXXXXX";
  if (!mkdtemp(tmpl)) sshtest::die("mkdtemp failed");
  control_dir = tmpl;
  sshtest::private_dirs().push_back(control_dir);
  setenv("XRUN_SSH_CONTROL_DIR", control_dir.c_str(), 1);
  const struct CMUnitTest tests[] = {
      SSH_TEST(commands_arrive_unchanged),
      SSH_TEST(timeout_and_output_cap),
      SSH_TEST(four_processes_authenticate_once),
      SSH_TEST(unknown_host_key_is_refused),
      SSH_TEST(killed_master_fails_in_flight_then_reconnects),
      SSH_TEST(missing_ssh_binary_is_named),
      SSH_TEST(check_names_the_transport),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
