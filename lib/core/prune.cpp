#include "core/prune.h"

#include <vector>

#include "core/state.h"
#include "util/clock.h"
#include "util/error.h"

namespace xrun {

Store::PruneCounts prune_terminal_jobs(Store& store, int64_t older_than_ms) {
  if (older_than_ms < 0) throw Error(XRUN_E_INVALID, "older_than_ms must be >= 0");
  // Whatever states a later version appends, only terminal ones are pruned.
  std::vector<int> terminal;
  for (int state = 0; state < 64; ++state)
    if (is_terminal(state)) terminal.push_back(state);
  return store.prune_jobs(terminal, wall_ms() - older_than_ms);
}

}  // namespace xrun
