// The live progress line of `xrun wait` on several jobs: one line on
// stderr, rewritten in place, only when stderr is a terminal.
#pragma once
#include <chrono>
#include <map>
#include <string>

namespace xrun_tool {

class ProgressLine {
 public:
  // Enabled when stderr is a terminal; otherwise every call does nothing.
  ProgressLine();
  ~ProgressLine();  // finish()
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  bool enabled() const { return enabled_; }
  // Redraws "DONE/TOTAL done | STATE N, ... | ELAPSED" when it changed.
  // `by_state` counts the jobs by xrun_state, shown in that order.
  void update(size_t done, size_t total, const std::map<int, size_t>& by_state);
  // Ends the line (keeps it on screen), so other output starts on its own.
  void finish();
  // Wipes the line; the next update() draws it again.
  void clear();

 private:
  bool enabled_;
  bool drawn_ = false;
  std::string last_;
  std::chrono::steady_clock::time_point start_;
};

// Wipes the progress line on screen, if any, before a message goes to
// stderr (the library's log lines); the next update redraws it.
void progress_clear_for_message();

// "DONE/TOTAL done | completed 2, running 1 | 0:07": the text of the line.
std::string progress_text(size_t done, size_t total, const std::map<int, size_t>& by_state,
                          long long elapsed_s);

}  // namespace xrun_tool
