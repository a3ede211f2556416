// quote_for_shell: hostile strings must reach a real shell unchanged.
#include "test_common.h"

#include <string>
#include <vector>

#include "util/error.h"
#include "util/shell_quote.h"

static std::string run_through_shell(const std::string& shell, const std::string& arg) {
  // printf '%s' <quoted> through the named shell; read back what it printed.
  std::string script = "printf '%s' " + xrun::quote_for_shell(arg);
  std::string command = shell + " -c " + xrun::quote_for_shell(script);
  FILE* pipe = popen(command.c_str(), "r");
  assert_non_null(pipe);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  assert_int_equal(pclose(pipe), 0);
  return out;
}

static const std::vector<std::string> kHostile = {
    "plain",
    "with space",
    "it's quoted",
    "\"double\" quotes",
    "$(touch /tmp/xrun-pwned)",
    "`touch /tmp/xrun-pwned`",
    "a;b && c || d | e > f < g",
    "line1\nline2\n",
    "tab\there",
    "$HOME ${HOME} $$ $? $!",
    "back\\slash\\\\",
    "glob * ? [abc] ~",
    "'",
    "''",
    "",
    "-n",
    "unicode: \xc3\xa9\xe2\x82\xac\xf0\x9f\x9a\x80 \xe6\xbc\xa2\xe5\xad\x97",
    "not utf-8: \xff\xfe",
    std::string(10000, 'x') + "'" + std::string(100, '$'),
};

static void test_arrives_unchanged_in_sh(void**) {
  for (const auto& s : kHostile) assert_string_equal(run_through_shell("/bin/sh", s).c_str(), s.c_str());
}

static void test_arrives_unchanged_in_bash(void**) {
  for (const auto& s : kHostile) assert_string_equal(run_through_shell("/bin/bash", s).c_str(), s.c_str());
}

static void test_nothing_executes(void**) {
  remove("/tmp/xrun-pwned");
  for (const auto& s : kHostile) run_through_shell("/bin/sh", s);
  assert_null(fopen("/tmp/xrun-pwned", "r"));
}

// for_any_login_shell: the line sshd hands to the user's login shell.
// Whatever that shell (csh-family shells read $, ! and newlines their own
// way), the command runs under /bin/sh and its words arrive unchanged.
static std::string run_as_login_shell(const std::string& login_shell, const std::string& command) {
  std::string line = xrun::for_any_login_shell(command);
  FILE* pipe = popen((login_shell + " -c " + xrun::quote_for_shell(line)).c_str(), "r");
  assert_non_null(pipe);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  assert_int_equal(pclose(pipe), 0);
  return out;
}

static void test_any_login_shell_runs_sh(void**) {
  for (const char* login : {"/bin/sh", "/bin/bash", "/usr/bin/tcsh"}) {
    for (const auto& s : kHostile) {
      std::string got = run_as_login_shell(login, "printf '%s' " + xrun::quote_for_shell(s));
      if (got != s) fail_msg("login shell %s changed \"%.60s\" into \"%.60s\"", login, s.c_str(), got.c_str());
    }
    // POSIX forms tcsh alone refuses, a newline and `!` (sent base64-encoded).
    assert_string_equal(run_as_login_shell(login, "x=it\\'s; echo \"${x}!\" $((6*7))\necho two").c_str(),
                        "it's! 42\ntwo\n");
    // A long command with a newline still fits one exec argument.
    std::string big(60000, 'y');
    assert_string_equal(run_as_login_shell(login, "v=" + big + "\nprintf '%s' \"${#v}\"").c_str(), "60000");
  }
  remove("/tmp/xrun-pwned");
  for (const auto& s : kHostile) run_as_login_shell("/usr/bin/tcsh", "printf '%s' " + xrun::quote_for_shell(s));
  assert_null(fopen("/tmp/xrun-pwned", "r"));
}

static void test_nul_is_refused(void**) {
  std::string with_nul("a\0b", 3);
  try {
    xrun::quote_for_shell(with_nul);
    fail_msg("a NUL byte was accepted");
  } catch (const xrun::Error& e) {
    assert_int_equal(e.status(), XRUN_E_INVALID);
  }
}

static void test_join_quoted(void**) {
  assert_string_equal(xrun::join_quoted({"echo", "a b", "it's"}).c_str(), "'echo' 'a b' 'it'\\''s'");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_arrives_unchanged_in_sh),
      cmocka_unit_test(test_arrives_unchanged_in_bash),
      cmocka_unit_test(test_nothing_executes),
      cmocka_unit_test(test_any_login_shell_runs_sh),
      cmocka_unit_test(test_nul_is_refused),
      cmocka_unit_test(test_join_quoted),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
