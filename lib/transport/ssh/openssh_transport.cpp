#include "transport/ssh/openssh_transport.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "transport/nul_guard.h"
#include "transport/process.h"
#include "transport/ssh/connection.h"
#include "transport/ssh/sha256.h"
#include "util/clock.h"
#include "util/deadline.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun::ssh {

namespace {

// ssh expands %-tokens in these options: a literal '%' is written "%%";
// a value with blanks is quoted (UserKnownHostsFile takes several files).
std::string ssh_option_path(const std::string& path) {
  std::string out;
  for (char c : path) out += c == '%' ? std::string("%%") : std::string(1, c);
  if (out.find_first_of(" \t") != std::string::npos) out = "\"" + out + "\"";
  return out;
}

// A UNIX socket path has room for 107 bytes; ssh adds a suffix of its own
// while it binds.
constexpr size_t kMaxControlPath = 80;

std::string default_control_dir() {
  const char* dir = getenv("XRUN_SSH_CONTROL_DIR");
  if (dir && *dir) return dir;
  const char* runtime = getenv("XDG_RUNTIME_DIR");
  if (runtime && *runtime) return std::string(runtime) + "/xrun-ssh";
  return "/tmp/xrun-ssh-" + std::to_string(geteuid());
}

// The directory of the control sockets: ours alone, or nothing is started.
void prepare_control_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw Error(XRUN_E_IO, "cannot create the ssh control directory " + dir + ": " + strerror(errno));
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0)
    throw Error(XRUN_E_IO, "cannot read the ssh control directory " + dir + ": " + strerror(errno));
  if (!S_ISDIR(st.st_mode))
    throw Error(XRUN_E_INVALID, "the ssh control directory " + dir + " is not a directory (a symlink?)");
  if (st.st_uid != geteuid())
    throw Error(XRUN_E_INVALID, "the ssh control directory " + dir + " belongs to another user (uid " +
                                    std::to_string(st.st_uid) + "); set XRUN_SSH_CONTROL_DIR to a directory of yours");
  if ((st.st_mode & 077) != 0)
    throw Error(XRUN_E_INVALID, "the ssh control directory " + dir +
                                    " can be entered by other users: make it 0700 (chmod 700)");
}

std::string read_small_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return "";
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

bool is_socket(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// What ssh's own words on stderr say failed. OpenSSH reports every failure
// with exit 255, so its message is all there is to tell them apart; the
// default (a transport failure) is what xrun retries.
bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

xrun_status classify_ssh_failure(const std::string& err) {
  if (contains(err, "Host key verification failed") || contains(err, "REMOTE HOST IDENTIFICATION HAS CHANGED") ||
      contains(err, "host key for") || contains(err, "No ED25519 host key is known") ||
      contains(err, "host key is known"))
    return XRUN_E_HOSTKEY;
  if (contains(err, "Permission denied")) return XRUN_E_AUTH;
  return XRUN_E_TRANSPORT;
}

}  // namespace

