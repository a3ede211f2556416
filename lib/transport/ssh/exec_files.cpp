// RemoteFiles streamed over exec channels, for sites without SFTP. Every
// transfer carries a SHA-256: the receiving side computes it and the two
// values must agree, so a truncated or altered stream is an error.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <algorithm>
#include <cstdio>

#include "transport/ssh/temp_name.h"
#include "transport/ssh/remote_files.h"
#include "util/error.h"
#include "transport/ssh/sha256.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun::ssh {

std::string shell_path(const std::string& path) {
  if (path == "~") return "\"$HOME\"";
  if (starts_with(path, "~/")) return "\"$HOME\"/" + quote_for_shell(path.substr(2));
  return quote_for_shell(path);
}

namespace {

// A local descriptor closed (and its temporary file removed) on the way out.
struct LocalFd {
  explicit LocalFd(int f) : fd(f) {}
  ~LocalFd() {
    if (fd >= 0) ::close(fd);
    if (!unlink_on_close.empty()) ::unlink(unlink_on_close.c_str());
  }
  int fd;
  std::string unlink_on_close;
};

constexpr int kMissing = 96;   // exit status our scripts use for "no such file"
constexpr int kMismatch = 97;  // exit status for "checksum mismatch"

std::string octal(uint32_t mode) {
  char buf[16];
  snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

class ExecFiles final : public RemoteFiles {
 public:
  ExecFiles(CommandChannel& conn, int64_t deadline_ms) : conn_(conn), deadline_ms_(deadline_ms) {}

  void write_file(const std::string& path, const std::string& content, uint32_t mode) override {
    const std::string sum = sha256_hex(content);
    // The receiver checks the sum before the rename: a short stream never
    // replaces the file.
    const std::string script =
        "f=" + shell_path(path) + "; t=\"$(dirname -- \"$f\")/.xrun-tmp.$(basename -- \"$f\").$$\"; " +
        "umask 077; cat > \"$t\" || exit 1; s=$(sha256sum < \"$t\") || { rm -f -- \"$t\"; exit 1; }; " +
        "s=${s%% *}; if [ \"$s\" != " + sum + " ]; then rm -f -- \"$t\"; echo \"checksum mismatch: got $s\" >&2; " +
        "exit " + std::to_string(kMismatch) + "; fi; chmod " + octal(mode) + " \"$t\" && mv -f -- \"$t\" \"$f\" " +
        "&& echo \"$s\"";
    CommandResult r = run(script, content);
    if (r.exit_status == kMismatch)
      throw Error(XRUN_E_TRANSPORT, "upload of " + path + " to " + conn_.name() +
                                        " arrived damaged (checksum mismatch): " + std::string(trim(r.err)));
    check(r, "cannot write", path);
    if (trim(r.out) != sum)
      throw Error(XRUN_E_TRANSPORT, "upload of " + path + " to " + conn_.name() +
                                        ": the remote checksum did not come back");
  }

  std::string read_file(const std::string& path, int64_t max_bytes) override {
    const std::string take = max_bytes > 0 ? "head -c " + std::to_string(max_bytes) + " < \"$f\"" : "cat < \"$f\"";
    // The sum first (64 hex digits and a newline), then the bytes.
    const std::string script = "f=" + shell_path(path) + "; [ -f \"$f\" ] || { echo \"no such file\" >&2; exit " +
                               std::to_string(kMissing) + "; }; s=$(" + take +
                               " | sha256sum) || exit 1; printf '%s\\n' \"${s%% *}\"; " + take;
    // A file read is not a command's chatter: not capped (head -c bounds it
    // when the caller gave a limit).
    bool started = false;
    CommandResult r = conn_.exec(script, "", deadline_ms_, started, SIZE_MAX);
    check(r, "cannot read", path);
    if (r.out.size() < 65 || r.out[64] != '\n')
      throw Error(XRUN_E_TRANSPORT, "reading " + path + " from " + conn_.name() + ": malformed stream");
    std::string data = r.out.substr(65);
    if (sha256_hex(data) != r.out.substr(0, 64))
      throw Error(XRUN_E_TRANSPORT, "download of " + path + " from " + conn_.name() +
                                        " arrived damaged (checksum mismatch)");
    return data;
  }

  // Streams the local file as stdin (memory stays bounded whatever its
  // size); the remote side reports the sum of what it stored, which must
  // match ours before the temporary file is renamed into place.
  void upload_file(const std::string& local, const std::string& remote, uint32_t mode) override {
    LocalFd in(::open(local.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.fd < 0)
      throw Error(errno == ENOENT ? XRUN_E_NOT_FOUND : XRUN_E_IO,
                  "cannot open local file " + local + ": " + strerror(errno));
    Sha256 sum;
    auto source = [&](char* buf, size_t cap) -> size_t {
      for (;;) {
        ssize_t n = ::read(in.fd, buf, cap);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(XRUN_E_IO, "cannot read local file " + local + ": " + strerror(errno));
        sum.update(std::string_view(buf, static_cast<size_t>(n)));
        return static_cast<size_t>(n);
      }
    };
    const std::string script =
        "f=" + shell_path(remote) + "; t=\"$(dirname -- \"$f\")/.xrun-tmp.$(basename -- \"$f\").$$\"; " +
        "umask 077; cat > \"$t\" || { rm -f -- \"$t\"; exit 1; }; " +
        "s=$(sha256sum < \"$t\") || { rm -f -- \"$t\"; exit 1; }; printf '%s\\n%s' \"${s%% *}\" \"$t\"";
    bool started = false;
    CommandResult r = conn_.exec_streaming(script, source, nullptr, deadline_ms_, started);
    check(r, "cannot write", remote);
    const std::string expected = sum.hex_digest();
    auto nl = r.out.find('\n');
    const std::string tmp = nl == std::string::npos ? "" : r.out.substr(nl + 1);
    if (nl == std::string::npos || tmp.empty())
      throw Error(XRUN_E_TRANSPORT, "upload of " + local + " to " + conn_.name() + ": no checksum came back");
    if (r.out.substr(0, nl) != expected) {
      run("rm -f -- " + quote_for_shell(tmp), "");
      throw Error(XRUN_E_TRANSPORT, "upload of " + local + " to " + remote + " on " + conn_.name() +
                                        " arrived damaged (checksum mismatch)");
    }
    check(run("chmod " + octal(mode) + " -- " + quote_for_shell(tmp) + " && mv -f -- " + quote_for_shell(tmp) +
                  " " + shell_path(remote),
              ""),
          "cannot write", remote);
  }

  // Streams stdout into a local temporary file; the remote side sends the
  // sum of the file after its content, on stderr.
  void download_file(const std::string& remote, const ConfinedDir& into, const std::string& name,
                     uint32_t mode) override {
    ConfinedDir::NewFile out = into.create(name);
    Sha256 sum;
    auto sink = [&](const char* data, size_t n) {
      sum.update(std::string_view(data, n));
      out.write(data, n);
    };
    const std::string script = "f=" + shell_path(remote) + "; [ -f \"$f\" ] || { echo \"no such file\" >&2; exit " +
                               std::to_string(kMissing) + "; }; cat < \"$f\" || exit 1; " +
                               "s=$(sha256sum < \"$f\") || exit 1; printf '\\n%s\\n' \"${s%% *}\" >&2";
    bool started = false;
    CommandResult r = conn_.exec_streaming(script, nullptr, sink, deadline_ms_, started, SIZE_MAX);
    check(r, "cannot read", remote);
    std::string err(trim(r.err));
    std::string remote_sum = err.substr(err.find_last_of('\n') == std::string::npos ? 0 : err.find_last_of('\n') + 1);
    if (remote_sum != sum.hex_digest())
      throw Error(XRUN_E_TRANSPORT, "download of " + remote + " from " + conn_.name() +
                                        " arrived damaged (checksum mismatch)");
    out.commit(mode);
  }

  std::vector<bool> fetch_files(const std::vector<FileFetch>& items) override {
    return bulk_fetch(conn_, items, deadline_ms_);
  }

  void make_dirs(const std::string& path, uint32_t mode) override {
    CommandResult r = run("mkdir -p -m " + octal(mode) + " -- " + shell_path(path), "");
    check(r, "cannot create directory", path);
  }

  FileInfo stat(const std::string& path) override { return stat_with(path, "-L "); }
  FileInfo lstat(const std::string& path) override { return stat_with(path, ""); }

  std::string real_path(const std::string& path) override {
    CommandResult r = run("realpath -- " + shell_path(path), "");
    check(r, "cannot resolve", path);
    std::string out(trim(r.out));
    if (out.empty() || out[0] != '/')
      throw Error(XRUN_E_TRANSPORT, "realpath of " + path + " on " + conn_.name() + ": unexpected output");
    return out;
  }

  std::vector<std::string> list_dir(const std::string& path) override {
    CommandResult r = run("f=" + shell_path(path) + "; [ -d \"$f\" ] || { echo \"no such directory\" >&2; exit " +
                              std::to_string(kMissing) + "; }; find \"$f\" -mindepth 1 -maxdepth 1 -printf '%f\\0'",
                          "");
    check(r, "cannot list", path);
    std::vector<std::string> names;
    size_t start = 0;
    for (size_t i = 0; i < r.out.size(); ++i) {
      if (r.out[i] == '\0') {
        names.push_back(r.out.substr(start, i - start));
        start = i + 1;
      }
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  void remove(const std::string& path, bool recursive) override {
    const std::string script = recursive ? "rm -rf -- " + shell_path(path)
                                         : "f=" + shell_path(path) +
                                               "; if [ -d \"$f\" ] && [ ! -L \"$f\" ]; then rmdir -- \"$f\"; "
                                               "else rm -f -- \"$f\"; fi";
    check(run(script, ""), "cannot remove", path);
  }

  std::string home() override {
    CommandResult r = run("printf '%s' \"$HOME\"", "");
    check(r, "cannot resolve the home directory", "~");
    return r.out;
  }

 private:
  FileInfo stat_with(const std::string& path, const std::string& follow) {
    CommandResult r = run("f=" + shell_path(path) + "; if [ -e \"$f\" ] || [ -L \"$f\" ]; then stat " + follow +
                              "-c '%f %s' -- \"$f\"; else echo missing; fi",
                          "");
    check(r, "cannot stat", path);
    FileInfo info;
    std::string line(trim(r.out));
    if (line == "missing") return info;
    unsigned long raw = 0;
    unsigned long long size = 0;
    if (sscanf(line.c_str(), "%lx %llu", &raw, &size) != 2)
      throw Error(XRUN_E_TRANSPORT, "stat of " + path + " on " + conn_.name() + ": unexpected output \"" +
                                        line + "\"");
    info.exists = true;
    info.is_dir = S_ISDIR(raw);
    info.is_regular = S_ISREG(raw);
    info.is_symlink = S_ISLNK(raw);
    info.size = size;
    info.mode = static_cast<uint32_t>(raw & 07777);
    return info;
  }

  CommandResult run(const std::string& script, const std::string& input) {
    bool started = false;
    return conn_.exec(script, input, deadline_ms_, started);
  }

  void check(const CommandResult& r, const std::string& what, const std::string& path) {
    if (r.exit_status == 0) return;
    std::string msg = what + " " + path + " on " + conn_.name() + ": " +
                      (r.err.empty() ? "exit status " + std::to_string(r.exit_status) : std::string(trim(r.err)));
    throw Error(r.exit_status == kMissing ? XRUN_E_NOT_FOUND : XRUN_E_IO, msg);
  }

  CommandChannel& conn_;
  int64_t deadline_ms_;
};

}  // namespace

std::unique_ptr<RemoteFiles> exec_files(CommandChannel& conn, int64_t deadline_ms) {
  return std::make_unique<ExecFiles>(conn, deadline_ms);
}

}  // namespace xrun::ssh
