// Test helpers for the SSH transport: the testbed sshd brought up by
// scripts/testbed-sshd.sh (read from $TESTBED_DIR/env.sh), machines that
// point at it, and private sshd instances (own port, own config, started
// and stopped by pid) for the tests that break or reconfigure a server.
#pragma once
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "machine/machine.h"
#include "test_common.h"
#include "util/error.h"

namespace sshtest {

inline void die(const std::string& why) {
  fprintf(stderr, "SSH TEST SETUP FAILED: %s\n", why.c_str());
  exit(1);  // a test whose server cannot start fails, and says why
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spit(const std::string& path, const std::string& text, mode_t mode = 0644) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  chmod(path.c_str(), mode);
}

inline int sh(const std::string& cmd) {
  int rc = system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

struct Testbed {
  std::string dir, host, user, key, known_hosts, host_key, authorized_keys, password, sshd_log, ssh_config;
  int port = 0;
};

inline Testbed load_testbed() {
  const char* d = getenv("TESTBED_DIR");
  std::string dir = d && *d ? d : "/tmp/xrun-testbed";
  std::ifstream in(dir + "/env.sh");
  if (!in)
    die("no " + dir + "/env.sh: the testbed sshd is not up (run scripts/testbed-sshd.sh up, or ctest, "
        "whose sshd_up fixture does)");
  std::map<std::string, std::string> env;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("export ", 0) != 0) continue;
    auto eq = line.find('=');
    std::string k = line.substr(7, eq - 7), v = line.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
    env[k] = v;
  }
  Testbed t;
  t.dir = dir;
  t.host = env["TESTBED_SSH_HOST"];
  t.port = atoi(env["TESTBED_SSH_PORT"].c_str());
  t.user = env["TESTBED_SSH_USER"];
  t.key = env["TESTBED_SSH_KEY"];
  t.known_hosts = env["TESTBED_SSH_KNOWN_HOSTS"];
  t.host_key = env["TESTBED_SSH_HOST_KEY"];
  t.authorized_keys = env["TESTBED_SSH_AUTHORIZED_KEYS"];
  t.password = env["TESTBED_SSH_PASSWORD"];
  t.sshd_log = env["TESTBED_SSHD_LOG"];
  t.ssh_config = env["TESTBED_SSH_CONFIG"];
  if (t.host.empty() || !t.port || t.user.empty()) die("incomplete " + dir + "/env.sh");
  return t;
}

inline xrun::Machine machine_for(const Testbed& t, int port, const std::string& known_hosts) {
  xrun::Machine m;
  m.name = "testbed";
  m.source = "<test>";
  m.execution = xrun::Execution::Remote;
  m.host = t.host;
  m.port = port;
  m.username = t.user;
  m.auth.method = xrun::AuthMethod::Key;
  m.auth.key_file = t.key;
  m.known_hosts = known_hosts;
  m.ssh_config = "none";  // root's own ~/.ssh/config must not change the test
  m.connect_timeout_s = 10;
  m.command_timeout_s = 30;
  return m;
}

inline xrun::Machine testbed_machine(const Testbed& t) { return machine_for(t, t.port, t.known_hosts); }

inline int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind to a free port failed");
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// Processes whose parent is `ppid`, from /proc/PID/stat.
inline std::vector<pid_t> children_of(pid_t ppid) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (struct dirent* e = readdir(d)) {
    pid_t pid = atoi(e->d_name);
    if (pid <= 0) continue;
    std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    char state = 0;
    int parent = 0;
    if (sscanf(stat.c_str() + close_paren + 1, " %c %d", &state, &parent) == 2 && parent == ppid &&
        state != 'Z')
      out.push_back(pid);
  }
  closedir(d);
  return out;
}

inline int count_in_file(const std::string& path, const std::string& needle) {
  std::string text = slurp(path);
  int n = 0;
  for (size_t pos = 0; (pos = text.find(needle, pos)) != std::string::npos; pos += needle.size()) ++n;
  return n;
}

// Directories of private sshds, removed at exit even when a failed
// assertion (a longjmp in cmocka) skipped their destructors.
inline std::vector<std::string>& private_dirs() {
  static std::vector<std::string> dirs;
  static bool registered = false;
  if (!registered) {
    registered = true;
    atexit([] {
      for (const auto& d : private_dirs()) sh("rm -rf '" + d + "'");
    });
  }
  return dirs;
}

