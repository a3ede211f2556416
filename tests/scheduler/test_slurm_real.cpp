// The Slurm scheduler against the real single-node Slurm of
// scripts/testbed-slurm.sh: rendered scripts, submit/status/accounting/
// cancel/hold/release commands run as the testbed user.
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include "core/state.h"
#include "fixture_util.h"
#include "scheduler/batch_common.h"
#include "scheduler/scheduler.h"
#include "scheduler/submit_batch.h"
#include "batch_testbed.h"
#include "util/shell_quote.h"
#include "util/strings.h"

#include "test_common.h"  // last: cmocka's fail() macro clashes with <ios>

using namespace xrun;
using namespace xrun_test;

static BatchTestbed* bed;
static std::unique_ptr<Scheduler> sched;

static int setup(void**) {
  static BatchTestbed b = BatchTestbed::require();
  bed = &b;
  sched = make_scheduler("slurm");
  return 0;
}

// Tracked as core tracks it: with the times that place a nameless
// accounting record (slurmdbd's "allocation") in the job's life.
static TrackedJob track(const ScriptRequest& r, const std::string& id) {
  TrackedJob t{r.job_id, id, r.job_dir};
  t.created_s = t.submitted_s = static_cast<int64_t>(time(nullptr));
  return t;
}

static void expect(const Settled& s, xrun_state state, const char* evidence) {
  if (s.status.state != state || s.evidence != evidence)
    fail_msg("got %s (%s) from %s, want %s from %s", state_text(s.status.state).c_str(), s.status.reason.c_str(),
             s.evidence.c_str(), state_text(state).c_str(), evidence);
}

static void test_submit_complete_hostile_name(void**) {
  ScriptRequest r = bed->new_job("it's $(touch /tmp/xrun-pwned) `x`", "echo hello \"$XRUN_JOB_ID\"; echo warn >&2");
  r.env["GREETING"] = "a 'b' $(c)";
  r.command += "; printf '%s' \"$GREETING\" > greeting";
  r.resources.walltime = "5";
  r.resources.memory = "100M";
  r.resources.partition = "debug";
  remove("/tmp/xrun-pwned");
  TrackedJob job = track(r, bed->submit(*sched, r));
  PollRounds poll(*bed, *sched);
  auto done = poll.settle({job}, {{job.job_id, r.exit_code_path}}, 60);
  expect(done[job.job_id], XRUN_STATE_COMPLETED, "status");
  assert_int_equal(*done[job.job_id].status.exit_code, 0);
  assert_string_equal(read_file_text(r.stdout_path).c_str(), ("hello " + r.job_id + "\n").c_str());
  assert_string_equal(read_file_text(r.stderr_path).c_str(), "warn\n");
  assert_string_equal(read_file_text(r.job_dir + "/greeting").c_str(), "a 'b' $(c)");
  assert_string_equal(read_file_text(r.exit_code_path).c_str(), "0\n");
  assert_int_equal(access("/tmp/xrun-pwned", F_OK), -1);
  // Crash recovery: the job is found again by its xrun id.
  auto found = sched->parse_find_output(bed->run(sched->find_command({job.job_id})));
  assert_string_equal(found[job.job_id].c_str(), job.scheduler_id.c_str());
  // Accounting knows it too.
  auto acct = sched->parse_accounting_output({job}, bed->run(sched->accounting_command({job})));
  assert_int_equal(acct[job.job_id].state, XRUN_STATE_COMPLETED);
}

static void test_nonzero_exit_from_accounting(void**) {
  ScriptRequest r = bed->new_job("exit7", "exit 7");
  TrackedJob job = track(r, bed->submit(*sched, r));
  PollRounds poll(*bed, *sched);
  auto done = poll.settle({job}, {{job.job_id, r.exit_code_path}}, 60);
  expect(done[job.job_id], XRUN_STATE_FAILED, "accounting");
  assert_int_equal(*done[job.job_id].status.exit_code, 7);
  assert_string_equal(done[job.job_id].status.reason.c_str(), "NonZeroExitCode");
  assert_string_equal(read_file_text(r.exit_code_path).c_str(), "7\n");
}

static void test_cancel_running(void**) {
  ScriptRequest r = bed->new_job("sleeper", "sleep 300");
  TrackedJob job = track(r, bed->submit(*sched, r));
  PollRounds poll(*bed, *sched);
  poll.wait_for(job, XRUN_STATE_RUNNING, 60);
  auto cancel = bed->run(sched->cancel_command({job}));
  assert_int_equal(cancel.exit_status, 0);
  auto done = poll.settle({job}, {{job.job_id, r.exit_code_path}}, 60);
  expect(done[job.job_id], XRUN_STATE_CANCELLED, "status");
  assert_string_equal(read_file_text(r.exit_code_path).c_str(), "");  // killed before recording
}

