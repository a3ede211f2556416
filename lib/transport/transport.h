// A transport runs shell commands and moves files on one machine. Schedulers
// never open connections: they produce command text and parse outputs, and
// a Transport runs them. Implementations: LocalTransport (this host) and
// SshTransport (libssh, pooled). All methods are thread-safe.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xrun {

struct Machine;

// What run() keeps of a command's output: past either limit the command is
// killed (exit status 137) and output_capped is set, so an endless or huge
// output (a broken squeue, a 100 MB sbatch message) cannot exhaust memory.
// File reads (read_file, download, retrieve) are not commands: not capped.
constexpr size_t kMaxCommandStdout = 16 * 1024 * 1024;
constexpr size_t kMaxCommandStderr = 1024 * 1024;

struct CommandResult {
  int exit_status = -1;  // the command's exit status (128+N if killed by N)
  std::string out;
  std::string err;
  bool output_capped = false;  // killed for passing kMaxCommandStdout/Stderr
};

struct FileInfo {
  bool exists = false;
  bool is_dir = false;
  bool is_regular = false;
  bool is_symlink = false;  // only from an lstat
  uint64_t size = 0;
  uint32_t mode = 0;
};

struct CheckStep {
  std::string step;    // "resolve", "connect", "host_key", "authenticate", ...
  bool ok = false;
  int64_t ms = 0;
  std::string detail;  // on failure, the reason
  int status = 0;      // xrun_status of the failure
};

struct TransportStats {
  int64_t sessions_open = 0, sessions_opened = 0, handshakes = 0, auths = 0;
  int64_t commands = 0, reconnects = 0, transfers = 0;
  int64_t bulk_fetches = 0;  // fetch_files calls that moved files in one stream
  // Channels multiplexed on the sessions (libssh transport): the most open
  // at once on one session, how many opens a server refused (sshd's
  // MaxSessions), and the per-session limit learnt from the first refusal
  // (0: no refusal seen).
  int64_t channels_peak = 0, channels_refused = 0, channel_limit = 0;
};

// One file of a bulk fetch: `remote_dir/name` (remote_dir absolute, name
// one plain component) copied to `local_dir/name`.
struct FileFetch {
  std::string remote_dir, name, local_dir;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Runs `command` with /bin/sh -c semantics (the remote login shell for
  // SSH). The caller quotes every value with quote_for_shell. `stdin_data`
  // is written to its stdin then closed. `timeout_ms` <= 0 uses the
  // machine's command timeout. Throws Error(XRUN_E_TIMEOUT) if it runs out
  // (the command is killed), Error(XRUN_E_TRANSPORT) if the connection
  // fails; a non-zero exit is NOT an error: it is in the result.
  virtual CommandResult run(const std::string& command, const std::string& stdin_data = "",
                            int64_t timeout_ms = 0) = 0;

  // Files. Paths are absolute or relative to the login home; "~/" is
  // expanded on the target. Writes are atomic: a temporary name, then
  // rename, so a half-written file is never seen.
  virtual void write_file(const std::string& path, const std::string& content,
                          uint32_t mode = 0644) = 0;
  virtual std::string read_file(const std::string& path, int64_t max_bytes) = 0;
  virtual void upload(const std::string& local_path, const std::string& remote_path) = 0;
  // Copies a file or tree to `local_path` (its parent must exist). Confined
  // (see fetch_tree.h): entry names the target lists must be plain names,
  // symlinks are followed only to regular files inside `remote_path`, and
  // nothing is written outside `local_path`. XRUN_E_INVALID for a refused
  // name or link, XRUN_E_NOT_FOUND, XRUN_E_IO, XRUN_E_TRANSPORT.
  virtual void download(const std::string& remote_path, const std::string& local_path) = 0;
  // Copies `remote_root/rel` to `local_root/rel` ("sub/f" creates sub/
  // under local_root). `rel` must be relative without "."/".." parts;
  // symlinks may lead anywhere inside remote_root, nothing is written
  // outside local_root (a symlink planted there is refused). Errors as
  // download.
  virtual void retrieve(const std::string& remote_root, const std::string& rel, const std::string& local_root) = 0;
  // The regular files of `items` in as few round trips as the transport
  // allows (SSH: ONE exec stream for all of them, each file's SHA-256
  // checked, written confined like retrieve). Returns, per item, whether
  // it was copied; anything else (missing, a directory, a symlink, a
  // damaged stream, a local write error) is left for retrieve(), which
  // says why. Throws only XRUN_E_TIMEOUT at the caller's deadline. The
  // default copies nothing (this host: retrieve is a local copy anyway).
  virtual std::vector<bool> fetch_files(const std::vector<FileFetch>& items) {
    return std::vector<bool>(items.size(), false);
  }
  virtual void make_dirs(const std::string& path, uint32_t mode = 0755) = 0;
  virtual FileInfo stat(const std::string& path) = 0;
  virtual std::vector<std::string> list_dir(const std::string& path) = 0;
  virtual void remove(const std::string& path, bool recursive) = 0;

  // The absolute form of `path` on the target ("~/x" -> "/home/u/x").
  virtual std::string resolve_path(const std::string& path) = 0;

  // The connection steps of `xrun machines check`, each timed.
  virtual std::vector<CheckStep> check() = 0;
  virtual TransportStats stats() const = 0;
};

// The transport for a machine: local, or a pooled SSH transport shared by
// every user of the same (host, port, user) in this process.
class TransportRegistry;

}  // namespace xrun
