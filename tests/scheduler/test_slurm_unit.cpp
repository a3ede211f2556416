// The Slurm scheduler on recorded outputs (tests/fixtures/slurm, recorded
// from the testbed's Slurm 22.05.8 by record.sh) and on hostile values.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/state.h"
#include "fixture_util.h"
#include "scheduler/batch_common.h"
#include "scheduler/scheduler.h"
#include "scheduler/slurm_states.h"
#include "util/error.h"
#include "util/shell_quote.h"

#include "test_common.h"  // last: cmocka's fail() macro clashes with <ios>

using namespace xrun;
using xrun_test::fixture;
using xrun_test::result;

static std::unique_ptr<Scheduler> slurm() { return make_scheduler("slurm"); }

static ScriptRequest request_in(const std::string& dir) {
  ScriptRequest r;
  r.job_id = "01HZY3M5B7K9Q2W4E6R8T0Y1U3";
  r.name = "relax $(touch /tmp/xrun-pwned) 'q' \"d\"\nline";
  r.job_dir = dir;
  r.command = "echo out; echo err >&2; exit 4";
  r.stdout_path = dir + "/stdout";
  r.stderr_path = dir + "/stderr";
  r.exit_code_path = dir + "/exit_code";
  return r;
}

template <typename F>
static int status_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.status();
  }
  return 0;
}

static void test_every_state_maps(void**) {
  struct Case {
    const char* raw;
    const char* reason;
    xrun_state state;
    const char* want_reason;
  } cases[] = {
      {"PENDING", "Priority", XRUN_STATE_QUEUED, "Priority"},
      {"PENDING", "Resources", XRUN_STATE_QUEUED, "Resources"},
      {"PENDING", "Dependency", XRUN_STATE_QUEUED, "Dependency"},
      {"PENDING", "DependencyNeverSatisfied", XRUN_STATE_QUEUED, "DependencyNeverSatisfied"},
      {"PENDING", "JobHeldUser", XRUN_STATE_HELD, "JobHeldUser"},
      {"PENDING", "JobHeldAdmin", XRUN_STATE_HELD, "JobHeldAdmin"},
      {"PENDING", "QOSMaxJobsPerUserLimit", XRUN_STATE_QUEUED, "QOSMaxJobsPerUserLimit"},
      {"CONFIGURING", "None", XRUN_STATE_QUEUED, "Configuring"},
      {"REQUEUED", "None", XRUN_STATE_QUEUED, "Requeued"},
      {"REQUEUE_FED", "None", XRUN_STATE_QUEUED, "Requeued"},
      {"REQUEUE_HOLD", "JobHeldAdmin", XRUN_STATE_HELD, "JobHeldAdmin"},
      {"RESV_DEL_HOLD", "None", XRUN_STATE_HELD, "ReservationDeleted"},
      {"SPECIAL_EXIT", "None", XRUN_STATE_HELD, "SpecialExit"},
      {"SUSPENDED", "None", XRUN_STATE_HELD, "Suspended"},
      {"STOPPED", "None", XRUN_STATE_HELD, "Stopped"},
      {"RUNNING", "None", XRUN_STATE_RUNNING, ""},
      {"COMPLETING", "None", XRUN_STATE_RUNNING, "Completing"},
      {"SIGNALING", "None", XRUN_STATE_RUNNING, "Signaling"},
      {"STAGE_OUT", "None", XRUN_STATE_RUNNING, "StageOut"},
      {"RESIZING", "None", XRUN_STATE_RUNNING, "Resizing"},
      {"COMPLETED", "None", XRUN_STATE_COMPLETED, ""},
      {"FAILED", "NonZeroExitCode", XRUN_STATE_FAILED, "NonZeroExitCode"},
      {"FAILED", "JobLaunchFailure", XRUN_STATE_FAILED, "JobLaunchFailure"},
      {"CANCELLED", "None", XRUN_STATE_CANCELLED, "Cancelled"},
      {"CANCELLED by 1001", "", XRUN_STATE_CANCELLED, "Cancelled by 1001"},
      {"CANCELLED+", "", XRUN_STATE_CANCELLED, "Cancelled"},
      {"REVOKED", "None", XRUN_STATE_CANCELLED, "Revoked"},
      {"TIMEOUT", "TimeLimit", XRUN_STATE_TIMEOUT, "TimeLimit"},
      {"DEADLINE", "None", XRUN_STATE_TIMEOUT, "Deadline"},
      {"OUT_OF_MEMORY", "OutOfMemory", XRUN_STATE_OUT_OF_MEMORY, "OutOfMemory"},
      {"NODE_FAIL", "None", XRUN_STATE_NODE_FAIL, "NodeFail"},
      {"BOOT_FAIL", "None", XRUN_STATE_NODE_FAIL, "BootFail"},
      {"PREEMPTED", "None", XRUN_STATE_PREEMPTED, "Preempted"},
  };
  for (const auto& c : cases) {
    JobStatus s = slurm_status(c.raw, c.reason);
    if (s.state != c.state || s.reason != c.want_reason) {
      fprintf(stderr, "%s/%s -> %s/%s, want %s/%s\n", c.raw, c.reason, state_name(s.state), s.reason.c_str(),
              state_name(c.state), c.want_reason);
      fail();
    }
  }
  // A word Slurm may add one day never ends a job.
  JobStatus future = slurm_status("FROBNICATED", "None");
  assert_int_equal(future.state, XRUN_STATE_QUEUED);
  assert_non_null(strstr(future.reason.c_str(), "FROBNICATED"));
}

