// Splits a byte stream into lines without copying the whole input: a file is
// read in fixed blocks, a line longer than kMaxLine is cut there and the rest
// of it skipped, so memory stays bounded whatever the input holds.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace xrun::parse {

constexpr size_t kReadBlock = 1 << 20;  // bytes per read(2)
constexpr size_t kMaxLine = 64 * 1024;  // longer lines are truncated here

// Receives each line without its newline (and without a trailing '\r').
// `number` is 1-based. The view is valid only during the call.
class LinePrefilter;

class LineSink {
 public:
  virtual ~LineSink() = default;
  // Lines the sink can act on (null = every line); see line_prefilter.h.
  const LinePrefilter* prefilter() const { return every_line_ ? nullptr : prefilter_; }
  virtual void line(std::string_view text, int64_t number) = 0;
  // Called once after the last line: the last line that is not blank (the
  // one that shows where a cut-off output stops) and the line count.
  virtual void end(std::string_view last_text, int64_t last_number, int64_t total_lines) {
    (void)last_text, (void)last_number, (void)total_lines;
  }

 protected:
  void set_prefilter(const LinePrefilter* filter) { prefilter_ = filter; }
  // While true (e.g. inside a block of rows) every line is delivered.
  void set_every_line(bool every) { every_line_ = every; }

 private:
  const LinePrefilter* prefilter_ = nullptr;
  bool every_line_ = false;
};

// Feeds every line of `data` to `sink`. Returns the number of lines.
int64_t feed_buffer(std::string_view data, LineSink& sink);

// Reads `fd` to its end and feeds every line to `sink`, after first feeding
// the lines of `already_read` (bytes the caller consumed for detection).
// Throws Error(XRUN_E_IO) naming `path` when a read fails.
int64_t feed_fd(int fd, std::string_view already_read, LineSink& sink, const char* path);

}  // namespace xrun::parse
