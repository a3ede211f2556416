// Entry points: open, detect, stream, and refine a cut-off stdout with what
// its stderr / CRASH file says.
#include "parse/parse.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "parse/code_parser.h"
#include "parse/detect.h"
#include "util/error.h"

namespace xrun::parse {

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Opens a regular file for reading; throws Error(XRUN_E_IO).
int open_regular(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(XRUN_E_IO, "cannot open " + path + ": " + strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    throw Error(XRUN_E_IO, "cannot read " + path + ": not a regular file");
  }
  return fd;
}

// Reads up to `limit` bytes (fewer only at end of file).
std::string read_head(int fd, size_t limit, const std::string& path) {
  std::string head(limit, '\0');
  size_t got = 0;
  while (got < limit) {
    ssize_t n = read(fd, &head[got], limit - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(XRUN_E_IO, "cannot read " + path + ": " + strerror(errno));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  head.resize(got);
  return head;
}

ResultData parse_fd(int fd, const std::string& path, const std::string& parser) {
  std::string head = read_head(fd, kDetectBytes, path);
  auto code_parser = choose_parser(parser, head, path);
  feed_fd(fd, head, *code_parser, path.c_str());
  return code_parser->finish();
}

// Files next to `path` that pw.x / the shell write when a run dies:
// "X.err" (captured stderr), "X.CRASH" and "CRASH".
std::vector<std::string> sibling_reports(const std::string& path) {
  std::string dir, name = path;
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) {
    dir = path.substr(0, slash + 1);
    name = path.substr(slash + 1);
  }
  std::string stem = name.substr(0, name.rfind('.'));
  std::vector<std::string> out;
  for (const std::string& candidate : {dir + stem + ".err", dir + stem + ".CRASH", dir + "CRASH"}) {
    if (candidate != path) out.push_back(candidate);
  }
  return out;
}

constexpr off_t kMaxSiblingBytes = 4 << 20;

// A stdout cut short rarely says why; its stderr or CRASH file often does
// (an allocation failure, an MPI abort). Adopt their diagnosis when it tells
// more than the stdout's.
void refine_from_siblings(ResultData& data, const std::string& path) {
  if (data.diagnosis.code != "truncated_output") return;
  for (const auto& sibling : sibling_reports(path)) {
    struct stat st;
    if (stat(sibling.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxSiblingBytes) continue;
    try {
      Fd fd(open_regular(sibling));
      // The sibling is written by the same code (VASP's is a plain log).
      ResultData other = parse_fd(fd.get(), sibling, data.code == "vasp" ? "vasp-log" : data.code);
      const std::string& code = other.diagnosis.code;
      if (code == "truncated_output" || !diagnosis_is_failure(code)) continue;
      if (diagnosis_priority(code) <= diagnosis_priority(data.diagnosis.code)) continue;
      data.diagnosis = other.diagnosis;
      size_t slash = sibling.rfind('/');
      data.diagnosis.file = slash == std::string::npos ? sibling : sibling.substr(slash + 1);
    } catch (const Error&) {
      // An unreadable sibling only means no extra information.
    }
  }
}

}  // namespace

std::unique_ptr<Result> parse_file(const std::string& path, const std::string& parser) {
  Fd fd(open_regular(path));
  ResultData data = parse_fd(fd.get(), path, parser);
  refine_from_siblings(data, path);
  return std::make_unique<ParsedResult>(std::move(data));
}

std::unique_ptr<Result> parse_buffer(std::string_view data, const std::string& parser) {
  auto code_parser = choose_parser(parser, data.substr(0, kDetectBytes), "the buffer");
  feed_buffer(data, *code_parser);
  return std::make_unique<ParsedResult>(code_parser->finish());
}

}  // namespace xrun::parse
