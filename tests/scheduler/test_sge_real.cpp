// The SGE scheduler against the real single-node Grid Engine of
// tests/fixtures/sge/testbed-sge.sh (Debian gridengine 8.1.9).
#include <unistd.h>

#include <string>
#include <vector>

#include "batch_testbed.h"
#include "core/state.h"
#include "fixture_util.h"
#include "scheduler/batch_common.h"
#include "scheduler/scheduler.h"
#include "util/shell_quote.h"

#include "test_common.h"  // last: cmocka's fail() macro clashes with <ios>

using namespace xrun;
using namespace xrun_test;

static BatchTestbed* bed;
static std::unique_ptr<Scheduler> sched;

static int setup(void**) {
  static BatchTestbed b = BatchTestbed::require_sge();
  bed = &b;
  sched = make_scheduler("sge");
  return 0;
}

static TrackedJob track(const ScriptRequest& r, const std::string& id) { return {r.job_id, id, r.job_dir}; }

// A job that left qstat is settled by qacct, or by its exit-code file
// when qacct has not flushed yet: both are evidence.
static void expect_final(const Settled& s, xrun_state state, std::optional<int> code) {
  if (s.status.state != state || (s.evidence != "accounting" && s.evidence != "exit_code"))
    fail_msg("got %s (%s) from %s, want %s", state_text(s.status.state).c_str(), s.status.reason.c_str(),
             s.evidence.c_str(), state_text(state).c_str());
  if (code && s.status.exit_code != code) fail_msg("exit code %d, want %d", s.status.exit_code.value_or(-999), *code);
}

static void test_submit_complete_and_fail(void**) {
  ScriptRequest ok = bed->new_job("ok", "echo hello");
  ok.name = "it's $(x) ok";  // the dir may not carry a $ on SGE, the name may
  ok.resources.walltime = "10";
  ScriptRequest bad = bed->new_job("bad", "exit 7");
  TrackedJob jok = track(ok, bed->submit(*sched, ok));
  TrackedJob jbad = track(bad, bed->submit(*sched, bad));
  PollRounds poll(*bed, *sched);
  auto done = poll.settle({jok, jbad}, {{jok.job_id, ok.exit_code_path}, {jbad.job_id, bad.exit_code_path}}, 90);
  expect_final(done[jok.job_id], XRUN_STATE_COMPLETED, 0);
  expect_final(done[jbad.job_id], XRUN_STATE_FAILED, 7);
  assert_string_equal(read_file_text(ok.stdout_path).c_str(), "hello\n");
  // qacct catches up within its flush time.
  std::map<std::string, JobStatus> acct;
  for (int i = 0; i < 50 && acct.size() < 2; ++i, usleep(200000))
    acct = sched->parse_accounting_output({jok, jbad}, bed->run(sched->accounting_command({jok, jbad})));
  assert_int_equal(acct[jok.job_id].state, XRUN_STATE_COMPLETED);
  assert_int_equal(acct[jbad.job_id].state, XRUN_STATE_FAILED);
  assert_int_equal(*acct[jbad.job_id].exit_code, 7);
}

static void test_hold_release_and_array(void**) {
  ScriptRequest r = bed->new_job("array", "echo t$SGE_TASK_ID; exit $(( SGE_TASK_ID == 2 ? 5 : 0 ))");
  r.array = "1-3";
  r.hold = true;
  std::string base = bed->submit(*sched, r);
  std::vector<TrackedJob> tasks;
  std::map<std::string, std::string> paths;
  for (int64_t i : array_indexes(r.array)) {
    tasks.push_back({r.job_id + "-" + std::to_string(i), sched->array_task_id(base, i), r.job_dir});
    tasks.back().name_id = r.job_id;  // a task's records carry its carrier's name
    paths[tasks.back().job_id] = array_task_exit_code_path(r.exit_code_path, i);
  }
  PollRounds poll(*bed, *sched);
  auto first = poll.round(tasks, paths);
  assert_int_equal(poll.calls.status, 1);
  for (const auto& t : tasks) assert_int_equal(first[t.job_id].status.state, XRUN_STATE_HELD);
  assert_int_equal(bed->run(sched->release_command(tasks)).exit_status, 0);
  auto done = poll.settle(tasks, paths, 90);
  expect_final(done[tasks[0].job_id], XRUN_STATE_COMPLETED, 0);
  expect_final(done[tasks[1].job_id], XRUN_STATE_FAILED, 5);
  expect_final(done[tasks[2].job_id], XRUN_STATE_COMPLETED, 0);
  assert_string_equal(read_file_text(r.stdout_path + ".3").c_str(), "t3\n");
}

static void test_cancel_and_many_in_one_query(void**) {
  std::vector<TrackedJob> jobs;
  std::map<std::string, std::string> paths;
  for (int i = 0; i < 40; ++i) {
    ScriptRequest r = bed->new_job("many", "true");
    r.hold = true;
    jobs.push_back(track(r, bed->submit(*sched, r)));
    paths[r.job_id] = r.exit_code_path;
  }
  PollRounds poll(*bed, *sched);
  auto round = poll.round(jobs, paths);
  assert_int_equal(poll.calls.status, 1);
  assert_int_equal(poll.calls.accounting, 0);
  for (const auto& j : jobs) assert_int_equal(round[j.job_id].status.state, XRUN_STATE_HELD);
  assert_int_equal(bed->run(sched->cancel_command(jobs)).exit_status, 0);
  auto done = poll.settle(jobs, paths, 60);
  // A job deleted before it ran leaves no accounting record and no exit
  // file: core settles it from its own record of the cancel.
  for (const auto& j : jobs) assert_int_equal(done[j.job_id].status.state, XRUN_STATE_LOST);
}

// Issue 11 #2 on the real Grid Engine, which reads "#$" lines anywhere in a
// job script: an argument and an env value holding "\n#$ -h" (hold) and
// "\n#$ -l h_rt=00:00:01" (a 1 s limit) must arrive as text; the job runs
// its 3 s to the end and completes.
static void test_values_never_become_directives(void**) {
  const std::string evil = "a\n#$ -h\n#$ -l h_rt=00:00:01\nb";
  ScriptRequest r = bed->new_job("inject", "sleep 3; printf '%s' \"$HOSTILE\" > env.out; printf '%s' " +
                                               quote_for_shell(evil) + " > arg.out");
  r.env["HOSTILE"] = evil;
  TrackedJob job = track(r, bed->submit(*sched, r));
  PollRounds poll(*bed, *sched);
  auto done = poll.settle({job}, {{job.job_id, r.exit_code_path}}, 90);
  expect_final(done[job.job_id], XRUN_STATE_COMPLETED, 0);
  assert_string_equal(read_file_text(r.job_dir + "/env.out").c_str(), evil.c_str());
  assert_string_equal(read_file_text(r.job_dir + "/arg.out").c_str(), evil.c_str());
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_submit_complete_and_fail),
      cmocka_unit_test(test_hold_release_and_array),
      cmocka_unit_test(test_values_never_become_directives),
      cmocka_unit_test(test_cancel_and_many_in_one_query),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
