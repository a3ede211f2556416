// File operations over the SSH transport, in three ways: SFTP; exec
// streaming chosen by the machine (use_sftp false); and an sshd with its
// sftp subsystem removed, where the transport falls back by itself.
#include <sys/stat.h>

#include <memory>
#include <random>

#include "ssh_testbed.h"
#include "test_common.h"
#include "transport/ssh/openssh_transport.h"
#include "transport/ssh/ssh_pool.h"
#include "util/error.h"

using namespace xrun;

static sshtest::Testbed tb;
static std::unique_ptr<sshtest::PrivateSshd> no_sftp_sshd;

struct Mode {
  const char* name;
  std::unique_ptr<SshPool> pool;
  std::shared_ptr<Transport> t;
  std::string remote_root;  // under the test user's home
  std::string local_root;
};

static std::string log_text;
static void capture_log(int, const char* message, void*) { log_text += std::string(message) + "\n"; }

static Mode* mode_of(void** state) { return static_cast<Mode*>(*state); }

static int setup_mode(void** state, const char* name) {
  auto* m = new Mode;
  m->name = name;
  SshCallbacks cb;
  cb.logger = Logger(capture_log, XRUN_LOG_DEBUG, nullptr);
  log_text.clear();
  m->pool = std::make_unique<SshPool>(cb);
  Machine mc;
  if (std::string(name) == "no-sftp-server") {
    mc = no_sftp_sshd->machine();
  } else if (std::string(name) == "openssh") {
    // The user's ssh over a ControlMaster: files stream over exec.
    mc = sshtest::testbed_machine(tb);
    mc.transport = "openssh";
  } else {
    mc = sshtest::testbed_machine(tb);
    mc.use_sftp = std::string(name) == "sftp";
  }
  if (mc.transport == "openssh")
    m->t = std::make_shared<ssh::OpenSshTransport>(mc, cb.logger);
  else
    m->t = m->pool->transport_for(mc);
  m->remote_root = std::string("~/xrun-files-test-") + name;
  m->t->remove(m->remote_root, true);
  m->t->make_dirs(m->remote_root + "/sub dir", 0755);
  m->local_root = xrun_test_tempdir(name);
  *state = m;
  return 0;
}
static int guarded_setup(void** s, const char* name) {
  try {
    return setup_mode(s, name);
  } catch (const std::exception& e) {
    fprintf(stderr, "setup (%s) failed: %s\n", name, e.what());
    return -1;
  }
}
static int setup_sftp(void** s) { return guarded_setup(s, "sftp"); }
static int setup_exec(void** s) { return guarded_setup(s, "exec"); }
static int setup_fallback(void** s) { return guarded_setup(s, "no-sftp-server"); }
static int setup_openssh(void** s) { return guarded_setup(s, "openssh"); }
static int teardown(void** state) {
  Mode* m = mode_of(state);
  m->t->remove(m->remote_root, true);
  if (auto* openssh = dynamic_cast<ssh::OpenSshTransport*>(m->t.get())) openssh->stop_master();
  sshtest::sh("rm -rf '" + m->local_root + "'");
  delete m;
  return 0;
}

static std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

static void write_read_binary_and_names(void** state) {
  Mode* m = mode_of(state);
  const std::string data = random_bytes(100 * 1024, 1) + std::string("\0\n\r\xff", 4);
  const std::vector<std::string> names = {"plain.bin", "with space.bin", "it's \"quoted\".bin", "$(no).bin",
                                          "sub dir/nested.bin"};
  for (const auto& n : names) {
    std::string p = m->remote_root + "/" + n;
    m->t->write_file(p, data, 0640);
    std::string back = m->t->read_file(p, 0);
    assert_int_equal(back.size(), data.size());
    assert_true(back == data);
    FileInfo info = m->t->stat(p);
    assert_true(info.exists);
    assert_false(info.is_dir);
    assert_int_equal(info.size, data.size());
    assert_int_equal(info.mode, 0640);
  }
  // The remote shell sees the same bytes under the same names.
  CommandResult r = m->t->run("cd " + std::string("\"$HOME\"/") + "'xrun-files-test-" + m->name +
                              "' && sha256sum 'it'\\''s \"quoted\".bin' | cut -c1-64 && ls -A | wc -l");
  assert_int_equal(r.exit_status, 0);
  assert_string_equal(r.out.substr(65).c_str(), "5\n");  // 4 files + "sub dir"
  // max_bytes cuts the read.
  assert_int_equal(m->t->read_file(m->remote_root + "/plain.bin", 1000).size(), 1000);
  // Overwrite is atomic and leaves no temporary behind.
  m->t->write_file(m->remote_root + "/plain.bin", "short", 0600);
  assert_string_equal(m->t->read_file(m->remote_root + "/plain.bin", 0).c_str(), "short");
  auto listing = m->t->list_dir(m->remote_root);
  assert_int_equal(listing.size(), 5);
  for (const auto& n : listing) assert_null(strstr(n.c_str(), "xrun-tmp"));
}

static void large_file_round_trip(void** state) {
  Mode* m = mode_of(state);
  const std::string data = random_bytes(8 * 1024 * 1024 + 123, 2);
  std::string local = m->local_root + "/big in.dat";
  sshtest::spit(local, data, 0751);
  m->t->upload(local, m->remote_root + "/new parent/big.dat");  // parent created
  FileInfo info = m->t->stat(m->remote_root + "/new parent/big.dat");
  assert_int_equal(info.size, data.size());
  assert_int_equal(info.mode, 0751);
  std::string back = m->local_root + "/big back.dat";
  m->t->download(m->remote_root + "/new parent/big.dat", back);
  assert_true(sshtest::slurp(back) == data);
  struct stat st;
  assert_int_equal(::stat(back.c_str(), &st), 0);
  assert_int_equal(st.st_mode & 07777, 0751);
}

