// Turns one machine object (from machines.json or machines/NAME.json) into
// a Machine, checking every key against the user-facing contract.
#pragma once
#include <string>
#include <string_view>

#include "machine/config_object.h"
#include "machine/machine.h"

namespace xrun {

// [A-Za-z0-9._-]+, not starting with '-' or '.', and not "default"
// (machines/default.json names the default machine).
bool is_valid_machine_name(std::string_view name);
// Why `name` is not valid, for error messages.
std::string machine_name_rule();

// `accept_resolved_keys`: also accept the "name" and "source" keys that
// machine_to_json adds, so its output reads back as the same machine.
Machine read_machine(const ConfigObject& object, const std::string& name,
                     bool accept_resolved_keys);

}  // namespace xrun
