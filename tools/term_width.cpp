// How wide the output may be, and cutting text to a width (see term.h).
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "term.h"

namespace xrun_tool {

namespace {
bool stdout_window(struct winsize* ws) {
  return isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, ws) == 0;
}
}  // namespace

size_t output_columns() {
  struct winsize ws {};
  if (stdout_window(&ws) && ws.ws_col > 0) return ws.ws_col;
  const char* env = getenv("COLUMNS");
  if (env && *env) {
    char* end = nullptr;
    long n = strtol(env, &end, 10);
    if (*end == '\0' && n > 0) return static_cast<size_t>(n);
  }
  return 0;
}

size_t output_rows() {
  struct winsize ws {};
  return stdout_window(&ws) ? ws.ws_row : 0;
}

size_t text_columns(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string cut_to_columns(const std::string& text, size_t columns) {
  if (text_columns(text) <= columns) return text;
  if (columns == 0) return "";
  // Keep columns - 1 characters, then the ellipsis.
  size_t kept = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (kept == columns - 1) break;
      ++kept;
    }
  }
  return text.substr(0, i) + "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
}

}  // namespace xrun_tool
