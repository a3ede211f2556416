// Loads machines from XRUN_HOME: machines.json ({"default", "machines",
// "groups"}),
// machines/NAME.json (one machine; wins over machines.json for that name)
// and machines/default.json ({"default": NAME}); XRUN_DEFAULT_MACHINE
// overrides the default. With nothing configured there is one built-in
// machine, "local". Loading is strict: unknown keys (with the closest
// known key suggested), wrong types and missing fields are errors naming
// the file and the JSON path.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "machine/machine.h"

namespace xrun {

struct MachineConfig {
  std::string default_name;                 // always names a machine
  std::map<std::string, Machine> machines;  // never empty
  // machines.json's "groups": a name for several machines, which a job
  // spec's "machine" may give (core/machine_choice.h chooses one). Every
  // member is a machine; no group has a machine's name.
  std::map<std::string, std::vector<std::string>> groups;
  // What the caller should warn about, e.g. a machine defined both in
  // machines.json and in machines/NAME.json (the file wins).
  std::vector<std::string> warnings;
};

// Throws Error(XRUN_E_CONFIG) with "FILE: $.machines.NAME.key: message".
// A missing `home` (or "") means nothing is configured. The built-in "local"
// is always present unless a configured machine is named "local". Default:
// $XRUN_DEFAULT_MACHINE, else machines/default.json, else machines.json's
// "default", else the only configured machine, else "local"; every one of
// these that is set must name a known machine. A machine without
// "execution" is remote if it names a "host", else local. Walltime and
// memory are normalized (see machine/units.h).
MachineConfig load_machines(const std::string& home);

// One machine parsed from a JSON object (used by load_machines; exposed for
// tests and for machines given inline). `source` names where it came from
// in error messages; the JSON path starts at "$". Also accepts the "name"
// (must equal `name`) and "source" (ignored) keys machine_to_json writes.
Machine parse_machine(const std::string& name, const std::string& json_text,
                      const std::string& source);

// The machine's resolved configuration as compact JSON (same keys as the
// file, with defaults filled in, plus "name" and "source"). Every key is
// present; null means not set, or for a local machine's SSH keys, not
// applicable. Unset auth.method is written as "auto".
std::string machine_to_json(const Machine& machine);

// The built-in local machine (direct scheduler, workdir ~/.xrun/jobs
// under the caller's home... resolved by the transport).
Machine builtin_local_machine();

}  // namespace xrun
