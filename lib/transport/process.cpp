#include "transport/process.h"
#include "transport/fd.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/clock.h"
#include "util/error.h"

extern char** environ;

namespace xrun {

namespace {

void make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw Error(XRUN_E_IO, std::string("pipe: ") + strerror(errno));
  read_end.fd = fds[0];
  write_end.fd = fds[1];
}

int wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Kills the child's group and reaps it unless it was reaped already.
struct Child {
  pid_t pid = -1;
  ~Child() {
    if (pid > 0) {
      kill(-pid, SIGKILL);
      wait_child(pid);
    }
  }
  int reap() {
    int status = wait_child(pid);
    pid = -1;
    return status;
  }
  void kill_and_reap() {
    kill(-pid, SIGKILL);
    reap();
  }
  // The exit status, or -2 if it is still running at the deadline.
  int reap_by(int64_t deadline_ms) {
    for (int spins = 0;; ++spins) {
      int status = 0;
      pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        pid = -1;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
        return -1;
      }
      if (r < 0 && errno != EINTR) {
        pid = -1;
        return -1;
      }
      if (monotonic_ms() >= deadline_ms) return -2;
      usleep(spins < 50 ? 100 : 2000);  // most children are exiting already
    }
  }
};

}  // namespace

CommandResult run_process(const std::vector<std::string>& argv, const ProcessIo& io, int64_t deadline_ms,
                          const std::string& what) {
  Fd in_read, in_write, out_read, out_write, err_read, err_write;
  make_pipe(in_read, in_write);
  if (io.stdout_file.empty()) make_pipe(out_read, out_write);
  if (io.stderr_file.empty()) make_pipe(err_read, err_write);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.fd, 0);
  if (io.stdout_file.empty())
    posix_spawn_file_actions_adddup2(&actions, out_write.fd, 1);
  else
    posix_spawn_file_actions_addopen(&actions, 1, io.stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (io.stderr_file.empty())
    posix_spawn_file_actions_adddup2(&actions, err_write.fd, 2);
  else
    posix_spawn_file_actions_addopen(&actions, 2, io.stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group: a timeout kills the program and all it started.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Child child;
  int rc = posix_spawnp(&child.pid, argv.at(0).c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    child.pid = -1;
    throw Error(XRUN_E_IO, "cannot start " + argv[0] + ": " + strerror(rc));
  }
  in_read.close();
  out_write.close();
  err_write.close();

  CommandResult result;
  std::string pending = io.stdin_source ? std::string() : io.stdin_data;
  size_t written = 0;
  bool source_done = !io.stdin_source;
  if (source_done && pending.empty()) in_write.close();
  bool capped = false;
  while (!capped && (out_read.fd >= 0 || err_read.fd >= 0 || in_write.fd >= 0)) {
    if (in_write.fd >= 0 && written == pending.size() && !source_done) {
      pending.resize(65536);
      size_t n = io.stdin_source(pending.data(), pending.size());
      pending.resize(n);
      written = 0;
      if (n == 0) {
        source_done = true;
        in_write.close();
      }
    }
    struct pollfd fds[3];
    int count = 0;
    if (out_read.fd >= 0) fds[count++] = {out_read.fd, POLLIN, 0};
    if (err_read.fd >= 0) fds[count++] = {err_read.fd, POLLIN, 0};
    if (in_write.fd >= 0) fds[count++] = {in_write.fd, POLLOUT, 0};
    if (count == 0) break;
    int64_t left = deadline_ms - monotonic_ms();
    if (left <= 0) {
      child.kill_and_reap();
      throw Error(XRUN_E_TIMEOUT, what + " timed out (its timeout, or its caller's earlier deadline)");
    }
    int n = ::poll(fds, static_cast<nfds_t>(count), static_cast<int>(std::min<int64_t>(left, 1000)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < count && n > 0; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_write.fd) {
        ssize_t w = ::write(in_write.fd, pending.data() + written, pending.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EINTR && errno != EAGAIN) in_write.close();  // it stopped reading
        if (written == pending.size() && source_done) in_write.close();
        continue;
      }
      char buf[65536];
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      const bool is_out = fds[i].fd == out_read.fd;
      if (r > 0) {
        if (is_out && io.stdout_sink) {
          io.stdout_sink(buf, static_cast<size_t>(r));
          continue;
        }
        std::string& sink = is_out ? result.out : result.err;
        sink.append(buf, static_cast<size_t>(r));
        const size_t cap = is_out ? io.max_stdout : io.max_stderr;
        if (sink.size() > cap) {
          sink.resize(cap);
          capped = true;
        }
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        if (is_out) out_read.close(); else err_read.close();
      }
    }
  }
  if (capped) {
    // Its output is not worth more memory: stop it and everything it started.
    child.kill_and_reap();
    result.exit_status = 128 + 9;
    result.output_capped = true;
    return result;
  }
  // Its output ended; it may still be exiting (or hang with its output
  // closed): wait no longer than the deadline.
  int status = child.reap_by(deadline_ms);
  if (status == -2) {
    child.kill_and_reap();
    throw Error(XRUN_E_TIMEOUT, what + " timed out (its timeout, or its caller's earlier deadline)");
  }
  result.exit_status = status;
  return result;
}

}  // namespace xrun
