// Authentication through the caller's prompt callback, once per pooled
// session: keyboard-interactive (PAM asks for the password, as a 2FA
// challenge would), plain password, a passphrase-protected key, and the
// ssh-agent. Each server is a private sshd configured for that method.
#include <signal.h>

#include <atomic>

#include "ssh_testbed.h"
#include "test_common.h"
#include "transport/ssh/ssh_pool.h"

using namespace xrun;

static sshtest::Testbed tb;
static std::string tmp;
// Password logins use their own account: the Slurm testbed resets the
// password of the shared test user, and a parallel run must not race it.
static const char* kPasswordUser = "xrunpw";

struct PromptLog {
  std::atomic<int> calls{0};
  std::string kinds, prompts, machine;
  std::string answer;
  bool refuse = false;
};

static int prompt_cb(const char* kind, const char* machine, const char* prompt, int, char* answer,
                     size_t answer_size, void* payload) {
  auto* log = static_cast<PromptLog*>(payload);
  log->calls++;
  log->kinds += std::string(kind) + ";";
  log->prompts += std::string(prompt) + ";";
  log->machine = machine;
  if (log->refuse || log->answer.size() + 1 > answer_size) return 1;
  memcpy(answer, log->answer.c_str(), log->answer.size() + 1);
  return 0;
}

static void run_many(Transport& t, int n) {
  for (int i = 0; i < n; ++i) {
    CommandResult r = t.run("echo " + std::to_string(i));
    assert_int_equal(r.exit_status, 0);
    assert_string_equal(r.out.c_str(), (std::to_string(i) + "\n").c_str());
  }
}

static void keyboard_interactive_once_per_session(void**) {
  sshtest::PrivateSshd sshd(tb, "kbdint",
                            "UsePAM yes\nKbdInteractiveAuthentication yes\nPasswordAuthentication no\n"
                            "PubkeyAuthentication no\nAllowUsers " + std::string(kPasswordUser) + "\n");
  PromptLog log;
  log.answer = tb.password;
  SshCallbacks cb;
  cb.prompt = prompt_cb;
  cb.prompt_payload = &log;
  SshPool pool(cb);
  Machine m = sshd.machine();
  m.username = kPasswordUser;
  m.auth.method = AuthMethod::KeyboardInteractive;
  m.auth.key_file.reset();
  auto t = pool.transport_for(m);
  run_many(*t, 30);
  assert_int_equal(log.calls.load(), 1);
  assert_string_equal(log.kinds.c_str(), "kbdint;");
  assert_true(log.prompts.find("assword") != std::string::npos);
  assert_string_equal(log.machine.c_str(), "testbed");
  assert_int_equal(t->stats().auths, 1);
  // A wrong answer is an authentication failure with its own status.
  PromptLog bad;
  bad.answer = "wrong";
  SshCallbacks cb2;
  cb2.prompt = prompt_cb;
  cb2.prompt_payload = &bad;
  SshPool pool2(cb2);
  try {
    pool2.transport_for(m)->run("true");
    fail_msg("a wrong one-time answer was accepted");
  } catch (const Error& e) {
    assert_int_equal(e.status(), XRUN_E_AUTH);
  }
}

static void password_through_callback(void**) {
  sshtest::PrivateSshd sshd(tb, "password",
                            "PasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
                            "PubkeyAuthentication no\nAllowUsers " + std::string(kPasswordUser) + "\n");
  PromptLog log;
  log.answer = tb.password;
  SshCallbacks cb;
  cb.prompt = prompt_cb;
  cb.prompt_payload = &log;
  SshPool pool(cb);
  Machine m = sshd.machine();
  m.username = kPasswordUser;
  m.auth.method = AuthMethod::Password;
  auto t = pool.transport_for(m);
  run_many(*t, 20);
  assert_int_equal(log.calls.load(), 1);
  assert_string_equal(log.kinds.c_str(), "password;");
  // No callback: refused cleanly, no hang.
  SshPool bare(SshCallbacks{});
  try {
    bare.transport_for(m)->run("true");
    fail_msg("password login without a callback succeeded");
  } catch (const Error& e) {
    assert_int_equal(e.status(), XRUN_E_AUTH);
  }
}

static void passphrase_key_asked_once(void**) {
  std::string key = tmp + "/pass_key";
  sshtest::sh("ssh-keygen -q -t ed25519 -N 'open sesame' -f '" + key + "'");
  sshtest::PrivateSshd sshd(tb, "passphrase", "PubkeyAuthentication yes\nPasswordAuthentication no\n");
  sshtest::spit(sshd.dir + "/authorized_keys", sshtest::slurp(key + ".pub"));
  PromptLog log;
  log.answer = "open sesame";
  SshCallbacks cb;
  cb.prompt = prompt_cb;
  cb.prompt_payload = &log;
  SshPool pool(cb);
  Machine m = sshd.machine();
  m.auth.key_file = key;
  auto t = pool.transport_for(m);
  run_many(*t, 20);
  assert_int_equal(log.calls.load(), 1);
  assert_string_equal(log.kinds.c_str(), "passphrase;");
  // Refusing the passphrase fails authentication.
  PromptLog no;
  no.refuse = true;
  SshCallbacks cb2;
  cb2.prompt = prompt_cb;
  cb2.prompt_payload = &no;
  SshPool pool2(cb2);
  try {
    pool2.transport_for(m)->run("true");
    fail_msg("an encrypted key was used without its passphrase");
  } catch (const Error& e) {
    assert_int_equal(e.status(), XRUN_E_AUTH);
  }
}

static void agent_authentication(void**) {
  std::string sock = tmp + "/agent.sock";
  pid_t agent = fork();
  if (agent == 0) {
    execlp("ssh-agent", "ssh-agent", "-D", "-a", sock.c_str(), (char*)nullptr);
    _exit(127);
  }
  for (int i = 0; i < 100 && access(sock.c_str(), F_OK) != 0; ++i) usleep(20000);
  assert_int_equal(access(sock.c_str(), F_OK), 0);
  assert_int_equal(sshtest::sh("SSH_AUTH_SOCK='" + sock + "' ssh-add -q '" + tb.key + "' 2>/dev/null"), 0);
  setenv("SSH_AUTH_SOCK", sock.c_str(), 1);
  {
    SshPool pool(SshCallbacks{});
    Machine m = sshtest::testbed_machine(tb);
    m.auth.method = AuthMethod::Agent;
    m.auth.key_file.reset();
    auto t = pool.transport_for(m);
    run_many(*t, 5);
    assert_int_equal(t->stats().auths, 1);
  }
  unsetenv("SSH_AUTH_SOCK");
  kill(agent, SIGTERM);
  waitpid(agent, nullptr, 0);
}

int main(void) {
  tb = sshtest::load_testbed();
  tmp = xrun_test_tempdir("auth");
  chmod(tmp.c_str(), 0755);
  const std::string u = kPasswordUser;
  if (sshtest::sh("id " + u + " >/dev/null 2>&1 || useradd -m -s /bin/bash " + u) != 0 ||
      sshtest::sh("usermod -p \"$(openssl passwd -6 '" + tb.password + "')\" " + u) != 0)
    sshtest::die("cannot create the password test user " + u + " (tests run as root)");
  const struct CMUnitTest tests[] = {
      SSH_TEST(keyboard_interactive_once_per_session),
      SSH_TEST(password_through_callback),
      SSH_TEST(passphrase_key_asked_once),
      SSH_TEST(agent_authentication),
  };
  int rc = cmocka_run_group_tests(tests, nullptr, nullptr);
  sshtest::sh("rm -rf '" + tmp + "'");
  return rc;
}