static void test_exit_codes(void**) {
  assert_int_equal(*slurm_exit_code("3:0"), 3);
  assert_int_equal(*slurm_exit_code("0:9"), 137);
  assert_int_equal(*slurm_exit_code("0:0"), 0);
  assert_int_equal(*slurm_exit_code("255:0"), 255);
  assert_false(slurm_exit_code("").has_value());
  assert_false(slurm_exit_code("x:y").has_value());
}

static void test_submit_output(void**) {
  auto s = slurm();
  assert_string_equal(s->parse_submit_output(result(0, "4242\n")).c_str(), "4242");
  assert_string_equal(s->parse_submit_output(result(0, "4242;cluster2\n")).c_str(), "4242");
  assert_string_equal(
      s->parse_submit_output(result(0, "77\n", "sbatch: warning: can't honor --ntasks-per-node set to 2\n")).c_str(),
      "77");
  std::string bad = fixture("slurm/sbatch_bad_partition.err");
  assert_int_equal(status_of([&] { s->parse_submit_output(result(1, "", bad)); }), XRUN_E_SCHEDULER);
  try {
    s->parse_submit_output(result(1, "", bad));
  } catch (const SubmitRefusedForLimit&) {
    fail_msg("a bad partition is not a limit");
  } catch (const Error& e) {
    assert_non_null(strstr(e.what(), "invalid partition"));
  }
  // Issue 11 #4: a site wrapper's lines around the --parsable one, or
  // sbatch's own sentence when a wrapper drops --parsable.
  assert_string_equal(s->parse_submit_output(result(0, "site: wrapper v2\n4243\nsite: 12 jobs left\n")).c_str(),
                      "4243");
  assert_string_equal(s->parse_submit_output(result(0, "Submitted batch job 12\n")).c_str(), "12");
  // Exit 0 with no id (or two): perhaps accepted, so never "refused" --
  // the outcome is unknown and recover() looks for the job by its name.
  auto unknown = [&](const std::string& out) {
    try {
      s->parse_submit_output(result(0, out));
    } catch (const SubmitOutcomeUnknown& e) {
      return e.status() == XRUN_E_SCHEDULER;
    } catch (const Error&) {
    }
    return false;
  };
  assert_true(unknown(""));
  assert_true(unknown("site: job accepted, see the portal\n"));
  assert_true(unknown("41\n42\n"));
  assert_false(unknown("4242\n"));
  try {
    s->parse_submit_output(result(1, "", bad));
  } catch (const SubmitOutcomeUnknown&) {
    fail_msg("a refusal is not an unknown outcome");
  } catch (const Error&) {
  }
}

