// Blocking until the events journal has something new: the waiter reads
// the store only when something may have changed -- a commit by this
// process (the store's write listener wakes it at once) or by another
// connection (SQLite's data_version, checked every kCrossProcessCheckMs).
#pragma once
#include <cstdint>

#include "core/wakeup.h"
#include "store/store.h"

namespace xrun {

// How often a waiter checks for commits by other processes.
constexpr int64_t kCrossProcessCheckMs = 50;

// Returns the newest event's seq once it is > after_seq. timeout_ms < 0
// waits forever, 0 checks once. Throws Error(XRUN_E_TIMEOUT) when the time
// runs out, Error(XRUN_E_INTERRUPTED) when `wakeup` is interrupted.
int64_t wait_for_events(Store& store, Wakeup& wakeup, int64_t after_seq, int64_t timeout_ms);

}  // namespace xrun
