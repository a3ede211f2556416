// Many finished jobs' files in ONE round trip and a handful of remote
// processes whatever their number: the list goes to the remote shell on
// stdin ("index<TAB>path" lines); it answers, in order,
//   K <index> | M <index>      per item: a plain regular file, or not
//   STAT / "<size> <mode>"     per K item (one `stat` for all of them)
//   SUMS / "<sha256>"          per K item (one `sha256sum` for all)
//   DATA / the K files' bytes back to back (one `cat` for all)
// Each file is written confined (ConfinedDir) under a temporary name and
// renamed into place only if its bytes have the SHA-256 the remote
// computed, so a file that changed meanwhile (or a cut stream) is never
// kept. Items answered M (missing, a directory, a symlink) and any that
// did not arrive whole are left to Transport::retrieve.
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

constexpr const char* kBulkScript =
    "__t=$(mktemp) || exit 1; trap 'rm -f \"$__t\"' EXIT; "
    "while IFS= read -r __l; do __k=${__l%%\t*}; __f=${__l#*\t}; "
    "if [ -f \"$__f\" ] && [ ! -h \"$__f\" ] && [ -r \"$__f\" ]; then printf '%s\\0' \"$__f\" >> \"$__t\"; "
    "printf 'K %s\\n' \"$__k\"; else printf 'M %s\\n' \"$__k\"; fi; done; "
    "printf 'STAT\\n'; xargs -0 -r stat -c '%s %a' < \"$__t\"; "
    "printf 'SUMS\\n'; xargs -0 -r sha256sum < \"$__t\" | cut -c1-64; "
    "printf 'DATA\\n'; xargs -0 -r cat < \"$__t\"";

class FrameReader {
 public:
  FrameReader(const std::vector<FileFetch>& items, std::vector<bool>& fetched) : items_(items), fetched_(fetched) {}

  void feed(const char* data, size_t n) {
    while (n > 0) {
      if (phase_ == Phase::Data) {
        if (current_ >= files_.size()) return;  // nothing more expected: ignore
        File& f = files_[current_];
        size_t take = std::min<size_t>(n, static_cast<size_t>(f.size - f.received));
        if (f.out) {
          try {
            f.out->write(data, take);
          } catch (const Error&) {
            f.out.reset();  // a local write error: retrieve says what it is
          }
        }
        f.sum->update(std::string_view(data, take));
        f.received += static_cast<int64_t>(take);
        data += take;
        n -= take;
        if (f.received == f.size) finish_file();
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

  // The files of size 0 complete as soon as DATA starts.
  void skip_empty() {
    while (phase_ == Phase::Data && current_ < files_.size() && files_[current_].size == 0) finish_file();
  }

 private:
  enum class Phase { List, Stat, Sums, Data };
  struct File {
    size_t index;
    int64_t size = -1, received = 0;
    uint32_t mode = 0644;
    std::string expected;  // the SHA-256 the remote computed
    std::unique_ptr<Sha256> sum;
    std::unique_ptr<ConfinedDir::NewFile> out;
  };

  void on_line() {
    if (phase_ == Phase::List) {
      if (line_ == "STAT") {
        phase_ = Phase::Stat;
        return;
      }
      if (line_.size() > 2 && line_[1] == ' ' && line_[0] == 'K') {
        File f;
        f.index = to_index(line_.substr(2));
        files_.push_back(std::move(f));
        return;
      }
      if (line_.size() > 2 && line_[1] == ' ' && line_[0] == 'M') return;  // left to retrieve
      throw Error(XRUN_E_TRANSPORT, "bulk fetch: malformed stream");
    }
    if (phase_ == Phase::Stat) {
      if (line_ == "SUMS") {
        phase_ = Phase::Sums;
        current_ = 0;
        return;
      }
      if (current_ >= files_.size()) throw Error(XRUN_E_TRANSPORT, "bulk fetch: malformed stream");
      auto space = line_.find(' ');
      File& f = files_[current_++];
      f.size = std::stoll(line_.substr(0, space));
      f.mode = space == std::string::npos ? 0644 : static_cast<uint32_t>(std::stoul(line_.substr(space + 1), nullptr, 8)) & 0777;
      if (f.size < 0) throw Error(XRUN_E_TRANSPORT, "bulk fetch: malformed stream");
      return;
    }
    if (phase_ == Phase::Sums) {
      if (line_ == "DATA") {
        // Every size must be known before the bytes can be split.
        if (current_ != files_.size()) throw Error(XRUN_E_TRANSPORT, "bulk fetch: malformed stream");
        for (auto& f : files_)
          if (f.size < 0) throw Error(XRUN_E_TRANSPORT, "bulk fetch: malformed stream");
        phase_ = Phase::Data;
        current_ = 0;
        start_file();
        skip_empty();
        return;
      }
      if (current_ >= files_.size()) throw Error(XRUN_E_TRANSPORT, "bulk fetch: malformed stream");
      files_[current_++].expected = line_;
      return;
    }
  }

  void start_file() {
    if (current_ >= files_.size()) return;
    File& f = files_[current_];
    f.sum = std::make_unique<Sha256>();
    try {
      f.out = std::make_unique<ConfinedDir::NewFile>(dir_for(items_[f.index].local_dir).create(items_[f.index].name));
    } catch (const Error&) {
      // Cannot be written here (a refused name, a full disk): its bytes are
      // read past; retrieve reports it.
    }
  }

  void finish_file() {
    File& f = files_[current_];
    if (f.out && f.sum->hex_digest() == f.expected) {
      try {
        f.out->commit(f.mode ? f.mode : 0644);
        fetched_[f.index] = true;
      } catch (const Error&) {
      }
    }
    f.out.reset();  // a file never committed is removed
    f.sum.reset();
    ++current_;
    start_file();
  }

  size_t to_index(const std::string& word) const {
    size_t k = std::stoul(word);
    if (k >= items_.size()) throw Error(XRUN_E_TRANSPORT, "bulk fetch: malformed stream");
    return k;
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
  std::vector<File> files_;
  Phase phase_ = Phase::List;
  size_t current_ = 0;
  std::string line_;
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
    reader.skip_empty();  // a stream that ends with empty files
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
