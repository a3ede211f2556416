#include "transport/ssh/local_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include "util/error.h"

namespace xrun::ssh {

std::string temp_suffix() {
  static std::atomic<uint64_t> counter{0};
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(getpid()) + "." + std::to_string(counter++) + "." + std::to_string(rng() % 1000000000);
}

std::string read_local_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw Error(errno == ENOENT ? XRUN_E_NOT_FOUND : XRUN_E_IO,
                "cannot open local file " + path + ": " + strerror(errno));
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw Error(XRUN_E_IO, "cannot read local file " + path + ": " + strerror(e));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

void write_local_file_atomic(const std::string& path, const std::string& content, uint32_t mode) {
  std::string tmp = path + ".xrun-tmp." + temp_suffix();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(XRUN_E_IO, "cannot create local file " + tmp + ": " + strerror(errno));
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(XRUN_E_IO, "cannot write local file " + tmp + ": " + strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  errno = 0;
  bool ok = ::fchmod(fd, mode & 07777) == 0;
  int e = errno;
  ok = (::close(fd) == 0) && ok;
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) ok = false;
  if (!ok) {
    if (e == 0) e = errno;
    ::unlink(tmp.c_str());
    throw Error(XRUN_E_IO, "cannot write local file " + path + ": " + strerror(e));
  }
}

}  // namespace xrun::ssh
