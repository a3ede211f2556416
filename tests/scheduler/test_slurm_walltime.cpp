// A job over its walltime ends TIMEOUT (its own outcome, not failed or
// lost), on the real Slurm. Slurm checks limits about every 30 s, so this
// takes ~90 s: it is its own test so ctest -j runs it beside the others.
#include <string>

#include "core/state.h"
#include "fixture_util.h"
#include "scheduler/scheduler.h"
#include "slurm_testbed.h"

#include "test_common.h"  // last: cmocka's fail() macro clashes with <ios>

using namespace xrun;
using namespace xrun_test;

static void test_walltime_exceeded(void**) {
  SlurmTestbed bed = SlurmTestbed::require();
  auto sched = make_scheduler("slurm");
  ScriptRequest r = bed.new_job("too long", "sleep 600");
  r.resources.walltime = "1";  // one minute
  TrackedJob job{r.job_id, bed.submit(*sched, r), r.job_dir};
  PollRounds poll(bed, *sched);
  poll.wait_for(job, XRUN_STATE_RUNNING, 60);
  auto done = poll.settle({job}, {{job.job_id, r.exit_code_path}}, 150);
  const Settled& s = done[job.job_id];
  if (s.status.state != XRUN_STATE_TIMEOUT)
    fail_msg("got %s (%s) from %s", state_text(s.status.state).c_str(), s.status.reason.c_str(), s.evidence.c_str());
  assert_string_equal(s.status.reason.c_str(), "TimeLimit");
  assert_string_equal(read_file_text(r.exit_code_path).c_str(), "");
  // Accounting agrees once it has caught up.
  auto acct = sched->parse_accounting_output({job}, bed.run(sched->accounting_command({job})));
  assert_int_equal(acct[job.job_id].state, XRUN_STATE_TIMEOUT);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_walltime_exceeded)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
