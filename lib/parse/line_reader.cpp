#include "parse/line_reader.h"

#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "util/error.h"

namespace xrun::parse {

namespace {

// Holds the partial line between two blocks; once it passes kMaxLine the
// rest of that line is dropped until the next newline.
class Splitter {
 public:
  explicit Splitter(LineSink& sink) : sink_(sink) { carry_.reserve(256); }

  void feed(const char* p, size_t n) {
    const char* end = p + n;
    while (p < end) {
      const char* nl = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
      if (!nl) {
        keep_last();  // the block is about to be reused
        append(p, static_cast<size_t>(end - p));
        return;
      }
      if (carry_.empty() && !skipping_) {
        emit(std::string_view(p, static_cast<size_t>(nl - p)));
      } else {
        append(p, static_cast<size_t>(nl - p));
        emit(carry_);
        keep_last();  // carry_ is about to be reused
        carry_.clear();
      }
      skipping_ = false;
      p = nl + 1;
    }
    keep_last();
  }

  void finish() {
    if (!carry_.empty() || skipping_) {
      emit(carry_);
      keep_last();
      carry_.clear();
      skipping_ = false;
    }
    sink_.end(last_copy_, last_number_, number_);
  }

  int64_t lines() const { return number_; }

 private:
  void append(const char* p, size_t n) {
    if (skipping_) return;
    size_t room = kMaxLine - carry_.size();
    if (n > room) {
      carry_.append(p, room);
      skipping_ = true;
    } else {
      carry_.append(p, n);
    }
  }

  void emit(std::string_view text) {
    if (text.size() > kMaxLine) text = text.substr(0, kMaxLine);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    sink_.line(text, ++number_);
    if (!text.empty()) {
      last_view_ = text;
      last_view_number_ = number_;
      last_pending_ = true;
    }
  }

  // Copies the last non-blank line once per block, not once per line (a
  // line of blanks only is rare enough to be looked at here).
  void keep_last() {
    if (!last_pending_) return;
    last_pending_ = false;
    if (last_view_.find_first_not_of(" \t") == std::string_view::npos) return;
    last_copy_.assign(last_view_.data(), std::min(last_view_.size(), size_t{512}));
    last_number_ = last_view_number_;
  }

  LineSink& sink_;
  std::string carry_;
  bool skipping_ = false;
  int64_t number_ = 0;
  std::string_view last_view_;
  int64_t last_view_number_ = 0;
  bool last_pending_ = false;
  std::string last_copy_;
  int64_t last_number_ = 0;
};

}  // namespace

int64_t feed_buffer(std::string_view data, LineSink& sink) {
  Splitter splitter(sink);
  splitter.feed(data.data(), data.size());
  splitter.finish();
  return splitter.lines();
}

int64_t feed_fd(int fd, std::string_view already_read, LineSink& sink, const char* path) {
  Splitter splitter(sink);
  splitter.feed(already_read.data(), already_read.size());
  std::unique_ptr<char[]> block(new char[kReadBlock]);
  for (;;) {
    ssize_t got = read(fd, block.get(), kReadBlock);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error(XRUN_E_IO, std::string("cannot read ") + path + ": " + strerror(errno));
    }
    if (got == 0) break;
    splitter.feed(block.get(), static_cast<size_t>(got));
  }
  splitter.finish();
  return splitter.lines();
}

}  // namespace xrun::parse
