// Remote commands whatever the login shell (issue 11 #8, #12): a user whose
// login shell is tcsh runs jobs, commands with $VAR, `!` and newlines, and
// file transfers over SFTP and exec; `machines check` names the login shell
// and catches a ~/.bashrc that prints a banner, which also gets a message
// saying what to fix instead of libssh's "Invalid sftp packet size!". Both
// users are created by this test (root runs the tests), like the testbed's
// own, so that no other test's user is changed.
#include <pwd.h>

#include "tool_runner.h"
#include "transport/ssh/ssh_pool.h"
#include "util/clock.h"

using namespace tooltest;
using namespace xrun;

static Testbed tb;
static const char* kTcshUser = "xruntcsh";
static const char* kBannerUser = "xrunbanner";

// A login user with `shell`, no password, created once.
static void ensure_user(const std::string& name, const std::string& shell) {
  if (!getpwnam(name.c_str()) && sshtest::sh("useradd -m -s " + shell + " " + name + " >/dev/null 2>&1") != 0)
    sshtest::die("cannot create user " + name + " (is " + shell + " installed? scripts/install-deps.sh installs it)");
  if (sshtest::sh("usermod -s " + shell + " -p '*' " + name) != 0) sshtest::die("usermod failed");
}

static void ensure_tcsh_user() { ensure_user(kTcshUser, "/usr/bin/tcsh"); }

static void tcsh_login_shell_runs_everything(void**) {
  ensure_tcsh_user();
  sshtest::PrivateSshd sshd(tb, "tcsh", std::string("AllowUsers ") + kTcshUser + "\n");
  for (bool sftp : {true, false}) {
    Machine m = sshd.machine();
    m.username = kTcshUser;
    m.use_sftp = sftp;
    SshPool pool(SshCallbacks{});
    auto t = pool.transport_for(m);
    // What tcsh alone refuses: $VAR forms it lacks, `!`, newlines, quotes.
    CommandResult r = t->run("x=it\\'s; echo \"${x}!\" \"$((1+2))\"\necho line2; echo \"$SHELL\"");
    fprintf(stderr, "tcsh (sftp %d): exit %d out \"%s\" err \"%s\"\n", sftp, r.exit_status, r.out.c_str(),
            r.err.c_str());
    assert_int_equal(r.exit_status, 0);
    assert_string_equal(r.out.c_str(), "it's! 3\nline2\n/usr/bin/tcsh\n");
    assert_string_equal(t->run("cat", "stdin arrives\n").out.c_str(), "stdin arrives\n");
    t->write_file("~/tcsh probe!.txt", "content\n", 0644);
    assert_string_equal(t->read_file("~/tcsh probe!.txt", 0).c_str(), "content\n");
    t->remove("~/tcsh probe!.txt", false);
    auto steps = t->check();
    bool shell_ok = false;
    for (const auto& s : steps)
      if (s.step == "shell") shell_ok = s.ok && s.detail.find("login shell /usr/bin/tcsh") != std::string::npos;
    assert_true(shell_ok);
  }
  // A whole job through the direct scheduler, in a fresh xrun process.
  std::string home = make_home(tb, sshd.port, sshd.known_hosts, 10, "", "direct", kTcshUser);
  ToolRun sub = run_tool(home, "run -q -- sh -c 'echo \"$HOME\" done!'");
  fprintf(stderr, "xrun run as a tcsh user: rc %d: %s", sub.rc, sub.out.c_str());
  assert_int_equal(sub.rc, 0);
  assert_true(sub.out.find(std::string("/home/") + kTcshUser + " done!") != std::string::npos);
}

