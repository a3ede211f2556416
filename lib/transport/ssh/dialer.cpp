#include "transport/ssh/dialer.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "util/clock.h"
#include "util/error.h"

extern char** environ;

namespace xrun::ssh {
namespace {

constexpr size_t kProxyStderrCap = 4096;  // kept of the proxy's stderr, for messages

std::string where(const SshTarget& t) { return t.key() + " (machine " + t.machine + ")"; }

// One address: a non-blocking connect waited for until the deadline.
// Returns the connected socket, or -1 with `why` set.
int connect_one(const struct addrinfo* ai, int64_t deadline_ms, std::string& why) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    why = strerror(errno);
    return -1;
  }
  int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
  if (rc != 0 && errno != EINPROGRESS) {
    why = strerror(errno);
    ::close(fd);
    return -1;
  }
  while (rc != 0) {
    int64_t left = deadline_ms - monotonic_ms();
    if (left <= 0) {
      why = "no answer before the connect timeout";
      ::close(fd);
      return -1;
    }
    struct pollfd p = {fd, POLLOUT, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (n < 0 && errno != EINTR) {
      why = strerror(errno);
      ::close(fd);
      return -1;
    }
    if (n <= 0) continue;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      why = strerror(err);
      ::close(fd);
      return -1;
    }
    rc = 0;
  }
  // libssh's own NODELAY option applies only to sockets libssh connects;
  // this one is ours. Without it every small SSH packet meets Nagle and
  // the server's delayed ACK: about 40 ms per pooled command.
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // libssh expects a socket in the state a plain connect() leaves it.
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

int tcp_connect(const SshTarget& t, int64_t deadline_ms) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  struct addrinfo* res = nullptr;
  const std::string port = std::to_string(t.port);
  int rc = getaddrinfo(t.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0)
    throw Error(XRUN_E_TRANSPORT, "cannot resolve host " + t.host + " for " + where(t) + ": " + gai_strerror(rc));
  std::string why = "no address";
  int fd = -1;
  for (const struct addrinfo* ai = res; ai && fd < 0; ai = ai->ai_next) fd = connect_one(ai, deadline_ms, why);
  freeaddrinfo(res);
  if (fd < 0)
    throw Error(XRUN_E_TRANSPORT, "cannot connect to " + where(t) + ": " + why +
                                      (why == strerror(ECONNREFUSED) ? " (is sshd running on that port?)" : ""));
  return fd;
}

// %h, %p, %r and %% as OpenSSH expands them in a ProxyCommand.
std::string expand_proxy_command(const std::string& cmd, const SshTarget& t) {
  std::string out;
  for (size_t i = 0; i < cmd.size(); ++i) {
    if (cmd[i] != '%' || i + 1 == cmd.size()) {
      out += cmd[i];
      continue;
    }
    char c = cmd[++i];
    if (c == 'h') out += t.host;
    else if (c == 'p') out += std::to_string(t.port);
    else if (c == 'r') out += t.user;
    else if (c == '%') out += '%';
    else out += std::string("%") + c;
  }
  return out;
}

}  // namespace

Stream& Stream::operator=(Stream&& o) noexcept {
  if (this != &o) {
    std::swap(fd_, o.fd_);
    std::swap(proxy_pid_, o.proxy_pid_);
    std::swap(proxy_err_, o.proxy_err_);
    std::swap(proxy_text_, o.proxy_text_);
    std::swap(proxy_status_, o.proxy_status_);
  }
  return *this;
}

Stream::~Stream() {
  if (fd_ >= 0) ::close(fd_);
  if (proxy_err_ >= 0) ::close(proxy_err_);
  if (proxy_pid_ > 0 && proxy_status_ < 0) {
    // Its socket is closed: a well-behaved proxy is exiting already. Give
    // it a moment, then make sure (its whole process group).
    int st;
    for (int i = 0; i < 20; ++i) {
      if (waitpid(proxy_pid_, &st, WNOHANG) == proxy_pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(-proxy_pid_, SIGKILL);
    while (waitpid(proxy_pid_, &st, 0) < 0 && errno == EINTR) {
    }
  }
}

int Stream::release_fd() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

std::string Stream::proxy_report() {
  if (proxy_pid_ <= 0) return "";
  // Let a proxy that just failed finish writing and exit.
  for (int i = 0; i < 40 && proxy_status_ < 0; ++i) {
    int st;
    if (waitpid(proxy_pid_, &st, WNOHANG) == proxy_pid_) proxy_status_ = st;
    else std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  char buf[1024];
  while (proxy_err_ >= 0 && proxy_text_.size() < kProxyStderrCap) {
    ssize_t n = ::read(proxy_err_, buf, sizeof buf);
    if (n <= 0) break;
    proxy_text_.append(buf, static_cast<size_t>(std::min<ssize_t>(n, kProxyStderrCap - proxy_text_.size())));
  }
  std::string text = proxy_text_;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::string report;
  if (proxy_status_ >= 0)
    report = WIFEXITED(proxy_status_) ? "the jump host command exited with status " +
                                            std::to_string(WEXITSTATUS(proxy_status_))
                                      : "the jump host command was killed";
  else
    report = "the jump host command is still running";
  if (!text.empty()) report += ": " + text;
  return report;
}

Stream dial(const SshTarget& t, const std::string& proxy_command, int64_t deadline_ms) {
  if (proxy_command.empty()) {
    Stream s;
    s.fd_ = tcp_connect(t, deadline_ms);
    return s;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw Error(XRUN_E_TRANSPORT, std::string("socketpair: ") + strerror(errno));
  int ep[2];
  if (pipe2(ep, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    throw Error(XRUN_E_TRANSPORT, std::string("pipe: ") + strerror(e));
  }
  const std::string cmd = expand_proxy_command(proxy_command, t);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
  posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: killed as a whole
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
  const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(sv[1]);
  ::close(ep[1]);
  if (rc != 0) {
    ::close(sv[0]);
    ::close(ep[0]);
    throw Error(XRUN_E_TRANSPORT, "cannot start the proxy command for " + where(t) + ": " + strerror(rc));
  }
  fcntl(ep[0], F_SETFL, fcntl(ep[0], F_GETFL) | O_NONBLOCK);
  Stream s;
  s.fd_ = sv[0];
  s.proxy_pid_ = pid;
  s.proxy_err_ = ep[0];
  return s;
}

}  // namespace xrun::ssh
