// drmaa_native_specification: sbatch-style options mapped to xrun's
// resources. Pure (no xrun call), so it is fuzzed on its own
// (tests/drmaa/fuzz_native_spec.cpp). The grammar, in docs/DRMAA.md:
//   -N/--nodes N   -n/--ntasks N   --ntasks-per-node N   -c/--cpus-per-task N
//   --mem SIZE   -t/--time TIME   -p/--partition NAME   -A/--account NAME
//   -q/--qos NAME
// each as "--opt=value", "--opt value", "-o value" or "-ovalue", separated by
// blanks. Anything else is refused, naming the token.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace xdrmaa {

struct NativeSpec {
  std::optional<int64_t> nodes;
  std::optional<int64_t> ntasks;
  std::optional<int64_t> tasks_per_node;
  std::optional<int64_t> cpus_per_task;
  std::optional<std::string> memory;
  std::optional<std::string> walltime;
  std::optional<std::string> partition;
  std::optional<std::string> account;
  std::optional<std::string> qos;
};

// Parses `text` into `out`. On a bad token returns false with `error` naming
// it (the caller reports DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE). Never throws
// anything but std::bad_alloc.
bool parse_native_spec(const std::string& text, NativeSpec& out, std::string& error);

// The xrun "resources" members of a parsed spec, as JSON text without the
// braces ("\"nodes\": 2, \"memory\": \"4G\""); "" if none. ntasks becomes
// tasks_per_node (ntasks / nodes, which must divide). On a conflict returns
// false with `error`.
bool native_spec_resources(const NativeSpec& spec, std::string& json_members, std::string& error);

}  // namespace xdrmaa
