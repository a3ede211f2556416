// Host keys against known_hosts: unknown and changed keys fail with
// XRUN_E_HOSTKEY naming the fingerprint and the file; accept-new records
// an unknown key once and never accepts a changed one. A key the server
// does not know fails with XRUN_E_AUTH.
#include "ssh_testbed.h"
#include "test_common.h"
#include "transport/ssh/ssh_pool.h"

using namespace xrun;

static sshtest::Testbed tb;
static std::string tmp;

static std::string host_fingerprint() {
  FILE* p = popen(("ssh-keygen -l -E sha256 -f '" + tb.host_key + ".pub' | cut -d' ' -f2").c_str(), "r");
  char buf[256] = {0};
  if (!fgets(buf, sizeof buf, p)) buf[0] = 0;
  pclose(p);
  std::string s = buf;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

static Error connect_error(const Machine& m) {
  SshPool pool(SshCallbacks{});
  auto t = pool.transport_for(m);
  try {
    t->run("true");
  } catch (const Error& e) {
    return e;
  }
  fail_msg("connected, but an error was expected");
  return Error(XRUN_OK, "");
}

static void unknown_key_fails_with_fingerprint(void**) {
  std::string kh = tmp + "/empty_known_hosts";
  sshtest::spit(kh, "");
  Machine m = sshtest::machine_for(tb, tb.port, kh);
  Error e = connect_error(m);
  fprintf(stderr, "unknown key: %s\n", e.what());
  assert_int_equal(e.status(), XRUN_E_HOSTKEY);
  std::string msg = e.what();
  assert_true(msg.find(host_fingerprint()) != std::string::npos);
  assert_true(msg.find(kh) != std::string::npos);
  assert_true(msg.find("unknown") != std::string::npos);
  assert_string_equal(sshtest::slurp(kh).c_str(), "");  // never silently accepted

  // machines check stops at the host key step, with its own status.
  SshPool pool(SshCallbacks{});
  auto steps = pool.transport_for(m)->check();
  assert_int_equal(steps.size(), 3);
  assert_true(steps[0].ok && steps[1].ok);
  assert_string_equal(steps[2].step.c_str(), "host_key");
  assert_false(steps[2].ok);
  assert_int_equal(steps[2].status, XRUN_E_HOSTKEY);
}

static void changed_key_fails_even_with_accept_new(void**) {
  std::string other = tmp + "/other_host_key";
  sshtest::sh("ssh-keygen -q -t ed25519 -N '' -f '" + other + "'");
  std::string pub = sshtest::slurp(other + ".pub");
  std::string kh = tmp + "/changed_known_hosts";
  sshtest::spit(kh, "[127.0.0.1]:" + std::to_string(tb.port) + " " + pub.substr(0, pub.find(' ', 12)) + "\n");
  Machine m = sshtest::machine_for(tb, tb.port, kh);
  for (auto policy : {HostKeyPolicy::Strict, HostKeyPolicy::AcceptNew}) {
    m.host_key_policy = policy;
    Error e = connect_error(m);
    fprintf(stderr, "changed key: %s\n", e.what());
    assert_int_equal(e.status(), XRUN_E_HOSTKEY);
    std::string msg = e.what();
    assert_true(msg.find("CHANGED") != std::string::npos);
    assert_true(msg.find(host_fingerprint()) != std::string::npos);
    assert_true(msg.find(kh) != std::string::npos);
  }
}

static void accept_new_records_then_verifies(void**) {
  std::string kh = tmp + "/accept_known_hosts";
  sshtest::spit(kh, "");
  Machine m = sshtest::machine_for(tb, tb.port, kh);
  m.host_key_policy = HostKeyPolicy::AcceptNew;
  {
    SshPool pool(SshCallbacks{});
    assert_int_equal(pool.transport_for(m)->run("true").exit_status, 0);
  }
  std::string recorded = sshtest::slurp(kh);
  assert_true(recorded.find("[127.0.0.1]:" + std::to_string(tb.port)) != std::string::npos);
  // Now recorded: a strict machine accepts it.
  m.host_key_policy = HostKeyPolicy::Strict;
  SshPool pool(SshCallbacks{});
  assert_int_equal(pool.transport_for(m)->run("true").exit_status, 0);
}

static void wrong_user_key_fails_auth(void**) {
  std::string key = tmp + "/stranger_key";
  sshtest::sh("ssh-keygen -q -t ed25519 -N '' -f '" + key + "'");
  Machine m = sshtest::testbed_machine(tb);
  m.auth.key_file = key;
  Error e = connect_error(m);
  fprintf(stderr, "wrong key: %s\n", e.what());
  assert_int_equal(e.status(), XRUN_E_AUTH);
  assert_true(std::string(e.what()).find("refused") != std::string::npos);
  // A missing key file is an authentication failure too, not a crash.
  m.auth.key_file = tmp + "/no such key";
  assert_int_equal(connect_error(m).status(), XRUN_E_AUTH);
}

static void refused_port_is_a_transport_error(void**) {
  Machine m = sshtest::machine_for(tb, sshtest::free_port(), tb.known_hosts);
  m.connect_timeout_s = 2;
  Error e = connect_error(m);
  assert_int_equal(e.status(), XRUN_E_TRANSPORT);
}

// Issue 11 #9: OpenSSH refuses a key marked @revoked even where it is also
// listed normally; libssh 0.10 skipped the marker and accepted it.
static void revoked_key_is_refused_even_if_listed(void**) {
  std::string pub = sshtest::slurp(tb.host_key + ".pub");
  std::string key = pub.substr(0, pub.find(' ', pub.find(' ') + 1));
  std::string kh = tmp + "/revoked_known_hosts";
  sshtest::spit(kh, "[127.0.0.1]:" + std::to_string(tb.port) + " " + key + "\n@revoked * " + key + "\n");
  Machine m = sshtest::machine_for(tb, tb.port, kh);
  Error e = connect_error(m);
  fprintf(stderr, "revoked: %s\n", e.what());
  assert_int_equal(e.status(), XRUN_E_HOSTKEY);
  assert_non_null(strstr(e.what(), "REVOKED"));
  // accept-new cannot get around it either.
  m.host_key_policy = HostKeyPolicy::AcceptNew;
  assert_int_equal(connect_error(m).status(), XRUN_E_HOSTKEY);
}

// A @cert-authority line holds a CA key, never the host's own key: the
// server's key on such a line is not accepted (and the message says why).
static void cert_authority_line_is_not_a_host_key(void**) {
  std::string pub = sshtest::slurp(tb.host_key + ".pub");
  std::string key = pub.substr(0, pub.find(' ', pub.find(' ') + 1));
  std::string kh = tmp + "/ca_known_hosts";
  sshtest::spit(kh, "@cert-authority [127.0.0.1]:* " + key + "\n");
  Machine m = sshtest::machine_for(tb, tb.port, kh);
  Error e = connect_error(m);
  fprintf(stderr, "cert-authority: %s\n", e.what());
  assert_int_equal(e.status(), XRUN_E_HOSTKEY);
  assert_non_null(strstr(e.what(), "@cert-authority"));
  // With the host key itself listed too, it connects.
  sshtest::spit(kh, "@cert-authority [127.0.0.1]:* " + key + "\n[127.0.0.1]:" + std::to_string(tb.port) + " " + key + "\n");
  SshPool pool(SshCallbacks{});
  assert_int_equal(pool.transport_for(m)->run("true").exit_status, 0);
}

int main(void) {
  tb = sshtest::load_testbed();
  tmp = xrun_test_tempdir("hostkey");
  const struct CMUnitTest tests[] = {
      SSH_TEST(unknown_key_fails_with_fingerprint),
      SSH_TEST(changed_key_fails_even_with_accept_new),
      SSH_TEST(accept_new_records_then_verifies),
      SSH_TEST(wrong_user_key_fails_auth),
      SSH_TEST(refused_port_is_a_transport_error),
      SSH_TEST(revoked_key_is_refused_even_if_listed),
      SSH_TEST(cert_authority_line_is_not_a_host_key),
  };
  int rc = cmocka_run_group_tests(tests, nullptr, nullptr);
  sshtest::sh("rm -rf '" + tmp + "'");
  return rc;
}
