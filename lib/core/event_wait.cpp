#include "core/event_wait.h"

#include <algorithm>

#include "util/clock.h"
#include "util/error.h"

namespace xrun {

int64_t wait_for_events(Store& store, Wakeup& wakeup, int64_t after_seq, int64_t timeout_ms) {
  const uint64_t interrupts = wakeup.interrupts();
  const int64_t start = monotonic_ms();
  int64_t version = 0;
  bool first = true;
  for (;;) {
    // Taken before reading, so a commit made while we read still wakes us.
    uint64_t changes = wakeup.changes();
    int64_t now_version = store.data_version();
    if (first || now_version != version) {
      version = now_version;
      first = false;
      int64_t last = store.last_event_seq();
      if (last > after_seq) return last;
    }
    int64_t elapsed = monotonic_ms() - start;
    if (timeout_ms >= 0 && elapsed >= timeout_ms)
      throw Error(XRUN_E_TIMEOUT, "no event after " + std::to_string(after_seq) + " within " +
                                      std::to_string(timeout_ms) + " ms");
    int64_t slice = kCrossProcessCheckMs;
    if (timeout_ms >= 0) slice = std::min(slice, timeout_ms - elapsed);
    switch (wakeup.sleep_for(slice, interrupts, &changes)) {
      case Wakeup::Woken::Interrupted:
        throw Error(XRUN_E_INTERRUPTED, "wait for events interrupted");
      case Wakeup::Woken::Changed:
        first = true;  // our own process wrote: read again whatever data_version says
        break;
      case Wakeup::Woken::Timeout:
        break;
    }
  }
}

}  // namespace xrun
