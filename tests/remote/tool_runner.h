// Runs the xrun tool in a fresh process against machines of the testbed's
// private sshds, timed from the outside (for tests/remote).
#pragma once
#include <sys/resource.h>

#include <regex>
#include <string>

#include "../ssh/ssh_testbed.h"
#include "util/clock.h"

namespace tooltest {

using sshtest::Testbed;

struct ToolRun {
  int rc = -1;
  std::string out;  // stdout and stderr together
  int64_t ms = 0;
  long max_rss_kb = 0;  // the largest child so far (RUSAGE_CHILDREN)
};

inline std::string tool() {
  const char* x = getenv("XRUN_TOOL");
  if (!x || !*x) sshtest::die("XRUN_TOOL is not set: run through ctest");
  return x;
}

inline ToolRun run_tool(const std::string& home, const std::string& args) {
  std::string cmd = "XRUN_HOME='" + home + "' '" + tool() + "' " + args + " 2>&1";
  ToolRun r;
  int64_t t0 = xrun::monotonic_ms();
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) sshtest::die("popen failed");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.ms = xrun::monotonic_ms() - t0;
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  r.max_rss_kb = ru.ru_maxrss;
  return r;
}

inline std::string make_home(const Testbed& t, int port, const std::string& known_hosts, int connect_timeout_s,
                             const std::string& extra = "", const std::string& scheduler = "direct",
                             const std::string& user = "") {
  char tmpl[] = "/tmp/xrun-deadlines-XXXXXX";
  if (!mkdtemp(tmpl)) sshtest::die("mkdtemp failed");
  std::string home = tmpl;
  sshtest::private_dirs().push_back(home);
  sshtest::spit(home + "/machines.json",
                "{\"default\": \"far\", \"machines\": {\"far\": {\"execution\": \"remote\", \"scheduler\": \"" +
                    scheduler + "\", \"host\": \"127.0.0.1\", \"port\": " +
                    std::to_string(port) + ", \"username\": \"" + (user.empty() ? t.user : user) +
                    "\", \"auth\": {\"method\": \"key\", \"key_file\": \"" + t.key + "\"}, \"known_hosts\": \"" +
                    known_hosts + "\", \"ssh_config\": \"none\", \"workdir\": \"~/xrun-deadlines\", "
                    "\"min_poll_interval\": 0, \"connect_timeout\": " +
                    std::to_string(connect_timeout_s) + extra + "}}}\n");
  return home;
}

// The 26-character job id the message names.
inline std::string named_job_id(const std::string& text) {
  std::smatch m;
  static const std::regex id("job ([0-9A-HJKMNP-TV-Z]{26})");
  return std::regex_search(text, m, id) ? m[1].str() : "";
}


// The id `submit -q` printed on its last line.
inline std::string last_id(std::string out) {
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (out.size() < 26) fail_msg("no job id in \"%s\"", out.c_str());
  return out.substr(out.size() - 26);
}

}  // namespace tooltest