static void test_limit_refusals_are_retryable(void**) {
  auto s = slurm();
  for (const char* name : {"sbatch_qos_submit_limit.err", "sbatch_assoc_submit_limit.err"}) {
    std::string err = fixture(std::string("slurm/") + name);
    bool retryable = false;
    try {
      s->parse_submit_output(result(1, "", err));
    } catch (const SubmitRefusedForLimit& e) {
      retryable = e.status() == XRUN_E_SCHEDULER;
    }
    if (!retryable) fail_msg("%s: not seen as a limit refusal", name);
  }
}

// The recorded jobs (record.log): each is named "rec.xrun-<label>", so the
// label is the xrun id its records are evidence for. Submitted at unix
// times 1796170907..913.
static std::string label_of(const std::string& id) {
  static const std::map<std::string, std::string> labels = {
      {"6", "ok"},     {"7", "fail3"},  {"8", "killed"}, {"9", "badout"}, {"10", "tmo"},
      {"11", "run"},   {"12", "held"},  {"13", "dep"},   {"14", "never"}, {"15", "arr"},
      {"16", "cancel"}, {"17", "begin"}, {"18", "susp"},  {"19", "big"}};
  auto it = labels.find(id.substr(0, id.find('_')));
  return it == labels.end() ? "unrecorded" : it->second;
}
constexpr int64_t kRecordedFrom = 1796170900, kRecordedTo = 1796170915;

static std::vector<TrackedJob> tracked(std::initializer_list<const char*> ids) {
  std::vector<TrackedJob> jobs;
  for (const char* id : ids) {
    TrackedJob job{std::string("x") + id, id, "/tmp/x" + std::string(id)};
    job.name_id = label_of(id);
    job.created_s = kRecordedFrom;
    job.submitted_s = kRecordedTo;
    jobs.push_back(job);
  }
  return jobs;
}

static void test_status_recorded(void**) {
  auto s = slurm();
  auto jobs = tracked({"6", "7", "8", "9", "10", "11", "12", "13", "14", "15_0", "15_1", "15_2", "15_3", "16",
                       "17", "18", "19", "5"});
  std::string cmd = s->status_command(jobs);
  assert_non_null(strstr(cmd.c_str(), "SLURM_TIME_FORMAT=%s squeue "));
  assert_non_null(strstr(cmd.c_str(), "-o '%i|%T|%V|%r|%j'"));
  assert_non_null(strstr(cmd.c_str(), " -j 6,7,8,9,10,11,12,13,14,15_0,15_1,15_2,15_3,16,17,18,19,5"));
  auto map = s->parse_status_output(jobs, result(0, fixture("slurm/squeue_states.txt")));
  // Many jobs: all of the user's, filtered here (squeue's -j is slow on long lists).
  std::vector<TrackedJob> many;
  for (int i = 0; i < 1000; ++i) many.push_back({"m" + std::to_string(i), std::to_string(100 + i), ""});
  std::string big = s->status_command(many);
  assert_non_null(strstr(big.c_str(), "-u \"$(id -un)\""));
  assert_null(strstr(big.c_str(), " -j "));
  auto is = [&](const char* id, xrun_state st, const char* reason) {
    auto it = map.find(std::string("x") + id);
    if (it == map.end()) fail_msg("job %s missing", id);
    if (it->second.state != st || it->second.reason != reason)
      fail_msg("job %s: %s/%s, want %s/%s", id, state_name(it->second.state), it->second.reason.c_str(),
               state_name(st), reason);
  };
  is("6", XRUN_STATE_COMPLETED, "");
  assert_int_equal(*map["x6"].exit_code, 0);
  assert_true(map.find("x7") == map.end());  // non-zero exit: its code is in sacct / exit_code
  is("8", XRUN_STATE_FAILED, "JobLaunchFailure");
  is("10", XRUN_STATE_RUNNING, "");
  is("12", XRUN_STATE_HELD, "JobHeldUser");
  is("13", XRUN_STATE_QUEUED, "Dependency");
  is("14", XRUN_STATE_QUEUED, "DependencyNeverSatisfied");
  is("15_2", XRUN_STATE_HELD, "JobHeldUser");
  is("17", XRUN_STATE_HELD, "JobHeldAdmin");
  is("18", XRUN_STATE_QUEUED, "Resources");
  is("19", XRUN_STATE_QUEUED, "Priority");
  assert_int_equal(map["x16"].state, XRUN_STATE_CANCELLED);
  assert_true(map.find("x5") == map.end());  // never submitted here: left the queue

  auto after = s->parse_status_output(jobs, result(0, fixture("slurm/squeue_after.txt")));
  assert_int_equal(after["x10"].state, XRUN_STATE_TIMEOUT);
  assert_string_equal(after["x10"].reason.c_str(), "TimeLimit");
  assert_int_equal(after["x11"].state, XRUN_STATE_CANCELLED);
}

