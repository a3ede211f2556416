// The `stat` value drmaa_wait returns and the drmaa_w* functions decode,
// and the DRMAA program status of an xrun state (docs/DRMAA.md has both
// tables).
//
// stat bits: 0-7 exit status, 8-15 signal number, 16 exited, 17 signaled,
// 18 aborted (ended without ever running). An exit code of 129..192 is how
// a POSIX shell reports a command killed by signal (code - 128), so it is
// reported as that signal; a job that ran but left no exit code (killed
// by a cancel, a walltime or a node failure) is reported as killed by
// SIGKILL, which is what the scheduler ends it with in the end.
#pragma once
#include "job_facts.h"

namespace xdrmaa {

enum : int {
  kStatExited = 1 << 16,
  kStatSignaled = 1 << 17,
  kStatAborted = 1 << 18,
};

int stat_of(const JobFacts& facts);
// `reason` (xrun_job_reason; NULL reads as "") tells a user's hold from a
// system's, and a suspended job from a held one.
int program_status_of(int xrun_state, const char* reason);

}  // namespace xdrmaa