static void test_hold_then_release(void**) {
  ScriptRequest r = bed->new_job("held", "true");
  r.hold = true;
  TrackedJob job = track(r, bed->submit(*sched, r));
  PollRounds poll(*bed, *sched);
  Settled held = poll.wait_for(job, XRUN_STATE_HELD, 30);
  assert_string_equal(held.status.reason.c_str(), "JobHeldUser");
  assert_int_equal(bed->run(sched->release_command({job})).exit_status, 0);
  auto done = poll.settle({job}, {{job.job_id, r.exit_code_path}}, 60);
  expect(done[job.job_id], XRUN_STATE_COMPLETED, "status");

  // hold_command on a pending job, then cancel it while held.
  ScriptRequest r2 = bed->new_job("held2", "true");
  r2.resources.cpus_per_task = 2;
  r2.depends_on = {job.scheduler_id};  // already done: it may start at once
  TrackedJob job2 = track(r2, bed->submit(*sched, r2));
  assert_int_equal(bed->run(sched->hold_command({job2})).exit_status, 0);
  Settled h2 = poll.wait_for(job2, XRUN_STATE_HELD, 30);
  assert_true(xrun::starts_with(h2.status.reason, "JobHeld"));
  assert_int_equal(bed->run(sched->cancel_command({job2})).exit_status, 0);
  expect(poll.settle({job2}, {{job2.job_id, r2.exit_code_path}}, 30)[job2.job_id], XRUN_STATE_CANCELLED, "status");
}

static void test_array_tasks_tracked_apart(void**) {
  ScriptRequest r =
      bed->new_job("array", "echo task $SLURM_ARRAY_TASK_ID; exit $(( SLURM_ARRAY_TASK_ID == 2 ? 5 : 0 ))");
  r.array = "0-3";
  std::string base = bed->submit(*sched, r);
  std::vector<TrackedJob> tasks;
  std::map<std::string, std::string> paths;
  for (int64_t i : array_indexes(r.array)) {
    TrackedJob t{r.job_id + "-" + std::to_string(i), sched->array_task_id(base, i), r.job_dir};
    t.name_id = r.job_id;  // a task's records carry its carrier's name
    tasks.push_back(t);
    paths[t.job_id] = array_task_exit_code_path(r.exit_code_path, i);
  }
  PollRounds poll(*bed, *sched);
  auto done = poll.settle(tasks, paths, 90);
  for (int i = 0; i < 4; ++i) {
    const Settled& s = done[r.job_id + "-" + std::to_string(i)];
    if (i == 2) {
      // slurmdbd learns of a task a moment after squeue: the exit-code file
      // is then the evidence.
      if (s.evidence != "accounting") expect(s, XRUN_STATE_FAILED, "exit_code");
      else expect(s, XRUN_STATE_FAILED, "accounting");
      assert_int_equal(*s.status.exit_code, 5);
    } else {
      expect(s, XRUN_STATE_COMPLETED, "status");
    }
    assert_string_equal(read_file_text(paths[r.job_id + "-" + std::to_string(i)]).c_str(), i == 2 ? "5\n" : "0\n");
    assert_string_equal(read_file_text(r.stdout_path + "." + std::to_string(i)).c_str(),
                        ("task " + std::to_string(i) + "\n").c_str());
  }
}

static void test_dependency_chain(void**) {
  std::string order = bed->base + "/order";
  std::string append = "echo $XRUN_JOB_ID >> " + quote_for_shell(order);
  ScriptRequest a = bed->new_job("chain-a", "sleep 2; " + append);
  TrackedJob ja = track(a, bed->submit(*sched, a));
  ScriptRequest b = bed->new_job("chain-b", append);
  b.depends_on = {ja.scheduler_id};
  TrackedJob jb = track(b, bed->submit(*sched, b));
  ScriptRequest c = bed->new_job("chain-c", append + "; exit 1");
  c.depends_on = {jb.scheduler_id};
  TrackedJob jc = track(c, bed->submit(*sched, c));
  ScriptRequest d = bed->new_job("chain-d", append);
  d.depends_on = {jc.scheduler_id};  // c fails: d can never start
  TrackedJob jd = track(d, bed->submit(*sched, d));
  PollRounds poll(*bed, *sched);
  auto first = poll.round({jb, jd}, {});
  assert_int_equal(first[jb.job_id].status.state, XRUN_STATE_QUEUED);
  assert_string_equal(first[jb.job_id].status.reason.c_str(), "Dependency");
  auto done = poll.settle({ja, jb, jc}, {{ja.job_id, a.exit_code_path}, {jb.job_id, b.exit_code_path},
                                         {jc.job_id, c.exit_code_path}}, 90);
  expect(done[ja.job_id], XRUN_STATE_COMPLETED, "status");
  expect(done[jb.job_id], XRUN_STATE_COMPLETED, "status");
  expect(done[jc.job_id], XRUN_STATE_FAILED, "accounting");
  assert_string_equal(read_file_text(order).c_str(), (a.job_id + "\n" + b.job_id + "\n" + c.job_id + "\n").c_str());
  // Slurm re-evaluates dependencies on its own tick.
  std::string reason;
  for (int i = 0; i < 50 && reason != "DependencyNeverSatisfied"; ++i) {
    auto r = poll.round({jd}, {});
    assert_int_equal(r[jd.job_id].status.state, XRUN_STATE_QUEUED);
    reason = r[jd.job_id].status.reason;
    usleep(200000);
  }
  assert_string_equal(reason.c_str(), "DependencyNeverSatisfied");
  assert_int_equal(bed->run(sched->cancel_command({jd})).exit_status, 0);
}