// A private sshd in the foreground (-D), our child: stopped by its pid.
class PrivateSshd {
 public:
  // `extra` lines are appended to a config like the testbed's (UsePAM and
  // MaxSessions in `extra` replace the defaults instead).
  PrivateSshd(const Testbed& t, const std::string& tag, const std::string& extra, bool sftp = true)
      : t_(t) {
    char tmpl[] = "/tmp/xrun-sshd-XXXXXX";
    if (!mkdtemp(tmpl)) die("mkdtemp failed");
    dir = tmpl;
    private_dirs().push_back(dir);
    chmod(dir.c_str(), 0755);
    port = free_port();
    config = dir + "/sshd_config";
    log = dir + "/sshd.log";
    std::string cfg = "Port " + std::to_string(port) + "\nListenAddress 127.0.0.1\nHostKey " + t.host_key +
                      "\nPidFile " + dir + "/sshd.pid\nAuthorizedKeysFile " + dir + "/authorized_keys\n" +
                      "PermitRootLogin no\nAllowUsers " + t.user + "\nStrictModes no\nPrintMotd no\n" +
                      "PrintLastLog no\nUseDNS no\nMaxStartups 100:30:200\n" +
                      "LoginGraceTime 30\nLogLevel INFO\n# " + tag + "\n";
    // sshd keeps the FIRST value of a keyword: a MaxSessions of the caller
    // must not follow ours, so ours is only the default.
    if (extra.find("MaxSessions") == std::string::npos) cfg += "MaxSessions 64\n";
    if (sftp) cfg += "Subsystem sftp /usr/lib/openssh/sftp-server\n";
    cfg += extra;
    if (extra.find("UsePAM") == std::string::npos) cfg += "UsePAM no\n";
    spit(config, cfg);
    spit(dir + "/authorized_keys", slurp(t.authorized_keys));
    std::string pub = slurp(t.host_key + ".pub");
    std::string type_and_key = pub.substr(0, pub.find(' ', pub.find(' ') + 1));
    known_hosts = dir + "/known_hosts";
    spit(known_hosts, "[127.0.0.1]:" + std::to_string(port) + " " + type_and_key + "\n");
    start();
  }
  ~PrivateSshd() {
    stop();
    sh("rm -rf '" + dir + "'");
  }

  void start() {
    pid_ = fork();
    if (pid_ == 0) {
      // If the test dies (a failed assertion skips destructors), so does sshd.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-f", config.c_str(), "-E", log.c_str(), (char*)nullptr);
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      if (port_open(port)) return;
      int st;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        die("private sshd exited at start; its log " + log + ":\n" + slurp(log));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    die("private sshd not listening on 127.0.0.1:" + std::to_string(port) + " after 5 s; log:\n" + slurp(log));
  }

  // Stops the listener and every connection it serves, like a reboot.
  void stop() {
    if (pid_ <= 0) return;
    kill_sessions();
    kill(pid_, SIGTERM);
    int st;
    waitpid(pid_, &st, 0);
    pid_ = -1;
  }

  // Kills the per-connection server processes: what a server-side crash
  // or an admin's kill looks like to the client.
  // Returns how many connections it killed.
  int kill_sessions() {
    int n = 0;
    for (pid_t c : children_of(pid_)) {
      // The unprivileged child that speaks the protocol, then its
      // privileged monitor: the whole connection dies at once, as in a
      // crash. The monitor may exit (and be reaped) as soon as its child
      // dies, so either kill counts.
      bool killed = false;
      for (pid_t g : children_of(c)) killed = kill(g, SIGKILL) == 0 || killed;
      killed = kill(c, SIGKILL) == 0 || killed;
      if (killed) ++n;
    }
    return n;
  }

  xrun::Machine machine() const { return machine_for(t_, port, known_hosts); }

  std::string dir, config, log, known_hosts;
  int port = 0;

 private:
  Testbed t_;
  pid_t pid_ = -1;
};

}  // namespace sshtest

namespace sshtest {
// cmocka is C: an exception escaping a test would terminate the runner.
template <void (*F)(void**)>
void guarded(void** state) {
  try {
    F(state);
  } catch (const xrun::Error& e) {
    fail_msg("uncaught xrun::Error (status %d): %s", static_cast<int>(e.status()), e.what());
  } catch (const std::exception& e) {
    fail_msg("uncaught exception: %s", e.what());
  }
}
}  // namespace sshtest
#define SSH_TEST(f) {#f, sshtest::guarded<f>, nullptr, nullptr, nullptr}
#define SSH_TEST_ST(f, s, t) {#f, sshtest::guarded<f>, s, t, nullptr}
