#include "transport/local.h"
#include "transport/nul_guard.h"
#include "transport/fd.h"
#include "transport/fetch_tree.h"
#include "transport/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "util/clock.h"
#include "util/deadline.h"
#include "util/error.h"
#include "util/strings.h"

namespace xrun {

namespace {

std::string errno_text() { return strerror(errno); }

void mkdir_p(const std::string& path, mode_t mode) {
  if (path.empty()) return;
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (mkdir(partial.c_str(), mode) != 0 && errno != EEXIST)
      throw Error(XRUN_E_IO, "cannot create directory " + partial + ": " + errno_text());
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error(XRUN_E_IO, path + " exists and is not a directory");
}

void write_all(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(XRUN_E_IO, "cannot write " + path + ": " + errno_text());
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void write_atomic(const std::string& path, const std::string& content, mode_t mode) {
  std::string tmp = path + ".xrun-tmp." + std::to_string(getpid());
  Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (fd.fd < 0) throw Error(XRUN_E_IO, "cannot create " + tmp + ": " + errno_text());
  try {
    write_all(fd.fd, content.data(), content.size(), tmp);
    if (fchmod(fd.fd, mode) != 0 || fsync(fd.fd) != 0)
      throw Error(XRUN_E_IO, "cannot finish " + tmp + ": " + errno_text());
  } catch (...) {
    unlink(tmp.c_str());
    throw;
  }
  fd.close();
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    unlink(tmp.c_str());
    throw Error(XRUN_E_IO, "cannot rename " + tmp + " to " + path + ": " + strerror(saved));
  }
}

std::string read_limited(const std::string& path, int64_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would wait for a writer forever.
  Fd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.fd < 0) {
    xrun_status status = errno == ENOENT ? XRUN_E_NOT_FOUND : XRUN_E_IO;
    throw Error(status, "cannot read " + path + ": " + errno_text());
  }
  struct stat st;
  if (fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw Error(XRUN_E_IO, "cannot read " + path + ": not a regular file (a FIFO or device would block)");
  fcntl(fd.fd, F_SETFL, fcntl(fd.fd, F_GETFL) & ~O_NONBLOCK);
  std::string out;
  char buf[65536];
  while (max_bytes <= 0 || static_cast<int64_t>(out.size()) < max_bytes) {
    ssize_t n = ::read(fd.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(XRUN_E_IO, "cannot read " + path + ": " + errno_text());
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  if (max_bytes > 0 && static_cast<int64_t>(out.size()) > max_bytes) out.resize(static_cast<size_t>(max_bytes));
  return out;
}

void remove_tree(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw Error(XRUN_E_IO, "cannot remove " + path + ": " + errno_text());
  }
  if (S_ISDIR(st.st_mode)) {
    DIR* dir = opendir(path.c_str());
    if (!dir) throw Error(XRUN_E_IO, "cannot open " + path + ": " + errno_text());
    std::vector<std::string> names;
    while (struct dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(dir);
    for (const auto& name : names) remove_tree(path + "/" + name);
    if (rmdir(path.c_str()) != 0) throw Error(XRUN_E_IO, "cannot remove " + path + ": " + errno_text());
  } else if (unlink(path.c_str()) != 0) {
    throw Error(XRUN_E_IO, "cannot remove " + path + ": " + errno_text());
  }
}

// This host's side of a confined copy (fetch_tree.h).
struct LocalSource {
  static FileInfo info_of(const struct stat& st) {
    FileInfo info;
    info.exists = true;
    info.is_dir = S_ISDIR(st.st_mode);
    info.is_regular = S_ISREG(st.st_mode);
    info.is_symlink = S_ISLNK(st.st_mode);
    info.size = static_cast<uint64_t>(st.st_size);
    info.mode = st.st_mode & 07777;
    return info;
  }
  FileInfo lstat(const std::string& p) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) return FileInfo();
    return info_of(st);
  }
  FileInfo stat(const std::string& p) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) return FileInfo();
    return info_of(st);
  }
  std::string real_path(const std::string& p) {
    char* r = ::realpath(p.c_str(), nullptr);
    if (!r) throw Error(XRUN_E_IO, "cannot resolve " + p + ": " + errno_text());
    std::string out = r;
    free(r);
    return out;
  }
  std::vector<std::string> list_dir(const std::string& p) {
    DIR* dir = opendir(p.c_str());
    if (!dir) throw Error(XRUN_E_IO, "cannot open " + p + ": " + errno_text());
    std::vector<std::string> names;
    while (struct dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(dir);
    return names;
  }
  void copy_file(const std::string& p, const ConfinedDir& into, const std::string& name, uint32_t mode) {
    // O_NONBLOCK: a FIFO swapped in after the check must not block open().
    Fd in(::open(p.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (in.fd < 0) throw Error(errno == ENOENT ? XRUN_E_NOT_FOUND : XRUN_E_IO, "cannot read " + p + ": " + errno_text());
    struct stat st;
    if (fstat(in.fd, &st) != 0 || !S_ISREG(st.st_mode)) throw Error(XRUN_E_IO, "cannot copy " + p + ": not a regular file");
    fcntl(in.fd, F_SETFL, fcntl(in.fd, F_GETFL) & ~O_NONBLOCK);
    ConfinedDir::NewFile out = into.create(name);
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(in.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(XRUN_E_IO, "cannot read " + p + ": " + errno_text());
      if (n == 0) break;
      out.write(buf, static_cast<size_t>(n));
    }
    out.commit(mode);
  }
};

}  // namespace

void copy_tree_local(const std::string& from, const std::string& to) {
  struct stat st;
  if (::stat(from.c_str(), &st) != 0) {
    xrun_status status = errno == ENOENT ? XRUN_E_NOT_FOUND : XRUN_E_IO;
    throw Error(status, "cannot read " + from + ": " + errno_text());
  }
  if (S_ISDIR(st.st_mode)) {
    mkdir_p(to, st.st_mode & 07777);
    DIR* dir = opendir(from.c_str());
    if (!dir) throw Error(XRUN_E_IO, "cannot open " + from + ": " + errno_text());
    std::vector<std::string> names;
    while (struct dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(dir);
    for (const auto& name : names) copy_tree_local(from + "/" + name, to + "/" + name);
    return;
  }
  write_atomic(to, read_limited(from, 0), st.st_mode & 07777);
}

LocalTransport::LocalTransport(int64_t default_timeout_ms) : default_timeout_ms_(default_timeout_ms) {}

CommandResult LocalTransport::run(const std::string& command, const std::string& stdin_data,
                                  int64_t timeout_ms) {
  refuse_nul(command, "command");
  if (timeout_ms <= 0) timeout_ms = default_timeout_ms_;
  ++commands_;
  ProcessIo io;
  io.stdin_data = stdin_data;
  return run_process({"/bin/sh", "-c", command}, io, bounded_deadline(monotonic_ms() + timeout_ms),
                     "local command (timeout " + std::to_string(timeout_ms) + " ms)");
}

void LocalTransport::write_file(const std::string& path, const std::string& content, uint32_t mode) {
  refuse_nul(path, "path");
  ++transfers_;
  write_atomic(resolve_path(path), content, mode);
}

std::string LocalTransport::read_file(const std::string& path, int64_t max_bytes) {
  refuse_nul(path, "path");
  ++transfers_;
  return read_limited(resolve_path(path), max_bytes);
}

void LocalTransport::upload(const std::string& local_path, const std::string& remote_path) {
  refuse_nul(local_path, "local path");
  refuse_nul(remote_path, "remote path");
  ++transfers_;
  copy_tree_local(expand_user(local_path), resolve_path(remote_path));
}

void LocalTransport::download(const std::string& remote_path, const std::string& local_path) {
  refuse_nul(remote_path, "remote path");
  refuse_nul(local_path, "local path");
  ++transfers_;
  std::string from = resolve_path(remote_path);
  std::string to = expand_user(local_path);
  while (to.size() > 1 && to.back() == '/') to.pop_back();
  ConfinedDir parent = ConfinedDir::open_root(parent_of(to));
  LocalSource src;
  TreeFetcher<LocalSource>(src, from, "this host").fetch(from, parent, last_part_of(to));
}

void LocalTransport::retrieve(const std::string& remote_root, const std::string& rel, const std::string& local_root) {
  refuse_nul(remote_root, "path");
  refuse_nul(rel, "path");
  refuse_nul(local_root, "local path");
  check_relative_path(rel, "retrieve path");
  ++transfers_;
  std::string from_root = resolve_path(remote_root);
  ConfinedDir root = ConfinedDir::open_root(expand_user(local_root));
  LocalSource src;
  TreeFetcher<LocalSource> fetcher(src, from_root, "this host");
  if (rel.find('/') == std::string::npos) {
    fetcher.fetch(from_root + "/" + rel, root, rel);
  } else {
    ConfinedDir parent = root.descend(parent_of(rel));
    fetcher.fetch(from_root + "/" + rel, parent, last_part_of(rel));
  }
}

void LocalTransport::make_dirs(const std::string& path, uint32_t mode) {
  refuse_nul(path, "path");
  mkdir_p(resolve_path(path), mode);
}

FileInfo LocalTransport::stat(const std::string& path) {
  refuse_nul(path, "path");
  FileInfo info;
  struct stat st;
  if (::stat(resolve_path(path).c_str(), &st) != 0) return info;
  info.exists = true;
  info.is_dir = S_ISDIR(st.st_mode);
  info.is_regular = S_ISREG(st.st_mode);
  info.size = static_cast<uint64_t>(st.st_size);
  info.mode = st.st_mode & 07777;
  return info;
}

std::vector<std::string> LocalTransport::list_dir(const std::string& path) {
  refuse_nul(path, "path");
  std::string resolved = resolve_path(path);
  DIR* dir = opendir(resolved.c_str());
  if (!dir) throw Error(errno == ENOENT ? XRUN_E_NOT_FOUND : XRUN_E_IO, "cannot list " + resolved + ": " + errno_text());
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);
  return names;
}

void LocalTransport::remove(const std::string& path, bool recursive) {
  refuse_nul(path, "path");
  std::string resolved = resolve_path(path);
  if (resolved == "/" || resolved.empty()) throw Error(XRUN_E_INVALID, "refusing to remove \"" + resolved + "\"");
  if (recursive) {
    remove_tree(resolved);
  } else if (::remove(resolved.c_str()) != 0 && errno != ENOENT) {
    throw Error(XRUN_E_IO, "cannot remove " + resolved + ": " + errno_text());
  }
}

std::string LocalTransport::resolve_path(const std::string& path) {
  refuse_nul(path, "path");
  std::string expanded = expand_user(path);
  if (!expanded.empty() && expanded[0] == '/') return expanded;
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) throw Error(XRUN_E_IO, "getcwd: " + errno_text());
  return std::string(cwd) + "/" + expanded;
}

std::vector<CheckStep> LocalTransport::check() {
  CheckStep step;
  step.step = "run_command";
  int64_t t0 = monotonic_ms();
  try {
    CommandResult r = run("true", "", 10000);
    step.ok = r.exit_status == 0;
    if (!step.ok) step.detail = "`true` exited " + std::to_string(r.exit_status);
  } catch (const Error& e) {
    step.detail = e.what();
    step.status = e.status();
  }
  step.ms = monotonic_ms() - t0;
  return {step};
}

TransportStats LocalTransport::stats() const {
  TransportStats s;
  s.commands = commands_.load();
  s.transfers = transfers_.load();
  return s;
}

}  // namespace xrun
