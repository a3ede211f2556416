// Fuzzes the job-spec parser: refused with an Error, or a spec whose JSON
// parses back to the same command and dependencies.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/job_spec.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    xrun::JobSpec spec = xrun::parse_job_spec(text);
    xrun::JobSpec again = xrun::parse_job_spec(xrun::job_spec_to_json(spec));
    if (again.shell_command() != spec.shell_command() || again.env != spec.env) abort();
    // Typed dependencies survive the store's round trip.
    if (again.depends_on.size() != spec.depends_on.size()) abort();
    for (size_t i = 0; i < spec.depends_on.size(); ++i)
      if (again.depends_on[i].job != spec.depends_on[i].job || again.depends_on[i].type != spec.depends_on[i].type)
        abort();
  } catch (const xrun::Error&) {
  }
  return 0;
}
