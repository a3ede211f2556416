// The live progress line of `xrun wait` (see progress.h).
#include "progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "term.h"
#include "xrun.h"

namespace xrun_tool {

namespace {
// The line on screen, for the log callback and the signal handler.
ProgressLine* g_active = nullptr;
volatile sig_atomic_t g_line_open = 0;

// ^C (or a kill) while the line is open: end it, so the shell's prompt
// starts on a line of its own, then die of the signal as before.
void end_line_and_die(int sig) {
  if (g_line_open) (void)!write(STDERR_FILENO, "\n", 1);
  signal(sig, SIG_DFL);
  raise(sig);
}
}  // namespace

void progress_clear_for_message() {
  if (g_active) g_active->clear();
}

std::string progress_text(size_t done, size_t total, const std::map<int, size_t>& by_state,
                          long long elapsed_s) {
  std::string text = std::to_string(done) + "/" + std::to_string(total) + " done |";
  const char* sep = " ";
  for (const auto& [state, count] : by_state) {
    text += sep + std::string(xrun_state_name(state)) + " " + std::to_string(count);
    sep = ", ";
  }
  char elapsed[32];
  if (elapsed_s >= 3600)
    snprintf(elapsed, sizeof elapsed, " | %lld:%02lld:%02lld", elapsed_s / 3600, elapsed_s / 60 % 60,
             elapsed_s % 60);
  else
    snprintf(elapsed, sizeof elapsed, " | %lld:%02lld", elapsed_s / 60, elapsed_s % 60);
  return text + elapsed;
}

ProgressLine::ProgressLine()
    : enabled_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {
  if (!enabled_) return;
  g_active = this;
  signal(SIGINT, end_line_and_die);
  signal(SIGTERM, end_line_and_die);
}

ProgressLine::~ProgressLine() {
  finish();
  if (g_active == this) g_active = nullptr;
}

void ProgressLine::clear() {
  if (!enabled_ || !drawn_) return;
  fputs("\r\033[K", stderr);
  fflush(stderr);
  drawn_ = false;
  g_line_open = 0;
}

void ProgressLine::update(size_t done, size_t total, const std::map<int, size_t>& by_state) {
  if (!enabled_) return;
  long long elapsed =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start_).count();
  std::string text = progress_text(done, total, by_state, elapsed);
  // Never wider than the terminal: a wrapped line could not be rewritten.
  struct winsize ws {};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1) text = cut_to_columns(text, ws.ws_col - 1);
  if (drawn_ && text == last_) return;
  fprintf(stderr, "\r\033[K%s", text.c_str());
  fflush(stderr);
  last_ = text;
  drawn_ = true;
  g_line_open = 1;
}

void ProgressLine::finish() {
  if (!enabled_ || !drawn_) return;
  fputc('\n', stderr);
  fflush(stderr);
  drawn_ = false;
  g_line_open = 0;
}

}  // namespace xrun_tool
