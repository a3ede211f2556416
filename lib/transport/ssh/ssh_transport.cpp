#include "transport/ssh/ssh_transport.h"
#include "transport/nul_guard.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "transport/fetch_tree.h"
#include "transport/ssh/session_options.h"
#include "util/clock.h"
#include "util/deadline.h"

namespace xrun::ssh {
namespace {

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::vector<std::string> list_local_dir(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (!d) throw Error(XRUN_E_IO, "cannot list local directory " + path + ": " + strerror(errno));
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

SshTransport::SshTransport(std::shared_ptr<HostPool> pool, SshTarget target)
    : pool_(std::move(pool)), target_(std::move(target)) {}

CommandResult SshTransport::run(const std::string& command, const std::string& stdin_data, int64_t timeout_ms) {
  refuse_nul(command, "command");
  const int64_t deadline =
      bounded_deadline(monotonic_ms() + (timeout_ms > 0 ? timeout_ms : target_.command_timeout_ms));
  for (int attempt = 0;; ++attempt) {
    auto lease = pool_->acquire(deadline);
    bool started = false;
    auto guard = pool_->watchdog().arm(ssh_get_fd(lease->session()), deadline);
    try {
      CommandResult r = lease->exec(command, stdin_data, deadline, started);
      pool_->note_command();
      return r;
    } catch (const Error& e) {
      if (guard.fired()) throw overdue(*lease, "the command", started);
      if (e.status() != XRUN_E_TRANSPORT) throw;
      pool_->note_dead_session();
      // Before the exec request went out the command surely did not run:
      // replaying it on a fresh session is safe. After, it is not.
      if (!started && attempt == 0) continue;
      if (started)
        throw Error(XRUN_E_TRANSPORT, std::string(e.what()) +
                                          "; the connection died while the command was running, so it may "
                                          "or may not have completed");
      throw;
    }
  }
}

Error SshTransport::overdue(Connection& conn, const std::string& what, bool started) {
  conn.mark_broken();
  pool_->note_dead_session();
  return Error(XRUN_E_TIMEOUT, what + " on " + target_.key() + " did not finish by its deadline and the server "
                                   "stopped answering; the connection was closed" +
                                   (started ? " (a command may or may not have completed)" : ""));
}

template <class Op>
auto SshTransport::with_files(Op&& op) -> decltype(op(std::declval<RemoteFiles&>())) {
  for (int attempt = 0;; ++attempt) {
    const int64_t deadline = bounded_deadline(monotonic_ms() + target_.command_timeout_ms);
    auto lease = pool_->acquire(deadline);
    // libssh waits for SFTP replies without limit: the watchdog ends it.
    auto guard = pool_->watchdog().arm(ssh_get_fd(lease->session()), deadline);
    try {
      set_blocking_timeout(lease->session(), deadline - monotonic_ms());
      sftp_session sf = nullptr;
      if (target_.use_sftp && !pool_->sftp_missing) {
        sf = lease->sftp();
        if (!sf) pool_->sftp_missing = true;
      }
      std::unique_ptr<RemoteFiles> files = sf ? sftp_files(*lease, sf, deadline) : exec_files(*lease, deadline);
      return op(*files);
    } catch (const Error& e) {
      if (guard.fired()) throw overdue(*lease, "a file operation", false);
      if (e.status() == XRUN_E_TRANSPORT && lease->broken()) {
        pool_->note_dead_session();
        if (attempt == 0) continue;
      }
      throw;
    }
  }
}

void SshTransport::write_file(const std::string& path, const std::string& content, uint32_t mode) {
  refuse_nul(path, "path");
  with_files([&](RemoteFiles& f) { f.write_file(path, content, mode); });
  pool_->note_transfer();
}

std::string SshTransport::read_file(const std::string& path, int64_t max_bytes) {
  refuse_nul(path, "path");
  std::string data = with_files([&](RemoteFiles& f) { return f.read_file(path, max_bytes); });
  pool_->note_transfer();
  return data;
}

void SshTransport::upload(const std::string& local_path, const std::string& remote_path) {
  refuse_nul(local_path, "local path");
  refuse_nul(remote_path, "remote path");
  struct stat st;
  if (::stat(local_path.c_str(), &st) != 0)
    throw Error(errno == ENOENT ? XRUN_E_NOT_FOUND : XRUN_E_IO,
                "cannot upload " + local_path + ": " + strerror(errno));
  with_files([&](RemoteFiles& f) {
    struct Walker {
      SshTransport& self;
      RemoteFiles& f;
      void go(const std::string& local, const std::string& remote) {
        struct stat s;
        if (::stat(local.c_str(), &s) != 0) throw Error(XRUN_E_IO, "cannot upload " + local + ": " + strerror(errno));
        if (S_ISDIR(s.st_mode)) {
          f.make_dirs(remote, s.st_mode & 07777);
          for (const auto& name : list_local_dir(local)) go(join(local, name), join(remote, name));
        } else if (S_ISREG(s.st_mode)) {
          f.upload_file(local, remote, s.st_mode & 07777);
          self.pool_->note_transfer();
        }
        // Sockets, fifos and devices have no content to send.
      }
    } walker{*this, f};
    // The destination's parent is created as needed, like the job directory.
    auto slash = remote_path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
      std::string parent = remote_path.substr(0, slash);
      if (parent != "~" && parent != ".") f.make_dirs(parent, 0755);
    }
    walker.go(local_path, remote_path);
  });
}

namespace {

// The remote side of a confined copy (fetch_tree.h).
struct RemoteSource {
  RemoteFiles& f;
  HostPool& pool;
  FileInfo lstat(const std::string& p) { return f.lstat(p); }
  FileInfo stat(const std::string& p) { return f.stat(p); }
  std::string real_path(const std::string& p) { return f.real_path(p); }
  std::vector<std::string> list_dir(const std::string& p) { return f.list_dir(p); }
  void copy_file(const std::string& p, const ConfinedDir& into, const std::string& name, uint32_t mode) {
    f.download_file(p, into, name, mode);
    pool.note_transfer();
  }
};

std::string parent_dir(const std::string& p) {
  auto slash = p.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

std::string last_part(const std::string& p) {
  auto slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

}  // namespace

void SshTransport::download(const std::string& remote_path, const std::string& local_path) {
  refuse_nul(remote_path, "remote path");
  refuse_nul(local_path, "local path");
  std::string local = local_path;
  while (local.size() > 1 && local.back() == '/') local.pop_back();
  ConfinedDir parent = ConfinedDir::open_root(parent_dir(local));
  with_files([&](RemoteFiles& f) {
    RemoteSource src{f, *pool_};
    TreeFetcher<RemoteSource>(src, remote_path, target_.key()).fetch(remote_path, parent, last_part(local));
  });
}

void SshTransport::retrieve(const std::string& remote_root, const std::string& rel, const std::string& local_root) {
  refuse_nul(remote_root, "remote path");
  refuse_nul(rel, "path");
  refuse_nul(local_root, "local path");
  check_relative_path(rel, "retrieve path");
  ConfinedDir root = ConfinedDir::open_root(local_root);
  const std::string dir = rel.find('/') == std::string::npos ? "" : parent_dir(rel);
  with_files([&](RemoteFiles& f) {
    RemoteSource src{f, *pool_};
    TreeFetcher<RemoteSource> fetcher(src, remote_root, target_.key());
    if (dir.empty()) {
      fetcher.fetch(join(remote_root, rel), root, rel);
    } else {
      ConfinedDir parent = root.descend(dir);
      fetcher.fetch(join(remote_root, rel), parent, last_part(rel));
    }
  });
}

void SshTransport::make_dirs(const std::string& path, uint32_t mode) {
  refuse_nul(path, "path");
  with_files([&](RemoteFiles& f) { f.make_dirs(path, mode); });
}

FileInfo SshTransport::stat(const std::string& path) {
  refuse_nul(path, "path");
  return with_files([&](RemoteFiles& f) { return f.stat(path); });
}

std::vector<std::string> SshTransport::list_dir(const std::string& path) {
  refuse_nul(path, "path");
  return with_files([&](RemoteFiles& f) { return f.list_dir(path); });
}

void SshTransport::remove(const std::string& path, bool recursive) {
  refuse_nul(path, "path");
  with_files([&](RemoteFiles& f) { f.remove(path, recursive); });
}

std::string SshTransport::resolve_path(const std::string& path) {
  refuse_nul(path, "path");
  if (!path.empty() && path[0] == '/') return path;
  std::string home;
  {
    std::lock_guard<std::mutex> lk(home_mu_);
    home = home_;
  }
  if (home.empty()) {
    home = with_files([&](RemoteFiles& f) { return f.home(); });
    std::lock_guard<std::mutex> lk(home_mu_);
    home_ = home;
  }
  if (path.empty() || path == "~" || path == ".") return home;
  if (path.rfind("~/", 0) == 0) return join(home, path.substr(2));
  return join(home, path);
}

std::vector<CheckStep> SshTransport::check() { return pool_->check(); }

TransportStats SshTransport::stats() const { return pool_->stats(); }

}  // namespace xrun::ssh