static void directories_both_ways(void** state) {
  Mode* m = mode_of(state);
  std::string src = m->local_root + "/tree";
  sshtest::sh("mkdir -p '" + src + "/a b/c' '" + src + "/empty' && printf one > '" + src +
              "/1.txt' && printf two > '" + src + "/a b/2 it'\\''s.txt' && printf 3 > '" + src +
              "/a b/c/3' && chmod 700 '" + src + "/a b/c/3'");
  m->t->upload(src, m->remote_root + "/tree");
  auto top = m->t->list_dir(m->remote_root + "/tree");
  assert_int_equal(top.size(), 3);
  assert_string_equal(top[0].c_str(), "1.txt");
  assert_string_equal(top[1].c_str(), "a b");
  assert_string_equal(top[2].c_str(), "empty");
  assert_true(m->t->stat(m->remote_root + "/tree/a b").is_dir);
  assert_int_equal(m->t->stat(m->remote_root + "/tree/a b/c/3").mode, 0700);
  std::string dst = m->local_root + "/back";
  m->t->download(m->remote_root + "/tree", dst);
  assert_int_equal(sshtest::sh("diff -r '" + src + "' '" + dst + "'"), 0);
  struct stat st;
  assert_int_equal(::stat((dst + "/a b/c/3").c_str(), &st), 0);
  assert_int_equal(st.st_mode & 07777, 0700);
}

static void stat_list_remove_and_errors(void** state) {
  Mode* m = mode_of(state);
  const std::string d = m->remote_root + "/gone";
  assert_false(m->t->stat(d).exists);
  m->t->make_dirs(d + "/x/y", 0755);
  m->t->make_dirs(d + "/x/y", 0755);  // exists already: fine
  assert_true(m->t->stat(d + "/x/y").is_dir);
  m->t->write_file(d + "/x/f", "f");
  try {
    m->t->remove(d, false);  // not empty
    fail_msg("removing a non-empty directory without recursion succeeded");
  } catch (const Error& e) {
    assert_int_equal(e.status(), XRUN_E_IO);
  }
  m->t->remove(d, true);
  assert_false(m->t->stat(d).exists);
  m->t->remove(d, true);  // missing: no-op
  try {
    m->t->read_file(m->remote_root + "/no such file", 0);
    fail_msg("read of a missing file succeeded");
  } catch (const Error& e) {
    assert_int_equal(e.status(), XRUN_E_NOT_FOUND);
  }
  try {
    m->t->write_file(m->remote_root + "/no dir/f", "x");
    fail_msg("write into a missing directory succeeded");
  } catch (const Error& e) {
    assert_true(e.status() == XRUN_E_IO || e.status() == XRUN_E_NOT_FOUND);
  }
  std::string home = m->t->resolve_path("~");
  assert_string_equal(home.c_str(), ("/home/" + tb.user).c_str());
  assert_string_equal(m->t->resolve_path("~/a b").c_str(), ("/home/" + tb.user + "/a b").c_str());
  assert_string_equal(m->t->resolve_path("rel").c_str(), ("/home/" + tb.user + "/rel").c_str());
  assert_string_equal(m->t->resolve_path("/abs").c_str(), "/abs");
  assert_true(m->t->stats().transfers > 0);
  // The server without SFTP was noticed, and only there.
  bool fell_back = log_text.find("no SFTP subsystem") != std::string::npos;
  assert_int_equal(fell_back, std::string(m->name) == "no-sftp-server");
}

int main(void) {
  tb = sshtest::load_testbed();
  char control[] = "/tmp/xcm-XXXXXX";  // the openssh mode's ControlMaster sockets
  if (!mkdtemp(control)) sshtest::die("mkdtemp failed");
  sshtest::private_dirs().push_back(control);
  setenv("XRUN_SSH_CONTROL_DIR", control, 1);
  no_sftp_sshd = std::make_unique<sshtest::PrivateSshd>(tb, "no sftp", "", /*sftp=*/false);
  const struct CMUnitTest tests[] = {
      SSH_TEST_ST(write_read_binary_and_names, setup_sftp, teardown),
      SSH_TEST_ST(large_file_round_trip, setup_sftp, teardown),
      SSH_TEST_ST(directories_both_ways, setup_sftp, teardown),
      SSH_TEST_ST(stat_list_remove_and_errors, setup_sftp, teardown),
      SSH_TEST_ST(write_read_binary_and_names, setup_exec, teardown),
      SSH_TEST_ST(large_file_round_trip, setup_exec, teardown),
      SSH_TEST_ST(directories_both_ways, setup_exec, teardown),
      SSH_TEST_ST(stat_list_remove_and_errors, setup_exec, teardown),
      SSH_TEST_ST(write_read_binary_and_names, setup_fallback, teardown),
      SSH_TEST_ST(large_file_round_trip, setup_fallback, teardown),
      SSH_TEST_ST(directories_both_ways, setup_fallback, teardown),
      SSH_TEST_ST(stat_list_remove_and_errors, setup_fallback, teardown),
      SSH_TEST_ST(write_read_binary_and_names, setup_openssh, teardown),
      SSH_TEST_ST(large_file_round_trip, setup_openssh, teardown),
      SSH_TEST_ST(directories_both_ways, setup_openssh, teardown),
      SSH_TEST_ST(stat_list_remove_and_errors, setup_openssh, teardown),
  };
  int rc = cmocka_run_group_tests(tests, nullptr, nullptr);
  no_sftp_sshd.reset();
  return rc;
}