static void test_status_errors(void**) {
  auto s = slurm();
  auto jobs = tracked({"99999"});
  auto gone = s->parse_status_output(jobs, result(1, "", fixture("slurm/squeue_invalid_id.err")));
  assert_true(gone.empty());
  assert_int_equal(status_of([&] {
                     s->parse_status_output(jobs, result(1, "", "squeue: error: Unable to contact slurm controller"));
                   }),
                   XRUN_E_SCHEDULER);
  assert_string_equal(s->status_command({}).c_str(), "");
  TrackedJob hostile{"x", "1;rm -rf ~", ""};
  assert_int_equal(status_of([&] { s->status_command({hostile}); }), XRUN_E_STATE);
  assert_int_equal(status_of([&] { s->cancel_command({hostile}); }), XRUN_E_STATE);
}

static void test_accounting_recorded(void**) {
  auto s = slurm();
  auto jobs = tracked({"6", "7", "8", "9", "10", "11", "16"});
  assert_non_null(strstr(s->accounting_command(jobs).c_str(), "SLURM_TIME_FORMAT=%s sacct "));
  assert_non_null(strstr(s->accounting_command(jobs).c_str(), "-o JobID,State,ExitCode,Submit,Reason,JobName "));
  auto map = s->parse_accounting_output(jobs, result(0, fixture("slurm/sacct_states.txt")));
  assert_int_equal(map["x6"].state, XRUN_STATE_COMPLETED);
  assert_int_equal(*map["x6"].exit_code, 0);
  assert_int_equal(map["x7"].state, XRUN_STATE_FAILED);
  assert_int_equal(*map["x7"].exit_code, 3);
  assert_string_equal(map["x7"].reason.c_str(), "NonZeroExitCode");
  assert_int_equal(map["x8"].state, XRUN_STATE_FAILED);
  assert_int_equal(*map["x8"].exit_code, 137);
  assert_int_equal(map["x10"].state, XRUN_STATE_TIMEOUT);
  assert_false(map["x10"].exit_code.has_value());
  assert_int_equal(map["x16"].state, XRUN_STATE_CANCELLED);
  assert_non_null(strstr(map["x16"].reason.c_str(), "by 1001"));

  auto none = s->parse_accounting_output(jobs, result(0, "", fixture("slurm/sacct_disabled.err")));
  assert_true(none.empty());
  assert_int_equal(status_of([&] {
                     s->parse_accounting_output(
                         jobs, result(1, "", "sacct: error: Problem talking to the database: Connection refused"));
                   }),
                   XRUN_E_SCHEDULER);
}

