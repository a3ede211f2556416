// File operations on one borrowed connection: over SFTP, or, for sites
// without SFTP (or use_sftp false), streamed over exec channels with a
// SHA-256 checked on both sides. Paths: absolute, or relative to the login
// home, "~" and "~/..." meaning the home.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transport/confined_dir.h"
#include "transport/ssh/command_channel.h"

// libssh's handle, declared as libssh does: no libssh header here.
typedef struct sftp_session_struct* sftp_session;

namespace xrun::ssh {

class Connection;

class RemoteFiles {
 public:
  virtual ~RemoteFiles() = default;
  // Atomic: written under a temporary name in the same directory, then
  // renamed over `path`.
  virtual void write_file(const std::string& path, const std::string& content, uint32_t mode) = 0;
  // At most max_bytes (<= 0: all). XRUN_E_NOT_FOUND if missing.
  virtual std::string read_file(const std::string& path, int64_t max_bytes) = 0;
  // One regular file each way, atomic on the receiving side, mode kept.
  virtual void upload_file(const std::string& local, const std::string& remote, uint32_t mode) = 0;
  // Into `into/name` (atomic: a temporary name, then rename), with `mode`.
  virtual void download_file(const std::string& remote, const ConfinedDir& into, const std::string& name,
                             uint32_t mode) = 0;
  virtual void make_dirs(const std::string& path, uint32_t mode) = 0;
  virtual FileInfo stat(const std::string& path) = 0;   // follows symlinks
  virtual FileInfo lstat(const std::string& path) = 0;  // does not
  // The absolute path with every symlink resolved (the target's realpath).
  virtual std::string real_path(const std::string& path) = 0;
  virtual std::vector<std::string> list_dir(const std::string& path) = 0;  // sorted, no . and ..
  virtual void remove(const std::string& path, bool recursive) = 0;        // missing: no-op
  virtual std::string home() = 0;                                          // absolute
  // Transport::fetch_files over this connection: one exec stream.
  virtual std::vector<bool> fetch_files(const std::vector<FileFetch>& items) = 0;
};

// ONE command streams every regular file of `items` (bulk_fetch.cpp).
std::vector<bool> bulk_fetch(CommandChannel& conn, const std::vector<FileFetch>& items, int64_t deadline_ms);

std::unique_ptr<RemoteFiles> sftp_files(Connection& conn, sftp_session sftp, int64_t deadline_ms);
std::unique_ptr<RemoteFiles> exec_files(CommandChannel& conn, int64_t deadline_ms);

// For the shell: "~/a b" -> "$HOME"/'a b'.
std::string shell_path(const std::string& path);

}  // namespace xrun::ssh