static void test_200_held_jobs_in_one_query(void**) {
  // 200 submissions in ONE shell command (submit_batch_program: dirs,
  // scripts and sbatch calls), then ONE squeue for all of them.
  const int n = 200;
  std::vector<ScriptRequest> reqs;
  std::vector<BatchedSubmission> batch;
  for (int i = 0; i < n; ++i) {
    ScriptRequest r = bed->new_job("bulk", "true");
    r.job_dir += "/j" + std::to_string(i);  // made by the batch itself
    r.stdout_path = r.job_dir + "/stdout";
    r.stderr_path = r.job_dir + "/stderr";
    r.exit_code_path = r.job_dir + "/exit_code";
    r.hold = true;
    std::string script = r.job_dir + "/job.sh";
    batch.push_back({r.job_id, r.job_dir, script, sched->render_script(r), sched->submit_command(r, script)});
    reqs.push_back(r);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto out = bed->run(kSubmitBatchCommand, submit_batch_program(batch));
  double submit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  assert_int_equal(out.exit_status, 0);
  auto results = split_submit_batch_output(out);
  assert_int_equal(results.size(), n);
  std::vector<TrackedJob> jobs;
  for (int i = 0; i < n; ++i) jobs.push_back(track(reqs[i], sched->parse_submit_output(results[reqs[i].job_id])));
  PollRounds poll(*bed, *sched);
  t0 = std::chrono::steady_clock::now();
  auto result = bed->run(sched->status_command(jobs));
  auto t1 = std::chrono::steady_clock::now();
  auto map = sched->parse_status_output(jobs, result);
  auto t2 = std::chrono::steady_clock::now();
  assert_int_equal(map.size(), n);
  for (const auto& [id, st] : map) {
    assert_int_equal(st.state, XRUN_STATE_HELD);
    assert_string_equal(st.reason.c_str(), "JobHeldUser");
  }
  fprintf(stderr, "200 held jobs: submit %.2f s in one command (%.0f jobs/s); one squeue %.1f ms, parse %.3f ms\n",
          submit_s, n / submit_s, std::chrono::duration<double, std::milli>(t1 - t0).count(),
          std::chrono::duration<double, std::milli>(t2 - t1).count());
  // Past 300 jobs the query lists the user's jobs instead of ids: the same
  // 200 answers, plus nothing for ids Slurm never had.
  std::vector<TrackedJob> padded = jobs;
  for (int i = 0; i < 150; ++i) padded.push_back({"ghost" + std::to_string(i), std::to_string(900000 + i), ""});
  std::string wide = sched->status_command(padded);
  assert_null(strstr(wide.c_str(), " -j "));
  auto wide_map = sched->parse_status_output(padded, bed->run(wide));
  assert_int_equal(wide_map.size(), n);
  auto round = poll.round(jobs, {});
  assert_int_equal(poll.calls.status, 1);
  assert_int_equal(poll.calls.accounting, 0);
  assert_int_equal(round.size(), n);
  // One cancel for all; the next round sees them all cancelled, still in ONE squeue.
  assert_int_equal(bed->run(sched->cancel_command(jobs)).exit_status, 0);
  PollRounds after(*bed, *sched);
  std::map<std::string, std::string> paths;
  for (const auto& r : reqs) paths[r.job_id] = r.exit_code_path;
  auto done = after.settle(jobs, paths, 30);
  for (const auto& [id, s] : done) assert_int_equal(s.status.state, XRUN_STATE_CANCELLED);
  assert_int_equal(after.calls.accounting, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_submit_complete_hostile_name),
      cmocka_unit_test(test_nonzero_exit_from_accounting),
      cmocka_unit_test(test_cancel_running),
      cmocka_unit_test(test_hold_then_release),
      cmocka_unit_test(test_array_tasks_tracked_apart),
      cmocka_unit_test(test_dependency_chain),
      cmocka_unit_test(test_200_held_jobs_in_one_query),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