// Issue 10 #1: a line is evidence for a job only if its name carries the
// job's xrun id and its submit time lies between the job's creation and
// submission; a scheduler id alone may belong to another job by now.
static void test_reused_id_is_not_evidence(void**) {
  auto s = slurm();
  const std::string squeue = fixture("slurm/squeue_states.txt"), sacct = fixture("slurm/sacct_states.txt");
  // A stale job that was given id 6 before the cluster was rebuilt, and
  // the recorded job that holds it now ("ok"), both tracked.
  TrackedJob stale{"stale", "6", "/tmp/stale"};
  stale.name_id = "01STALE";
  TrackedJob now = tracked({"6"})[0];
  // Job 20 ("someone|else") is no xrun job at all.
  TrackedJob foreign{"foreign", "20", "/tmp/f"};
  for (const auto& map : {s->parse_status_output({stale, now, foreign}, result(0, squeue)),
                          s->parse_accounting_output({stale, now, foreign}, result(0, sacct))}) {
    assert_true(map.count("x6") == 1);
    assert_int_equal(map.at("x6").state, XRUN_STATE_COMPLETED);
    assert_true(map.count("stale") == 0);
    assert_true(map.count("foreign") == 0);
  }
  // An array task is named after its carrier: task 15_2 of carrier "arr".
  TrackedJob task{"task2", "15_2", "/tmp/arr"};
  task.name_id = "arr";
  TrackedJob wrong_task{"task2b", "15_2", "/tmp/arr"};
  wrong_task.name_id = "task2b";  // its own id: not what the name carries
  auto tasks = s->parse_status_output({task, wrong_task}, result(0, squeue));
  assert_int_equal(tasks.at("task2").state, XRUN_STATE_HELD);
  assert_true(tasks.count("task2b") == 0);
  // The right name but a submit time outside the job's life: a later (or
  // much earlier) submission under the same name is not this one.
  TrackedJob later = tracked({"6"})[0];
  later.created_s = 1796170907 + 2 * kClockSkewSeconds;
  later.submitted_s = later.created_s + 10;
  TrackedJob earlier = tracked({"6"})[0];
  earlier.created_s = 1796170907 - 3 * kClockSkewSeconds;
  earlier.submitted_s = 1796170907 - 2 * kClockSkewSeconds;
  assert_true(s->parse_status_output({later}, result(0, squeue)).empty());
  assert_true(s->parse_accounting_output({later}, result(0, sacct)).empty());
  assert_true(s->parse_status_output({earlier}, result(0, squeue)).empty());
  assert_true(s->parse_accounting_output({earlier}, result(0, sacct)).empty());
  // Within the clock skew allowed between this host and the cluster: taken.
  TrackedJob skewed = tracked({"6"})[0];
  skewed.created_s = 1796170907 + kClockSkewSeconds / 2;
  skewed.submitted_s = skewed.created_s + 1;
  assert_int_equal(s->parse_status_output({skewed}, result(0, squeue)).at("x6").state, XRUN_STATE_COMPLETED);
}

static void test_find_output(void**) {
  auto s = slurm();
  std::string out =
      "31|relax_.xrun-01HZY3M5B7K9Q2W4E6R8T0Y1U3\n"
      "32|wrap\n"
      "40_1|xrun-01HZY3M5B7K9Q2W4E6R8T0Y1AA\n"
      "12|relax_.xrun-01HZY3M5B7K9Q2W4E6R8T0Y1U3\n"
      "13|myxrun-01HZ\n";
  auto map = s->parse_find_output(result(0, out));
  assert_int_equal(map.size(), 2);
  assert_string_equal(map["01HZY3M5B7K9Q2W4E6R8T0Y1U3"].c_str(), "31");
  assert_string_equal(map["01HZY3M5B7K9Q2W4E6R8T0Y1AA"].c_str(), "40_1");
}

