// Fuzzes the strict machine loader: any input is either refused with an
// Error or gives a machine whose JSON reads back as the same machine.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "machine/loader.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    xrun::Machine machine = xrun::parse_machine("fuzz", text, "<fuzz>");
    xrun::Machine again = xrun::parse_machine("fuzz", xrun::machine_to_json(machine), "<fuzz>");
    if (!(again == machine)) abort();  // machine_to_json must round-trip
  } catch (const xrun::Error&) {
  }
  return 0;
}
