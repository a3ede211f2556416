// Pruning the store: old terminal jobs and their events go, so a store
// used for years stays small. Job directories on the machines are left
// alone (their cleanup policy is the spec's "cleanup").
#pragma once
#include <cstdint>

#include "store/store.h"

namespace xrun {

// Deletes jobs in a terminal state that ended more than `older_than_ms`
// ago (>= 0), with their events. Throws Error(XRUN_E_INVALID) for a
// negative age, Error(XRUN_E_STORE) if the store fails.
Store::PruneCounts prune_terminal_jobs(Store& store, int64_t older_than_ms);

}  // namespace xrun