static void test_hostile_values_reach_sbatch_unchanged(void**) {
  auto s = slurm();
  std::string dir = "/tmp/dir with 'quote' $(x) `y` %j";
  ScriptRequest r = request_in(dir);
  r.depends_on = {"11", "12_3"};
  r.hold = true;
  auto words = xrun_test::shell_words(s->submit_command(r, dir + "/job.sh"));
  std::vector<std::string> want = {"--parsable",
                                   "--job-name=relax___touch__tmp_xrun-pwned___q___d__line.xrun-01HZY3M5B7K9Q2W4E6R8T0Y1U3",
                                   "--output=\\" + dir + "/stdout",
                                   "--error=\\" + dir + "/stderr",
                                   "--chdir=" + dir,
                                   "--hold",
                                   "--dependency=afterok:11:12_3",
                                   dir + "/job.sh"};
  assert_int_equal(words.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) assert_string_equal(words[i].c_str(), want[i].c_str());
  r.depends_on = {"11;reboot"};
  assert_int_equal(status_of([&] { s->submit_command(r, "/x"); }), XRUN_E_STATE);
}

static void test_directives_are_checked(void**) {
  auto s = slurm();
  ScriptRequest r = request_in("/tmp/d");
  r.resources.nodes = 2;
  r.resources.tasks_per_node = 4;
  r.resources.cpus_per_task = 1;
  r.resources.memory = "2G";
  r.resources.walltime = "1-02:00:00";
  r.resources.partition = "debug";
  r.resources.account = "proj42";
  r.resources.qos = "normal";
  std::string script = s->render_script(r);
  for (const char* line : {"#SBATCH --nodes=2\n", "#SBATCH --ntasks-per-node=4\n", "#SBATCH --cpus-per-task=1\n",
                           "#SBATCH --mem=2048M\n", "#SBATCH --time=1-02:00:00\n", "#SBATCH --partition=debug\n",
                           "#SBATCH --account=proj42\n", "#SBATCH --qos=normal\n"})
    if (!strstr(script.c_str(), line)) fail_msg("missing %s", line);
  // The launcher gets the task count of these resources.
  ScriptRequest mpi = r;
  mpi.launcher = "mpirun -np {tasks}";
  mpi.command = "pw.x -in si.in";
  assert_non_null(strstr(s->render_script(mpi).c_str(), "mpirun -np 8 pw.x -in si.in\n"));
  mpi.launcher = "srun";
  assert_non_null(strstr(s->render_script(mpi).c_str(), "srun pw.x -in si.in\n"));
  auto refused = [&](auto change) {
    ScriptRequest bad = r;
    change(bad);
    return status_of([&] { s->render_script(bad); });
  };
  assert_int_equal(refused([](ScriptRequest& b) { b.resources.partition = "debug\n#SBATCH --uid=0"; }), XRUN_E_INVALID);
  assert_int_equal(refused([](ScriptRequest& b) { b.resources.account = "a;b"; }), XRUN_E_INVALID);
  assert_int_equal(refused([](ScriptRequest& b) { b.resources.qos = "$(id)"; }), XRUN_E_INVALID);
  assert_int_equal(refused([](ScriptRequest& b) { b.resources.walltime = "forever"; }), XRUN_E_INVALID);
  assert_int_equal(refused([](ScriptRequest& b) { b.resources.memory = "lots"; }), XRUN_E_INVALID);
  assert_int_equal(refused([](ScriptRequest& b) { b.resources.nodes = 0; }), XRUN_E_INVALID);
  assert_int_equal(refused([](ScriptRequest& b) { b.env["BAD NAME"] = "x"; }), XRUN_E_INVALID);
}

static std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