// A ~/.bashrc that prints for every login, without the usual "interactive
// only" guard: bash run by sshd reads it for commands and for the sftp
// subsystem alike (OpenSSH's own sftp says "Received message too long").
static void banner_is_named_not_invalid_packet(void**) {
  ensure_user(kBannerUser, "/bin/bash");
  const std::string rc = std::string(getpwnam(kBannerUser)->pw_dir) + "/.bashrc";
  sshtest::spit(rc, "echo 'Welcome to the cluster! Quota: 10 GB'\n", 0644);
  if (sshtest::sh(std::string("chown ") + kBannerUser + ": " + rc) != 0) sshtest::die("chown failed");
  sshtest::PrivateSshd sshd(tb, "banner", std::string("AllowUsers ") + kBannerUser + "\n");
  Machine m = sshd.machine();
  m.username = kBannerUser;
  SshPool pool(SshCallbacks{});
  auto t = pool.transport_for(m);
  try {
    t->read_file("/etc/hostname", 0);
    fail_msg("SFTP worked behind a banner");
  } catch (const Error& e) {
    fprintf(stderr, "banner: %s\n", e.what());
    assert_int_equal(e.status(), XRUN_E_TRANSPORT);
    assert_non_null(strstr(e.what(), "Welcome to the cluster"));
    assert_non_null(strstr(e.what(), "interactive"));
  }
  SshPool pool2(SshCallbacks{});
  auto steps = pool2.transport_for(m)->check();
  bool shell_failed = false;
  for (const auto& s : steps)
    if (s.step == "shell") {
      fprintf(stderr, "check shell step: ok %d: %s\n", s.ok, s.detail.c_str());
      shell_failed = !s.ok && s.detail.find("startup files") != std::string::npos &&
                     s.detail.find("Welcome to the cluster") != std::string::npos;
    }
  assert_true(shell_failed);
}

// Issue 11 #12: a workdir the user cannot write was reported as "no such
// file" (the SFTP stat after the failed mkdir replaced its error).
static void unwritable_workdir_says_permission_denied(void**) {
  for (bool sftp : {true, false}) {
    Machine m = sshtest::testbed_machine(tb);
    m.use_sftp = sftp;
    SshPool pool(SshCallbacks{});
    auto t = pool.transport_for(m);
    const std::string ro = "/tmp/xrun-ro-workdir-" + std::to_string(getpid());
    assert_int_equal(t->run("rm -rf " + ro + " && mkdir -p " + ro + " && chmod 555 " + ro).exit_status, 0);
    try {
      t->make_dirs(ro + "/JOBID", 0755);
      fail_msg("made a directory in a read-only workdir");
    } catch (const Error& e) {
      fprintf(stderr, "unwritable workdir (sftp %d): %s\n", sftp, e.what());
      assert_non_null(strcasestr(e.what(), "permission denied"));
      assert_null(strcasestr(e.what(), "no such file"));
    }
    t->run("chmod 755 " + ro + " && rm -rf " + ro);
  }
}

// Issue 11 #12: a broken proxy_jump failed after 61 s with "Connection
// reset by peer". Now within the connect timeout, naming the jump host and
// what its ssh said.
static void broken_proxy_jump_names_the_jump_host(void**) {
  Machine m = sshtest::testbed_machine(tb);
  m.proxy_jump = "nobody@127.0.0.1:" + std::to_string(sshtest::free_port());  // nothing listens there
  m.connect_timeout_s = 5;
  SshPool pool(SshCallbacks{});
  auto t = pool.transport_for(m);
  int64_t t0 = monotonic_ms();
  try {
    t->run("true");
    fail_msg("connected through a dead jump host");
  } catch (const Error& e) {
    int64_t took = monotonic_ms() - t0;
    fprintf(stderr, "broken proxy_jump after %lld ms: %s\n", static_cast<long long>(took), e.what());
    assert_int_equal(e.status(), XRUN_E_TRANSPORT);
    assert_non_null(strstr(e.what(), "jump host"));
    assert_non_null(strstr(e.what(), m.proxy_jump->c_str()));
    assert_true(took < 5000 + 1000);
  }
}

int main() {
  tb = sshtest::load_testbed();
  const struct CMUnitTest tests[] = {
      SSH_TEST(tcsh_login_shell_runs_everything),
      SSH_TEST(banner_is_named_not_invalid_packet),
      SSH_TEST(unwritable_workdir_says_permission_denied),
      SSH_TEST(broken_proxy_jump_names_the_jump_host),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
