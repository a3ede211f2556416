#include "fixture_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/state.h"
#include "util/shell_quote.h"

#include "test_common.h"  // last: cmocka's fail() macro clashes with <ios>

namespace xrun_test {

std::string fixture(const std::string& relative) {
  std::string path = std::string(xrun_test_env("XRUN_SOURCE_DIR")) + "/tests/fixtures/" + relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fprintf(stderr, "missing fixture %s\n", path.c_str());
    fail();
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

xrun::CommandResult result(int exit_status, const std::string& out, const std::string& err) {
  xrun::CommandResult r;
  r.exit_status = exit_status;
  r.out = out;
  r.err = err;
  return r;
}

static std::string read_all(FILE* f) {
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

xrun::CommandResult shell(const std::string& command, const std::string& stdin_data) {
  char err_path[] = "/tmp/xrun-test-stderr-XXXXXX";
  int fd = mkstemp(err_path);
  assert_true(fd >= 0);
  close(fd);
  char in_path[] = "/tmp/xrun-test-stdin-XXXXXX";
  fd = mkstemp(in_path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, stdin_data.data(), stdin_data.size()), (ssize_t)stdin_data.size());
  close(fd);
  std::string full = "/bin/sh -c " + xrun::quote_for_shell(command) + " 2>" + err_path + " <" + in_path;
  FILE* pipe = popen(full.c_str(), "r");
  assert_non_null(pipe);
  xrun::CommandResult r;
  r.out = read_all(pipe);
  int status = pclose(pipe);
  r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE* err = fopen(err_path, "rb");
  if (err) {
    r.err = read_all(err);
    fclose(err);
  }
  unlink(err_path);
  unlink(in_path);
  return r;
}

std::vector<std::string> shell_words(const std::string& command) {
  std::string prog = command.substr(0, command.find(' '));
  std::string script = prog + "() { for a in \"$@\"; do printf '%s\\0' \"$a\"; done; }; " + command;
  xrun::CommandResult r = shell(script);
  assert_int_equal(r.exit_status, 0);
  std::vector<std::string> words;
  size_t start = 0;
  for (size_t i = 0; i < r.out.size(); ++i)
    if (r.out[i] == '\0') {
      words.push_back(r.out.substr(start, i - start));
      start = i + 1;
    }
  return words;
}

std::string state_text(int state) { return xrun::state_name(state); }

}  // namespace xrun_test
