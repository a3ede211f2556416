// Job states and the legal transitions between them.
#pragma once
#include <optional>
#include <string_view>
#include <vector>

#include "xrun.h"

namespace xrun {

const char* state_name(int state);  // "unknown" if out of range
std::optional<xrun_state> state_from_name(std::string_view name);
bool is_terminal(int state);
// Not (yet) on a scheduler: created, submitting or waiting.
bool is_unsent(int state);
// Whether `from` -> `to` is allowed. A state to itself is always allowed
// (a refresh that changes only the reason).
bool transition_allowed(xrun_state from, xrun_state to);
// The states from which `to` may be reached (for Store::transition).
std::vector<xrun_state> states_leading_to(xrun_state to);

}  // namespace xrun
