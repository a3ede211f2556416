#include "transport/confined_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "transport/ssh/temp_name.h"
#include "util/error.h"

namespace xrun {
namespace {

std::string errno_text() { return strerror(errno); }

void mkdir_parents(const std::string& path, mode_t mode) {
  std::string partial;
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST)
      throw Error(XRUN_E_IO, "cannot create directory " + partial + ": " + errno_text());
  }
}

}  // namespace

bool is_plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

void check_relative_path(const std::string& rel, const std::string& what) {
  if (rel.empty() || rel[0] == '/')
    throw Error(XRUN_E_INVALID, what + " \"" + rel + "\" must be a relative path inside its directory");
  size_t start = 0;
  for (;;) {
    size_t slash = rel.find('/', start);
    std::string part = rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!is_plain_name(part))
      throw Error(XRUN_E_INVALID, what + " \"" + rel + "\" has a component \"" + part +
                                      "\" that would leave its directory (or is empty)");
    if (slash == std::string::npos) return;
    start = slash + 1;
  }
}

ConfinedDir ConfinedDir::open_root(const std::string& path, uint32_t mode) {
  if (path.empty()) throw Error(XRUN_E_INVALID, "empty destination directory");
  mkdir_parents(path, mode);
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw Error(XRUN_E_IO, "cannot open directory " + path + ": " + errno_text());
  return ConfinedDir(fd, path);
}

ConfinedDir::~ConfinedDir() {
  if (fd_ >= 0) ::close(fd_);
}

ConfinedDir ConfinedDir::subdir(const std::string& name, uint32_t mode) const {
  const std::string shown = path_ + "/" + name;
  if (!is_plain_name(name))
    throw Error(XRUN_E_INVALID, "refusing to write \"" + name + "\" under " + path_ +
                                    ": not a plain file name (it would leave the destination)");
  if (::mkdirat(fd_, name.c_str(), mode) != 0 && errno != EEXIST)
    throw Error(XRUN_E_IO, "cannot create directory " + shown + ": " + errno_text());
  int fd = ::openat(fd_, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR)
      throw Error(XRUN_E_INVALID, "refusing to write into " + shown +
                                      ": it is a symlink or not a directory (it could lead outside the destination)");
    throw Error(XRUN_E_IO, "cannot open directory " + shown + ": " + errno_text());
  }
  return ConfinedDir(fd, shown);
}

ConfinedDir ConfinedDir::descend(const std::string& rel, uint32_t mode) const {
  check_relative_path(rel, "path");
  size_t slash = rel.find('/');
  ConfinedDir next = subdir(rel.substr(0, slash), mode);
  if (slash == std::string::npos) return next;
  return next.descend(rel.substr(slash + 1), mode);
}

ConfinedDir::NewFile ConfinedDir::create(const std::string& name) const {
  if (!is_plain_name(name))
    throw Error(XRUN_E_INVALID, "refusing to write \"" + name + "\" under " + path_ +
                                    ": not a plain file name (it would leave the destination)");
  std::string tmp = ".xrun-tmp." + name.substr(0, 100) + "." + ssh::temp_suffix();
  int fd = ::openat(fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(XRUN_E_IO, "cannot create local file " + path_ + "/" + tmp + ": " + errno_text());
  return NewFile(fd_, tmp, name, path_ + "/" + tmp, fd);
}

ConfinedDir::NewFile::NewFile(NewFile&& o) noexcept
    : dirfd_(o.dirfd_), tmp_(std::move(o.tmp_)), name_(std::move(o.name_)), shown_(std::move(o.shown_)), fd_(o.fd_) {
  o.fd_ = -1;
  o.tmp_.clear();
}

ConfinedDir::NewFile::~NewFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_.empty()) ::unlinkat(dirfd_, tmp_.c_str(), 0);
}

void ConfinedDir::NewFile::write(const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(XRUN_E_IO, "cannot write local file " + shown_ + ": " + errno_text());
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void ConfinedDir::NewFile::commit(uint32_t mode) {
  if (::fchmod(fd_, mode & 07777) != 0) throw Error(XRUN_E_IO, "cannot set the mode of " + shown_ + ": " + errno_text());
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw Error(XRUN_E_IO, "cannot write local file " + shown_ + ": " + errno_text());
  // renameat replaces whatever has the name -- a symlink planted there is
  // replaced itself, its target untouched. A directory in the way fails.
  if (::renameat(dirfd_, tmp_.c_str(), dirfd_, name_.c_str()) != 0)
    throw Error(XRUN_E_IO, "cannot rename " + shown_ + " to " + name_ + ": " + errno_text());
  tmp_.clear();
}

}  // namespace xrun
