// The one rule both store backends follow for a transition's journal
// entry: an event when the state changes, or when it stays and the reason
// changes (a "reason" event); none when nothing a follower can see changed.
#pragma once
#include <optional>
#include <string>

#include "store/store.h"

namespace xrun {

// The event text to append in the transition's own transaction, or nullopt
// for none. `message` "" means: the new reason.
inline std::optional<std::string> transition_event_text(int from, int to, const std::string& old_reason,
                                                        const JobUpdate& update, const std::string& message) {
  const bool reason_changed = update.reason && *update.reason != old_reason;
  if (from == to && !reason_changed) return std::nullopt;
  if (message.empty() && update.reason) return *update.reason;
  return message;
}

}  // namespace xrun
