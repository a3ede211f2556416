// Fuzzes every scheduler's output parsers (submit, status, accounting,
// find) with arbitrary command output: they must refuse with an Error or
// return, never crash or hang.
#include <cstdint>
#include <string>
#include <vector>

#include "scheduler/scheduler.h"
#include "transport/transport.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const char* const kNames[] = {"direct", "slurm", "pbs", "sge", "lsf"};
  xrun::CommandResult result;
  result.exit_status = data[0] % 4 == 0 ? 1 : 0;
  result.out.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  result.err = result.out.substr(0, result.out.size() / 4);
  const std::vector<xrun::TrackedJob> jobs = {{"01ARZ3NDEKTSV4RRFFQ69G5FAV", "1234", "/w/a"},
                                              {"01ARZ3NDEKTSV4RRFFQ69G5FAW", "1235_7", "/w/b"},
                                              {"01ARZ3NDEKTSV4RRFFQ69G5FAX", "77.server", "/w/c"}};
  for (const char* name : kNames) {
    std::unique_ptr<xrun::Scheduler> scheduler;
    try {
      scheduler = xrun::make_scheduler(name);
    } catch (const xrun::Error&) {
      continue;  // not built in this tree
    }
    try { scheduler->parse_submit_output(result); } catch (const xrun::Error&) {}
    try { scheduler->parse_status_output(jobs, result); } catch (const xrun::Error&) {}
    try { scheduler->parse_accounting_output(jobs, result); } catch (const xrun::Error&) {}
    try { scheduler->parse_find_output(result); } catch (const xrun::Error&) {}
  }
  return 0;
}
