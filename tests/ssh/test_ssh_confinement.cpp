// Issue 11 #1: a hostile remote cannot make retrieve write outside its
// destination. Against the real sshd, over SFTP and over the exec fallback:
// symlinks the test plants on the remote (out of the job, to a directory,
// a loop) and on the local side (a directory symlink, a file symlink), and
// a remote whose `find` lists "../../victim/owned.txt" (a fake put first in
// the PATH of a private sshd by the test).
#include <sys/stat.h>

#include "ssh_testbed.h"
#include "test_common.h"
#include "transport/ssh/ssh_pool.h"

using namespace xrun;

static sshtest::Testbed tb;

namespace {

std::string local_tmp(const char* tag) {
  std::string tmpl = std::string("/tmp/xrun-conf-") + tag + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) sshtest::die("mkdtemp failed");
  sshtest::private_dirs().push_back(buf.data());
  return buf.data();
}

bool exists(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0;
}

// A retrieve that must be refused with XRUN_E_INVALID.
void expect_refused(Transport& t, const std::string& root, const std::string& rel, const std::string& dest) {
  try {
    t.retrieve(root, rel, dest);
    fail_msg("retrieve of %s was not refused", rel.c_str());
  } catch (const Error& e) {
    fprintf(stderr, "  refused %s: %s\n", rel.c_str(), e.what());
    assert_int_equal(e.status(), XRUN_E_INVALID);
  }
}

void symlinks_and_planted_links(bool sftp) {
  Machine m = sshtest::testbed_machine(tb);
  m.use_sftp = sftp;
  SshPool pool(SshCallbacks{});
  auto t = pool.transport_for(m);
  const std::string root = "/tmp/xrun-conf-remote-" + std::to_string(getpid()) + (sftp ? "-sftp" : "-exec");
  const std::string outside = root + "-outside";
  // The remote job directory, made by the remote user as a hostile job would.
  assert_int_equal(
      t->run("rm -rf " + root + " " + outside + " && mkdir -p " + root + "/out/sub " + outside + " && echo secret > " +
             outside + "/secret && echo good > " + root + "/out/good.txt && echo deep > " + root +
             "/out/sub/deep.txt && ln -s " + outside + "/secret " + root + "/leak && ln -s . " + root +
             "/loop && mkdir " + root + "/tree && ln -s ../../" + outside.substr(5) + "/secret " + root +
             "/tree/up && echo x > " + root + "/planted-dir-file && mkdir " + root + "/pd && echo x > " + root +
             "/pd/x && ln -s out/good.txt " + root + "/inside-link")
          .exit_status,
      0);
  const std::string dest = local_tmp(sftp ? "sftp" : "exec");
  const std::string victim = local_tmp("victim");

  // Nested names are fetched, creating their directories in the destination.
  t->retrieve(root, "out/sub/deep.txt", dest);
  assert_string_equal(sshtest::slurp(dest + "/out/sub/deep.txt").c_str(), "deep\n");
  t->retrieve(root, "out", dest);
  assert_string_equal(sshtest::slurp(dest + "/out/good.txt").c_str(), "good\n");
  // A symlink that stays inside the job directory is followed.
  t->retrieve(root, "inside-link", dest);
  assert_string_equal(sshtest::slurp(dest + "/inside-link").c_str(), "good\n");

  // Remote symlinks that leave the job directory, lead to a directory
  // (here: a loop), or hide in a tree are refused.
  expect_refused(*t, root, "leak", dest);
  expect_refused(*t, root, "loop", dest);
  expect_refused(*t, root, "tree", dest);
  assert_false(exists(dest + "/leak"));
  assert_false(exists(dest + "/tree/up"));

  // Names that step out are refused before anything is asked.
  expect_refused(*t, root, "../" + outside.substr(5) + "/secret", dest);
  expect_refused(*t, root, "/etc/passwd", dest);
  expect_refused(*t, root, "out/../../x", dest);

  // A directory symlink planted in the destination is not followed.
  assert_int_equal(symlink(victim.c_str(), (dest + "/pd").c_str()), 0);
  expect_refused(*t, root, "pd/x", dest);
  assert_false(exists(victim + "/x"));
  // A file symlink planted where a file lands is replaced, its target untouched.
  sshtest::spit(victim + "/target", "untouched");
  assert_int_equal(symlink((victim + "/target").c_str(), (dest + "/planted-dir-file").c_str()), 0);
  t->retrieve(root, "planted-dir-file", dest);
  assert_string_equal(sshtest::slurp(victim + "/target").c_str(), "untouched");
  assert_string_equal(sshtest::slurp(dest + "/planted-dir-file").c_str(), "x\n");
  t->run("rm -rf " + root + " " + outside);
}

}  // namespace

static void symlinks_cannot_lead_out_over_sftp(void**) { symlinks_and_planted_links(true); }
static void symlinks_cannot_lead_out_over_exec(void**) { symlinks_and_planted_links(false); }

// The exec fallback lists directories with `find`; a hostile one (first in
// the PATH of this private sshd) names entries that climb out.
static void hostile_listing_is_refused(void**) {
  const std::string bin = local_tmp("bin");
  chmod(bin.c_str(), 0755);
  sshtest::spit(bin + "/find", "#!/bin/sh\nprintf 'fine\\0../../victim/owned.txt\\0'\n", 0755);
  sshtest::PrivateSshd sshd(tb, "hostile-find", "SetEnv PATH=" + bin + ":/usr/bin:/bin\n");
  Machine m = sshd.machine();
  m.use_sftp = false;
  SshPool pool(SshCallbacks{});
  auto t = pool.transport_for(m);
  assert_true(t->run("find").out.find("../../victim/owned.txt") != std::string::npos);  // the fake is in place
  const std::string root = "/tmp/xrun-conf-hostile-" + std::to_string(getpid());
  assert_int_equal(t->run("rm -rf " + root + " && mkdir -p " + root + "/out && echo fine > " + root + "/out/fine "
                          "&& mkdir -p " + root + "/victim && echo orig > " + root + "/victim/owned.txt")
                       .exit_status,
                   0);
  const std::string base = local_tmp("hostile");
  const std::string dest = base + "/a/b";
  assert_int_equal(sshtest::sh("mkdir -p '" + dest + "' '" + base + "/victim'"), 0);
  try {
    t->retrieve(root, "out", dest);
    fail_msg("a listing with ../../ was accepted");
  } catch (const Error& e) {
    fprintf(stderr, "  refused: %s\n", e.what());
    assert_int_equal(e.status(), XRUN_E_INVALID);
    assert_non_null(strstr(e.what(), "../../victim/owned.txt"));
  }
  // dest/out/../../victim/owned.txt would be base/a/victim/owned.txt; and
  // nothing anywhere under base but what the test made and out/fine.
  assert_false(exists(base + "/a/victim/owned.txt"));
  assert_false(exists(base + "/victim/owned.txt"));
  assert_int_equal(sshtest::sh("test -z \"$(find '" + base + "' -name owned.txt)\""), 0);
  t->run("rm -rf " + root);
}

int main() {
  tb = sshtest::load_testbed();
  const struct CMUnitTest tests[] = {
      SSH_TEST(symlinks_cannot_lead_out_over_sftp),
      SSH_TEST(symlinks_cannot_lead_out_over_exec),
      SSH_TEST(hostile_listing_is_refused),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