OpenSshTransport::OpenSshTransport(const Machine& m, const Logger& logger)
    : connect_timeout_ms_(m.connect_timeout_s * 1000),
      command_timeout_ms_(m.command_timeout_s * 1000),
      logger_(logger) {
  destination_ = m.host.value_or("");
  name_ = (m.username ? *m.username + "@" : "") + destination_ + (m.port ? ":" + std::to_string(*m.port) : "");
  std::vector<std::string> target;  // what decides where ssh connects, and as whom
  if (m.ssh_config) {
    target.insert(target.end(), {"-F", *m.ssh_config == "none" ? "/dev/null" : expand_user(*m.ssh_config)});
  }
  if (m.port) target.insert(target.end(), {"-p", std::to_string(*m.port)});
  if (m.username) target.insert(target.end(), {"-l", *m.username});
  if (m.auth.key_file)
    target.insert(target.end(), {"-i", ssh_option_path(expand_user(*m.auth.key_file)), "-o", "IdentitiesOnly=yes"});
  if (m.known_hosts) target.insert(target.end(), {"-o", "UserKnownHostsFile=" + ssh_option_path(expand_user(*m.known_hosts))});
  if (m.proxy_jump) target.insert(target.end(), {"-J", *m.proxy_jump});
  target.insert(target.end(), {"-o", std::string("StrictHostKeyChecking=") +
                                         (m.host_key_policy == HostKeyPolicy::AcceptNew ? "accept-new" : "yes")});
  known_hosts_ = m.known_hosts ? expand_user(*m.known_hosts) : expand_user("~/.ssh/known_hosts");
  port_ = m.port.value_or(22);
  proxy_jump_ = m.proxy_jump.has_value();
  std::string identity = name_;
  for (const auto& a : target) identity += "\n" + a;
  control_dir_ = default_control_dir();
  control_path_ = control_dir_ + "/cm-" + sha256_hex(identity).substr(0, 16);
  base_ = {"ssh",
           "-o", "ControlPath=" + ssh_option_path(control_path_),
           "-o", "ControlPersist=" + std::to_string(std::max<int64_t>(m.idle_timeout_s, 1)) + "s",
           "-o", "BatchMode=yes",
           "-o", "ConnectTimeout=" + std::to_string(std::max<int64_t>(m.connect_timeout_s, 1)),
           "-o", "ServerAliveInterval=" + std::to_string(std::max<int64_t>(m.keepalive_s, 1)),
           "-o", "ServerAliveCountMax=3",
           "-o", "LogLevel=ERROR"};
  base_.insert(base_.end(), target.begin(), target.end());
}

std::vector<std::string> OpenSshTransport::command_argv(const std::string& command) const {
  std::vector<std::string> argv = base_;
  argv.insert(argv.end(), {"-o", "ControlMaster=auto", "--", destination_, for_any_login_shell(command)});
  return argv;
}

bool OpenSshTransport::master_alive(int64_t deadline_ms) {
  std::vector<std::string> argv = base_;
  argv.insert(argv.end(), {"-O", "check", "--", destination_});
  try {
    return run_process(argv, ProcessIo{}, deadline_ms, "ssh -O check").exit_status == 0;
  } catch (const Error&) {
    return false;
  }
}

std::string OpenSshTransport::offered_host_key(int64_t deadline_ms) {
  std::string text = "; known_hosts: " + known_hosts_;
  if (proxy_jump_) return text;  // the host is reached through another: no direct scan
  // What the server offers, so the user can check it before trusting it.
  const std::string scan = "ssh-keyscan -T 3 -p " + std::to_string(port_) + " -- " + quote_for_shell(destination_) +
                           " 2>/dev/null | ssh-keygen -lf - 2>/dev/null";
  try {
    CommandResult r = run_process({"/bin/sh", "-c", scan}, ProcessIo{},
                                  std::min(deadline_ms, monotonic_ms() + 4000), "ssh-keyscan");
    std::string keys(trim(r.out));
    if (!keys.empty()) text += "; the server offers: " + keys;
  } catch (const Error&) {
    // no scan: the message says where ssh looked
  }
  return text;
}

