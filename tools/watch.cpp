// `--watch` (see watch.h).
#include "watch.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include "term.h"

namespace xrun_tool {

namespace {
volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

bool parse_seconds(const char* text, double* out) {
  char* end = nullptr;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= 0.1) || v > 86400) return false;
  *out = v;
  return true;
}
}  // namespace

bool take_watch_flag(int argc, char** argv, std::vector<char*>* rest, double* interval_s, std::string* error) {
  bool found = false;
  *interval_s = 2;
  rest->clear();
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && strcmp(argv[i], "--") == 0) {  // the rest is not ours
      for (; i < argc; ++i) rest->push_back(argv[i]);
      break;
    }
    if (i > 0 && strcmp(argv[i], "--watch") == 0) {
      found = true;
      // An optional value: taken when the next argument is a number.
      double v = 0;
      if (i + 1 < argc && parse_seconds(argv[i + 1], &v)) {
        *interval_s = v;
        ++i;
      }
      continue;
    }
    if (i > 0 && strncmp(argv[i], "--watch=", 8) == 0) {
      found = true;
      if (!parse_seconds(argv[i] + 8, interval_s))
        *error = std::string("--watch needs a number of seconds (0.1 or more), not \"") + (argv[i] + 8) + "\"";
      continue;
    }
    rest->push_back(argv[i]);
  }
  return found;
}

int watch_loop(double interval_s, const std::string& title, const std::function<int()>& draw) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // One write per frame: no flicker of a half-drawn table.
  static char buffer[1 << 16];
  setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
  while (!g_stop) {
    char now[32];
    time_t t = time(nullptr);
    struct tm tm_now {};
    strftime(now, sizeof now, "%H:%M:%S", localtime_r(&t, &tm_now));
    char head[256];
    snprintf(head, sizeof head, "%s  (every %gs, ^C ends)  %s", title.c_str(), interval_s, now);
    size_t columns = output_columns();
    printf("\033[H\033[2J%s\n\n", columns ? cut_to_columns(head, columns).c_str() : head);
    int rc = draw();
    fflush(stdout);
    if (rc != 0) return rc;
    for (double slept = 0; slept < interval_s && !g_stop; slept += 0.1)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

}  // namespace xrun_tool
