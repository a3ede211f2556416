// RemoteFiles over SFTP.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "transport/ssh/temp_name.h"
#include "transport/ssh/connection.h"
#include "transport/ssh/remote_files.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun::ssh {
namespace {

constexpr size_t kChunk = 64 * 1024;

// SFTP paths are relative to the login home already.
std::string sftp_path(const std::string& path) {
  if (path == "~") return ".";
  if (starts_with(path, "~/")) return path.size() == 2 ? "." : path.substr(2);
  return path;
}

std::string parent_of(const std::string& p) {
  auto slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return p.substr(0, slash);
}

std::string base_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

class SftpFiles final : public RemoteFiles {
 public:
  SftpFiles(Connection& conn, sftp_session sftp, int64_t deadline_ms)
      : conn_(conn), sftp_(sftp), deadline_ms_(deadline_ms) {}

  void write_file(const std::string& path, const std::string& content, uint32_t mode) override {
    std::string p = sftp_path(path);
    std::string tmp = temp_name(p);
    SftpFilePtr f = open_for_write(tmp);
    for (size_t off = 0; off < content.size();) {
      size_t n = std::min(kChunk, content.size() - off);
      write_chunk(f.get(), tmp, content.data() + off, n);
      off += n;
    }
    finish(std::move(f), tmp, p, mode);
  }

