// Many finished jobs' files in ONE round trip: the list goes to the remote
// shell on stdin ("index<TAB>path" lines), every regular file comes back on
// stdout framed as
//   F <index> <size> <mode>\n <size bytes> S <sha256>\n     or     M <index>\n
// and is written confined (ConfinedDir) under a temporary name, renamed
// into place only when its SHA-256 matches. Whatever is not a plain regular
// file (missing, a directory, a symlink) is answered M and left to
// Transport::retrieve, which knows how to refuse or follow it safely.
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

#include "transport/confined_dir.h"
#include "transport/ssh/remote_files.h"
#include "transport/ssh/sha256.h"
#include "util/error.h"
#include "util/strings.h"

namespace xrun::ssh {

namespace {

// head -c exactly what wc counted: a file that grew meanwhile cannot shift
// the frames; one that shrank is caught by its checksum.
constexpr const char* kBulkScript =
    "while IFS= read -r __l; do __k=${__l%%\t*}; __f=${__l#*\t}; "
    "if [ -f \"$__f\" ] && [ ! -h \"$__f\" ] && [ -r \"$__f\" ] && __s=$(wc -c < \"$__f\"); then "
    "__m=$(stat -c %a \"$__f\" 2>/dev/null) || __m=644; printf 'F %s %s %s\\n' \"$__k\" $__s \"$__m\"; "
    "head -c $__s < \"$__f\"; __h=$(sha256sum < \"$__f\"); printf 'S %s\\n' \"${__h%% *}\"; "
    "else printf 'M %s\\n' \"$__k\"; fi; done";

class FrameReader {
 public:
  FrameReader(const std::vector<FileFetch>& items, std::vector<bool>& fetched) : items_(items), fetched_(fetched) {}

  void feed(const char* data, size_t n) {
    while (n > 0) {
      if (remaining_ > 0) {
        size_t take = std::min<size_t>(n, static_cast<size_t>(remaining_));
        if (file_) {
          file_->write(data, take);
          sum_->update(std::string_view(data, take));
        }
        remaining_ -= static_cast<int64_t>(take);
        data += take;
        n -= take;
        continue;
      }
      const char* nl = static_cast<const char*>(memchr(data, '\n', n));
      if (!nl) {
        line_.append(data, n);
        if (line_.size() > 4096) throw Error(XRUN_E_TRANSPORT, "bulk fetch: malformed stream");
        return;
      }
      line_.append(data, static_cast<size_t>(nl - data));
      n -= static_cast<size_t>(nl - data) + 1;
      data = nl + 1;
      on_line();
      line_.clear();
    }
  }

 private:
  void on_line() {
    auto words = split_words(line_);
    if (words.size() == 2 && words[0] == "M") return;  // left to retrieve
    if (words.size() == 4 && words[0] == "F") {
      index_ = to_index(words[1]);
      remaining_ = std::stoll(words[2]);
      mode_ = static_cast<uint32_t>(std::stoul(words[3], nullptr, 8)) & 0777;
      if (remaining_ < 0) throw Error(XRUN_E_TRANSPORT, "bulk fetch: malformed stream");
      sum_ = std::make_unique<Sha256>();
      file_.reset();
      try {
        file_ = std::make_unique<ConfinedDir::NewFile>(dir_for(items_[index_].local_dir).create(items_[index_].name));
      } catch (const Error&) {
        // This one cannot be written here (a refused name, a full disk):
        // skip its bytes; retrieve reports it.
      }
      expecting_sum_ = true;
      return;
    }
    if (words.size() == 2 && words[0] == "S" && expecting_sum_) {
      expecting_sum_ = false;
      if (file_ && sum_ && words[1] == sum_->hex_digest()) {
        file_->commit(mode_ ? mode_ : 0644);
        fetched_[index_] = true;
      }
      file_.reset();  // a file never committed is removed
      return;
    }
    throw Error(XRUN_E_TRANSPORT, "bulk fetch: malformed stream");
  }

  size_t to_index(const std::string& word) const {
    size_t k = std::stoul(word);
    if (k >= items_.size()) throw Error(XRUN_E_TRANSPORT, "bulk fetch: malformed stream");
    return k;
  }

  static std::vector<std::string> split_words(const std::string& line) {
    std::vector<std::string> words;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      if (j > i) words.push_back(line.substr(i, j - i));
      i = j;
    }
    return words;
  }

  const ConfinedDir& dir_for(const std::string& local_dir) {
    auto it = dirs_.find(local_dir);
    if (it == dirs_.end())
      it = dirs_.emplace(local_dir, std::make_unique<ConfinedDir>(ConfinedDir::open_root(local_dir))).first;
    return *it->second;
  }

  const std::vector<FileFetch>& items_;
  std::vector<bool>& fetched_;
  std::map<std::string, std::unique_ptr<ConfinedDir>> dirs_;
  std::string line_;
  size_t index_ = 0;
  int64_t remaining_ = 0;
  uint32_t mode_ = 0644;
  bool expecting_sum_ = false;
  std::unique_ptr<Sha256> sum_;
  std::unique_ptr<ConfinedDir::NewFile> file_;
};

}  // namespace

std::vector<bool> bulk_fetch(CommandChannel& conn, const std::vector<FileFetch>& items, int64_t deadline_ms) {
  std::vector<bool> fetched(items.size(), false);
  std::string list;
  for (size_t k = 0; k < items.size(); ++k) {
    const FileFetch& item = items[k];
    const std::string path = item.remote_dir + "/" + item.name;
    // Only plain names under an absolute directory, on one line: anything
    // else goes through retrieve, which checks it properly.
    if (!is_plain_name(item.name) || item.remote_dir.empty() || item.remote_dir[0] != '/' ||
        path.find_first_of("\n\t") != std::string::npos)
      continue;
    list += std::to_string(k) + "\t" + path + "\n";
  }
  if (list.empty()) return fetched;
  size_t offset = 0;
  auto source = [&](char* buffer, size_t capacity) -> size_t {
    size_t n = std::min(capacity, list.size() - offset);
    memcpy(buffer, list.data() + offset, n);
    offset += n;
    return n;
  };
  FrameReader reader(items, fetched);
  try {
    bool started = false;
    CommandResult r = conn.exec_streaming(kBulkScript, source, [&](const char* d, size_t n) { reader.feed(d, n); },
                                          deadline_ms, started, SIZE_MAX);
    (void)r;  // what arrived whole is kept; the rest goes through retrieve
  } catch (const Error& e) {
    if (e.status() == XRUN_E_TIMEOUT) throw;
    // A broken stream: the files committed so far are whole (checked).
  } catch (const std::exception&) {
    // a malformed number in a frame: the same
  }
  return fetched;
}

}  // namespace xrun::ssh