static void test_rendered_script_runs_and_records(void**) {
  // Run the script bash would run on the node: the exit code is recorded,
  // hostile env values arrive unchanged and nothing is injected.
  auto s = slurm();
  std::string dir = std::string(xrun_test_tempdir("slurm-script")) + "/it's a dir $(x)";
  mkdir(dir.c_str(), 0755);
  ScriptRequest r = request_in(dir);
  r.env["HOSTILE"] = "$(touch /tmp/xrun-pwned) `x` 'q'";
  r.command = "printf '%s' \"$HOSTILE\" > value; exit 4";
  remove("/tmp/xrun-pwned");
  std::string script = s->render_script(r);
  xrun_test_write_file((dir + "/job.sh").c_str(), (script).c_str());
  auto run = xrun_test::shell("cd / && bash " + xrun::quote_for_shell(dir + "/job.sh"));
  assert_int_equal(run.exit_status, 4);
  assert_string_equal(read_text(dir + "/exit_code").c_str(), "4\n");
  assert_string_equal(read_text(dir + "/value").c_str(), "$(touch /tmp/xrun-pwned) `x` 'q'");
  assert_int_equal(access("/tmp/xrun-pwned", F_OK), -1);

  // An array task records exit_code.<index>.
  r.array = "0-3";
  r.command = "exit $((SLURM_ARRAY_TASK_ID + 10))";
  xrun_test_write_file((dir + "/array.sh").c_str(), (s->render_script(r)).c_str());
  run = xrun_test::shell("SLURM_ARRAY_TASK_ID=2 bash " + xrun::quote_for_shell(dir + "/array.sh"));
  assert_int_equal(run.exit_status, 12);
  assert_string_equal(read_text(array_task_exit_code_path(dir + "/exit_code", 2)).c_str(), "12\n");
  auto words = xrun_test::shell_words(s->submit_command(request_in("/tmp/plain"), "/tmp/plain/job.sh"));
  assert_string_equal(words[2].c_str(), "--output=/tmp/plain/stdout");
  ScriptRequest arr = request_in("/tmp/plain");
  arr.array = "0-3%2";
  words = xrun_test::shell_words(s->submit_command(arr, "/tmp/plain/job.sh"));
  assert_string_equal(words[2].c_str(), "--output=/tmp/plain/stdout.%a");
  assert_string_equal(words[5].c_str(), "--array=0-3%2");
  assert_string_equal(s->array_task_id("40", 3).c_str(), "40_3");
  arr.array = "3-1";
  assert_int_equal(status_of([&] { s->submit_command(arr, "/x"); }), XRUN_E_INVALID);
}

static void test_values(void**) {
  assert_int_equal(walltime_seconds("30"), 1800);
  assert_int_equal(walltime_seconds("01:30"), 90);
  assert_int_equal(walltime_seconds("02:00:00"), 7200);
  assert_int_equal(walltime_seconds("1-00"), 86400);
  assert_int_equal(walltime_seconds("2-01:00:05"), 2 * 86400 + 3605);
  assert_string_equal(hms(2 * 86400 + 3605).c_str(), "49:00:05");
  assert_int_equal(memory_megabytes("64G"), 65536);
  assert_int_equal(memory_megabytes("500M"), 500);
  assert_int_equal(memory_megabytes("1024"), 1024);
  assert_int_equal(memory_megabytes("2gb"), 2048);
  assert_int_equal(memory_megabytes("1GiB"), 1024);
  assert_int_equal(memory_megabytes("100K"), 1);
  assert_int_equal(status_of([] { memory_megabytes("999999999999T"); }), XRUN_E_INVALID);
  assert_int_equal(leading_int("137                  (Killed)"), 137);
  assert_int_equal(leading_int("99999999999999999999"), 1000000);
  assert_int_equal(clamped_integer(1e300), 1000000000000000LL);
  auto idx = array_indexes("0-6:3,10,2%4");
  std::vector<int64_t> want = {0, 2, 3, 6, 10};
  assert_true(idx == want);
  assert_int_equal(status_of([] { array_indexes("1-"); }), XRUN_E_INVALID);
  assert_int_equal(status_of([] { array_indexes("0-1000000"); }), XRUN_E_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_state_maps),
      cmocka_unit_test(test_exit_codes),
      cmocka_unit_test(test_submit_output),
      cmocka_unit_test(test_limit_refusals_are_retryable),
      cmocka_unit_test(test_status_recorded),
      cmocka_unit_test(test_status_errors),
      cmocka_unit_test(test_accounting_recorded),
      cmocka_unit_test(test_reused_id_is_not_evidence),
      cmocka_unit_test(test_find_output),
      cmocka_unit_test(test_hostile_values_reach_sbatch_unchanged),
      cmocka_unit_test(test_directives_are_checked),
      cmocka_unit_test(test_rendered_script_runs_and_records),
      cmocka_unit_test(test_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