  std::string read_file(const std::string& path, int64_t max_bytes) override {
    std::string p = sftp_path(path);
    // The server's open() of a FIFO waits for a writer, and its reply with it.
    FileInfo info = stat(path);
    if (!info.exists) throw Error(XRUN_E_NOT_FOUND, "cannot open " + p + " on " + conn_.target().key() + ": no such file");
    if (!info.is_regular)
      throw Error(XRUN_E_IO, "cannot read " + p + " on " + conn_.target().key() +
                                 ": not a regular file (a FIFO or device would block)");
    SftpFilePtr f(sftp_open(sftp_, p.c_str(), O_RDONLY, 0));
    if (!f) fail("cannot open", p);
    std::string out;
    char buf[kChunk];
    for (;;) {
      size_t want = sizeof buf;
      if (max_bytes > 0) {
        if (out.size() >= static_cast<size_t>(max_bytes)) break;
        want = std::min(want, static_cast<size_t>(max_bytes) - out.size());
      }
      ssize_t n = sftp_read(f.get(), buf, want);
      if (n < 0) fail("cannot read", p);
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  void upload_file(const std::string& local, const std::string& remote, uint32_t mode) override {
    int fd = ::open(local.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw Error(errno == ENOENT ? XRUN_E_NOT_FOUND : XRUN_E_IO,
                  "cannot open local file " + local + ": " + strerror(errno));
    struct FdCloser {
      int fd;
      ~FdCloser() { ::close(fd); }
    } closer{fd};
    std::string p = sftp_path(remote);
    std::string tmp = temp_name(p);
    SftpFilePtr f = open_for_write(tmp);
    char buf[kChunk];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int e = errno;
        f.reset();
        sftp_unlink(sftp_, tmp.c_str());
        throw Error(XRUN_E_IO, "cannot read local file " + local + ": " + strerror(e));
      }
      if (n == 0) break;
      write_chunk(f.get(), tmp, buf, static_cast<size_t>(n));
    }
    finish(std::move(f), tmp, p, mode);
  }

  // Streams into a temporary local file (outputs can be many GB), then
  // renames it into place with the remote mode.
  void download_file(const std::string& remote, const ConfinedDir& into, const std::string& name,
                     uint32_t mode) override {
    std::string p = sftp_path(remote);
    SftpFilePtr f(sftp_open(sftp_, p.c_str(), O_RDONLY, 0));
    if (!f) fail("cannot open", p);
    ConfinedDir::NewFile out = into.create(name);
    char buf[kChunk];
    for (;;) {
      ssize_t n = sftp_read(f.get(), buf, sizeof buf);
      if (n < 0) fail("cannot read", p);
      if (n == 0) break;
      out.write(buf, static_cast<size_t>(n));
    }
    out.commit(mode);
  }

  std::vector<bool> fetch_files(const std::vector<FileFetch>& items) override {
    return bulk_fetch(conn_, items, deadline_ms_);
  }

  void make_dirs(const std::string& path, uint32_t mode) override {
    std::string p = sftp_path(path);
    if (is_dir(p)) return;
    std::string prefix = p[0] == '/' ? "/" : "";
    size_t pos = prefix.size();
    while (pos <= p.size()) {
      size_t next = p.find('/', pos);
      if (next == std::string::npos) next = p.size();
      std::string part = p.substr(pos, next - pos);
      pos = next + 1;
      if (part.empty() || part == ".") continue;
      prefix += (prefix.empty() || prefix == "/" ? "" : "/") + part;
      if (sftp_mkdir(sftp_, prefix.c_str(), mode) != SSH_OK) {
        // The mkdir's own error: the stat that follows would replace it
        // (an unwritable parent read as "no such file").
        int code = sftp_get_error(sftp_);
        if (!is_dir(prefix)) fail("cannot create directory", prefix, code);
      }
    }
  }

  FileInfo stat(const std::string& path) override { return stat_with(path, sftp_stat); }
  FileInfo lstat(const std::string& path) override { return stat_with(path, sftp_lstat); }

  std::string real_path(const std::string& path) override {
    std::string p = sftp_path(path);
    SshCString r(sftp_canonicalize_path(sftp_, p.c_str()));
    if (!r) fail("cannot resolve", p);
    return r.get();
  }

  std::vector<std::string> list_dir(const std::string& path) override {
    std::string p = sftp_path(path);
    SftpDirPtr d(sftp_opendir(sftp_, p.c_str()));
    if (!d) fail("cannot list", p);
    std::vector<std::string> names;
    while (SftpAttributesPtr a{sftp_readdir(sftp_, d.get())}) {
      std::string name = a->name ? a->name : "";
      if (name != "." && name != ".." && !name.empty()) names.push_back(name);
    }
    if (!sftp_dir_eof(d.get())) fail("cannot list", p);
    std::sort(names.begin(), names.end());
    return names;
  }

  void remove(const std::string& path, bool recursive) override {
    std::string p = sftp_path(path);
    SftpAttributesPtr a(sftp_lstat(sftp_, p.c_str()));
    if (!a) {
      if (sftp_get_error(sftp_) == SSH_FX_NO_SUCH_FILE) return;
      fail("cannot stat", p);
    }
    if (a->type == SSH_FILEXFER_TYPE_DIRECTORY) {
      if (recursive)
        for (const auto& name : list_dir(p)) remove(p + "/" + name, true);
      if (sftp_rmdir(sftp_, p.c_str()) != SSH_OK) fail("cannot remove directory", p);
    } else if (sftp_unlink(sftp_, p.c_str()) != SSH_OK) {
      fail("cannot remove", p);
    }
  }

  std::string home() override {
    SshCString h(sftp_canonicalize_path(sftp_, "."));
    if (!h) fail("cannot resolve the home directory", ".");
    return h.get();
  }

 private:
  // `code`: the SFTP status to report (-1: the last one).
  [[noreturn]] void fail(const std::string& what, const std::string& path, int code = -1) {
    const std::string where = what + " " + path + " on " + conn_.target().key();
    if (!ssh_is_connected(conn_.session())) {
      conn_.mark_broken();
      throw Error(XRUN_E_TRANSPORT, where + ": connection lost: " + conn_.last_error());
    }
    if (code < 0) code = sftp_get_error(sftp_);
    switch (code) {
      case SSH_FX_NO_SUCH_FILE:
      case SSH_FX_NO_SUCH_PATH:
        throw Error(XRUN_E_NOT_FOUND, where + ": no such file or directory");
      case SSH_FX_PERMISSION_DENIED:
        throw Error(XRUN_E_IO, where + ": permission denied");
      case SSH_FX_FILE_ALREADY_EXISTS:
        throw Error(XRUN_E_IO, where + ": already exists");
      case SSH_FX_OK:
      case SSH_FX_EOF:
        // No SFTP status: the error was in the SSH layer underneath.
        conn_.mark_broken();
        throw Error(XRUN_E_TRANSPORT, where + ": " + conn_.last_error());
      default:
        throw Error(XRUN_E_IO, where + ": SFTP error " + std::to_string(code) + " (" + conn_.last_error() + ")");
    }
  }

  FileInfo stat_with(const std::string& path, sftp_attributes (*fn)(sftp_session, const char*)) {
    std::string p = sftp_path(path);
    SftpAttributesPtr a(fn(sftp_, p.c_str()));
    FileInfo info;
    if (!a) {
      if (sftp_get_error(sftp_) == SSH_FX_NO_SUCH_FILE) return info;
      fail("cannot stat", p);
    }
    info.exists = true;
    info.is_dir = a->type == SSH_FILEXFER_TYPE_DIRECTORY;
    info.is_regular = a->type == SSH_FILEXFER_TYPE_REGULAR;
    info.is_symlink = a->type == SSH_FILEXFER_TYPE_SYMLINK;
    info.size = a->size;
    info.mode = a->permissions & 07777;
    return info;
  }

  bool is_dir(const std::string& p) {
    SftpAttributesPtr a(sftp_stat(sftp_, p.c_str()));
    return a && a->type == SSH_FILEXFER_TYPE_DIRECTORY;
  }

  std::string temp_name(const std::string& p) {
    std::string dir = parent_of(p);
    return (dir == "/" ? "" : dir) + "/.xrun-tmp." + base_of(p) + "." + temp_suffix();
  }

  SftpFilePtr open_for_write(const std::string& tmp) {
    SftpFilePtr f(sftp_open(sftp_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600));
    if (!f) fail("cannot create", tmp);
    return f;
  }

  void write_chunk(sftp_file f, const std::string& tmp, const char* data, size_t n) {
    while (n > 0) {
      ssize_t w = sftp_write(f, data, n);
      if (w <= 0) {
        try {
          fail("cannot write", tmp);
        } catch (...) {
          if (ssh_is_connected(conn_.session())) sftp_unlink(sftp_, tmp.c_str());
          throw;
        }
      }
      data += w;
      n -= static_cast<size_t>(w);
    }
  }

  // Close, set the mode, rename over the target: readers see the old file
  // or the whole new one, never a part.
  void finish(SftpFilePtr f, const std::string& tmp, const std::string& p, uint32_t mode) {
    sftp_file raw = f.release();
    bool ok = sftp_close(raw) == SSH_OK && sftp_chmod(sftp_, tmp.c_str(), mode & 07777) == SSH_OK &&
              (sftp_rename(sftp_, tmp.c_str(), p.c_str()) == SSH_OK || replace_existing(tmp, p));
    if (!ok) {
      try {
        fail("cannot finish writing", p);
      } catch (...) {
        if (ssh_is_connected(conn_.session())) sftp_unlink(sftp_, tmp.c_str());
        throw;
      }
    }
  }

  // SFTP v3 rename refuses an existing target, and libssh 0.10 does not
  // send OpenSSH's posix-rename extension; rename(2) through mv does the
  // atomic replace. A server without exec gets a replace through a side
  // name: never a partial file, but briefly no file.
  bool replace_existing(const std::string& tmp, const std::string& p) {
    if (!ssh_is_connected(conn_.session())) return false;
    SftpAttributesPtr target(sftp_lstat(sftp_, p.c_str()));
    if (!target) return false;  // the rename failed for another reason
    try {
      bool started = false;
      CommandResult r = conn_.exec("mv -f -- " + quote_for_shell(tmp) + " " + quote_for_shell(p), "",
                                   deadline_ms_, started);
      if (r.exit_status == 0) return true;
    } catch (const Error& e) {
      if (e.status() == XRUN_E_TRANSPORT) throw;
    }
    const std::string aside = tmp + ".old";
    if (sftp_rename(sftp_, p.c_str(), aside.c_str()) != SSH_OK) return false;
    if (sftp_rename(sftp_, tmp.c_str(), p.c_str()) != SSH_OK) {
      sftp_rename(sftp_, aside.c_str(), p.c_str());
      return false;
    }
    sftp_unlink(sftp_, aside.c_str());
    return true;
  }

  Connection& conn_;
  sftp_session sftp_;
  int64_t deadline_ms_;
};

}  // namespace

std::unique_ptr<RemoteFiles> sftp_files(Connection& conn, sftp_session sftp, int64_t deadline_ms) {
  return std::make_unique<SftpFiles>(conn, sftp, deadline_ms);
}

}  // namespace xrun::ssh
