#include "parse/line_reader.h"

#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "parse/line_prefilter.h"
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
        const LinePrefilter* filter = filtering_ ? sink_.prefilter() : nullptr;
        if (filter) {
          p = skip_unwanted(*filter, p, nl, end);
          if (!p) return;  // the rest of the block holds no whole line
          nl = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
          if (!nl) continue;
        }
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
    if (const LinePrefilter* filter = filtering_ ? sink_.prefilter() : nullptr; filter && !wanted(*filter, text)) {
      ++number_;
      if (!text.empty()) {
        last_view_ = text;
        last_view_number_ = number_;
        last_pending_ = true;
      }
      return;
    }
    if (skipped_line_) {
      // A skipped line before this one is the last non-blank line only if
      // this one is blank.
      if (text.find_first_not_of(" \t") == std::string_view::npos) note_skipped();
      skipped_line_ = nullptr;
    }
    sink_.line(text, ++number_);
    if (!text.empty()) {
      last_view_ = text;
      last_view_number_ = number_;
      last_pending_ = true;
    }
  }

  // The hot loop: counts and passes over the lines the sink does not want
  // (deciding from their first two non-blank bytes) without calling it.
  // Returns the start of the next wanted line, whose newline is at or after
  // `nl`; or, when the block ends first, keeps its tail as the partial line
  // and returns null.
  const char* skip_unwanted(const LinePrefilter& filter, const char* p, const char* nl, const char* end) {
    for (;;) {
      const char* q = p;
      while (q < nl && (*q == ' ' || *q == '\t')) ++q;
      if (q < nl) {
        const auto c0 = static_cast<unsigned char>(q[0]);
        const auto c1 = q + 1 < nl ? static_cast<unsigned char>(q[1]) : 0;
        if (filter.wants(c0, c1) || nl - p > static_cast<ptrdiff_t>(kMaxLine)) return p;
        skipped_line_ = p;
        skipped_end_ = nl;
        skipped_number_ = number_ + 1;
      }
      ++number_;
      p = nl + 1;
      if (p >= end) return finish_skipping(nullptr, end);
      nl = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
      if (!nl) return finish_skipping(p, end);
    }
  }

  // The last non-blank line skipped becomes the "last line" candidate
  // (copied now: the block is about to be reused), and an unfinished tail
  // starts the carried partial line.
  const char* finish_skipping(const char* tail, const char* end) {
    note_skipped();
    keep_last();  // a line emitted earlier in this block may still be pending
    if (tail) append(tail, static_cast<size_t>(end - tail));
    return nullptr;
  }

  void note_skipped() {
    if (!skipped_line_) return;
    std::string_view text(skipped_line_, static_cast<size_t>(skipped_end_ - skipped_line_));
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    last_view_ = text;
    last_view_number_ = skipped_number_;
    last_pending_ = true;
    skipped_line_ = nullptr;
    keep_last();
  }

  // Blank lines are never wanted outside a block: parsers skip them.
  static bool wanted(const LinePrefilter& filter, std::string_view text) {
    size_t i = 0;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i == text.size()) return false;
    const auto c0 = static_cast<unsigned char>(text[i]);
    const auto c1 = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    return filter.wants(c0, c1);
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
  const bool filtering_ = LinePrefilter::enabled();
  const char* skipped_line_ = nullptr;  // last non-blank line skipped, not yet noted
  const char* skipped_end_ = nullptr;
  int64_t skipped_number_ = 0;
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