void OpenSshTransport::ensure_master(int64_t deadline_ms) {
  std::lock_guard<std::mutex> lock(master_mu_);
  if (is_socket(control_path_)) return;  // the common case: no process started
  if (control_path_.size() > kMaxControlPath)
    throw Error(XRUN_E_INVALID, "the ssh control socket path " + control_path_ +
                                    " is too long for a socket: set XRUN_SSH_CONTROL_DIR to a shorter directory");
  prepare_control_dir(control_dir_);
  // One process starts the master; the others wait for it here.
  const std::string lock_path = control_path_ + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw Error(XRUN_E_IO, "cannot open " + lock_path + ": " + strerror(errno));
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }  // closing releases the flock
  } unlock{fd};
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) throw Error(XRUN_E_IO, "cannot lock " + lock_path + ": " + strerror(errno));
    if (monotonic_ms() >= deadline_ms)
      throw Error(XRUN_E_TIMEOUT, "another process is still starting the ssh master for " + name_ + " (" +
                                      lock_path + ") at this call's deadline");
    usleep(10000);
  }
  if (is_socket(control_path_)) {
    if (master_alive(deadline_ms)) return;
    ::unlink(control_path_.c_str());  // its master is gone
  }
  std::vector<std::string> argv = base_;
  argv.insert(argv.end(), {"-o", "ControlMaster=yes", "-N", "-f", "--", destination_});
  ProcessIo io;
  io.stdout_file = "/dev/null";
  // A file, not a pipe: the master runs on in the background after -f.
  io.stderr_file = control_path_ + ".err";
  const int64_t start_deadline = std::min(deadline_ms, monotonic_ms() + connect_timeout_ms_ + 2000);
  CommandResult r;
  try {
    r = run_process(argv, io, start_deadline, "starting the ssh master for " + name_);
  } catch (const Error& e) {
    ::unlink(io.stderr_file.c_str());
    throw Error(e.status() == XRUN_E_IO ? XRUN_E_TRANSPORT : e.status(),
                std::string(e.what()) + " (command: " + join_quoted(argv) + ")");
  }
  const std::string err(trim(read_small_file(io.stderr_file)));
  ::unlink(io.stderr_file.c_str());
  if (r.exit_status != 0) {
    const xrun_status status = classify_ssh_failure(err);
    std::string message = "ssh to " + name_ + " failed (exit " + std::to_string(r.exit_status) +
                          "): " + (err.empty() ? "no message" : err);
    if (status == XRUN_E_HOSTKEY) message += offered_host_key(start_deadline);
    throw Error(status, message + " (command: " + join_quoted(argv) + ")");
  }
  ++masters_started_;
  logger_.info("ssh master for " + name_ + " started (socket " + control_path_ + ")");
}

void OpenSshTransport::stop_master() {
  std::lock_guard<std::mutex> lock(master_mu_);
  std::vector<std::string> argv = base_;
  argv.insert(argv.end(), {"-O", "exit", "--", destination_});
  try {
    run_process(argv, ProcessIo{}, monotonic_ms() + 5000, "ssh -O exit");
  } catch (const Error&) {
    // no master, or it is already going: nothing to stop
  }
}

CommandResult OpenSshTransport::through_ssh(
    const std::string& command, const std::function<CommandResult(const std::vector<std::string>&)>& spawn,
    int64_t deadline_ms) {
  ensure_master(deadline_ms);
  CommandResult r;
  try {
    r = spawn(command_argv(command));
  } catch (const Error& e) {
    if (e.status() == XRUN_E_IO)  // no ssh to start
      throw Error(XRUN_E_TRANSPORT, std::string(e.what()) + " (the machine's transport is openssh)");
    throw;
  }
  // 255 is ssh's own failure, or the command's status: the master tells.
  if (r.exit_status == 255 && !master_alive(std::max(deadline_ms, monotonic_ms() + 2000))) {
    // A master killed outright leaves its socket: remove it, so that the
    // next call starts a new master under the lock (once across processes).
    ::unlink(control_path_.c_str());
    throw Error(XRUN_E_TRANSPORT, "ssh to " + name_ + " failed: " + std::string(trim(r.err)) +
                                      "; the connection is down, so the command may or may not have run");
  }
  return r;
}

CommandResult OpenSshTransport::run(const std::string& command, const std::string& stdin_data, int64_t timeout_ms) {
  refuse_nul(command, "command");
  const int64_t deadline = bounded_deadline(monotonic_ms() + (timeout_ms > 0 ? timeout_ms : command_timeout_ms_));
  ++commands_;  // file operations are not counted: as over SFTP
  return through_ssh(command, [&](const std::vector<std::string>& argv) {
    ProcessIo io;
    io.stdin_data = stdin_data;
    return run_process(argv, io, deadline, "the command on " + name_);
  }, deadline);
}

