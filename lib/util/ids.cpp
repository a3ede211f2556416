#include "util/ids.h"

#include <sys/random.h>

#include <cstdint>
#include <mutex>

#include "util/clock.h"
#include "util/error.h"

namespace xrun {

static const char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

std::string new_job_id() {
  // Monotonic within a process: if the clock has not moved, bump the random
  // part so two ids made in the same millisecond still sort in order.
  static std::mutex mutex;
  static int64_t last_ms = -1;
  static uint8_t last_random[10];
  std::lock_guard<std::mutex> lock(mutex);
  int64_t ms = wall_ms();
  uint8_t random[10];
  if (ms <= last_ms) {
    ms = last_ms;
    for (int i = 9; i >= 0; --i)
      if (++last_random[i] != 0) break;
    for (int i = 0; i < 10; ++i) random[i] = last_random[i];
  } else {
    if (getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
      throw Error(XRUN_E_INTERNAL, "getrandom failed");
    for (int i = 0; i < 10; ++i) last_random[i] = random[i];
    last_ms = ms;
  }
  std::string id(26, '0');
  uint64_t t = static_cast<uint64_t>(ms);
  for (int i = 9; i >= 0; --i) {
    id[i] = kAlphabet[t & 31];
    t >>= 5;
  }
  // 80 random bits -> 16 characters.
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 5; ++i) hi = (hi << 8) | random[i];
  for (int i = 5; i < 10; ++i) lo = (lo << 8) | random[i];
  for (int i = 7; i >= 0; --i) {
    id[10 + i] = kAlphabet[hi & 31];
    hi >>= 5;
    id[18 + i] = kAlphabet[lo & 31];
    lo >>= 5;
  }
  return id;
}

bool looks_like_job_id(std::string_view text) {
  if (text.size() != 26) return false;
  for (char c : text) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' &&
                                         c != 'O' && c != 'U');
    if (!ok) return false;
  }
  return true;
}

}  // namespace xrun
