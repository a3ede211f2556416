// libFuzzer target for the output parsers. FUZZ_PARSER picks the parser
// ("auto", "qe", "vasp-outcar", ...). Every input must give a result or an
// xrun::Error (never a crash, a hang or unbounded memory), and the result
// must survive its own JSON round trip.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "parse/parse.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string parser = [] {
    const char* p = getenv("FUZZ_PARSER");
    return std::string(p && *p ? p : "auto");
  }();
  try {
    auto result = xrun::parse::parse_buffer(std::string_view(reinterpret_cast<const char*>(data), size), parser);
    const std::string json = result->to_json();
    auto again = xrun::parse::result_from_json(json);
    if (again->to_json() != json) abort();  // the stored form must be lossless
    double v;
    result->number("total_energy_ev", &v);
    result->number("diagnosis_line", &v);
  } catch (const xrun::Error&) {
    // Refusing an input (unknown content under "auto") is fine.
  }
  return 0;
}