CommandResult OpenSshTransport::exec(const std::string& command, const std::string& stdin_data, int64_t deadline_ms,
                                     bool& started, size_t max_stdout) {
  started = true;  // a spawned ssh may have reached the host
  return through_ssh(command, [&](const std::vector<std::string>& argv) {
    ProcessIo io;
    io.stdin_data = stdin_data;
    io.max_stdout = max_stdout;
    return run_process(argv, io, deadline_ms, "a file operation on " + name_);
  }, deadline_ms);
}

CommandResult OpenSshTransport::exec_streaming(const std::string& command, const StdinSource& stdin_source,
                                               const StdoutSink& stdout_sink, int64_t deadline_ms, bool& started,
                                               size_t max_stdout) {
  started = true;
  return through_ssh(command, [&](const std::vector<std::string>& argv) {
    ProcessIo io;
    io.stdin_source = stdin_source;
    io.stdout_sink = stdout_sink;
    io.max_stdout = max_stdout;
    return run_process(argv, io, deadline_ms, "a file transfer with " + name_);
  }, deadline_ms);
}

void OpenSshTransport::use_files(const std::function<void(RemoteFiles&)>& op) {
  const int64_t deadline = bounded_deadline(monotonic_ms() + command_timeout_ms_);
  auto files = exec_files(*this, deadline);
  op(*files);
}

std::vector<CheckStep> OpenSshTransport::check() {
  std::vector<CheckStep> steps;
  auto step = [&](const char* name, const std::function<std::string()>& body) {
    CheckStep s;
    s.step = name;
    const int64_t start = monotonic_ms();
    try {
      s.detail = body();
      s.ok = true;
    } catch (const Error& e) {
      s.detail = e.what();
      s.status = e.status();
    }
    s.ms = monotonic_ms() - start;
    steps.push_back(s);
    return s.ok;
  };
  const int64_t deadline = bounded_deadline(monotonic_ms() + connect_timeout_ms_ + command_timeout_ms_);
  std::vector<std::string> by_hand = base_;
  by_hand.insert(by_hand.end(), {"-o", "ControlMaster=yes", "-N", "-f", "--", destination_});
  for (auto& a : by_hand)
    if (a == "BatchMode=yes") a = "BatchMode=no";
  step("transport", [&] {
    return "openssh (the machine's \"transport\"): your ssh, sharing one connection per cluster through the "
           "ControlMaster socket " + control_path_ + "; for a login that needs you (a one-time password), start it "
           "with: " + join_quoted(by_hand);
  }) &&
      step("ssh", [&] {
        CommandResult r = run_process({"ssh", "-V"}, ProcessIo{}, deadline, "ssh -V");
        return std::string(trim(r.err + r.out));
      }) &&
      step("authenticate", [&] {
        const bool was_running = is_socket(control_path_) && master_alive(deadline);
        ensure_master(deadline);
        return std::string(was_running ? "the ControlMaster is already running: " : "ControlMaster started: ") +
               control_path_;
      }) &&
      step("run_command", [&] {
        CommandResult r = run("true", "", deadline - monotonic_ms());
        if (r.exit_status != 0) throw Error(XRUN_E_TRANSPORT, "`true` exited " + std::to_string(r.exit_status));
        return std::string("ok");
      }) &&
      step("shell", [&] {
        CommandResult r = run(kShellProbe, "", deadline - monotonic_ms());
        std::string out(trim(r.out));
        if (r.exit_status != 0 || !starts_with(out, kShellProbeAnswerPrefix))
          throw Error(XRUN_E_TRANSPORT, "the shell probe printed \"" + out.substr(0, 120) +
                                            "\": a startup file prints text, or the login shell cannot run /bin/sh");
        return "login shell " + out.substr(strlen(kShellProbeAnswerPrefix)) + ", commands under /bin/sh";
      });
  return steps;
}

TransportStats OpenSshTransport::stats() const {
  TransportStats s;
  s.auths = masters_started_.load();
  s.handshakes = masters_started_.load();
  s.sessions_opened = masters_started_.load();
  s.commands = commands_.load();
  s.transfers = transfers_.load();
  s.bulk_fetches = bulk_fetches_.load();
  return s;
}

}  // namespace xrun::ssh
