// PBS, SGE and LSF schedulers on outputs kept in tests/fixtures (see the
// README there for each file's origin) and on hostile values.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/state.h"
#include "fixture_util.h"
#include "scheduler/batch_common.h"
#include "scheduler/lsf_status.h"
#include "scheduler/pbs_status.h"
#include "scheduler/scheduler.h"
#include "scheduler/sge_status.h"
#include "util/error.h"
#include "util/shell_quote.h"

#include "test_common.h"  // last: cmocka's fail() macro clashes with <ios>

using namespace xrun;
using xrun_test::fixture;
using xrun_test::result;

template <typename F>
static int status_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.status();
  }
  return 0;
}

template <typename F>
static bool refused_for_limit(F&& f) {
  try {
    f();
  } catch (const SubmitRefusedForLimit&) {
    return true;
  } catch (const Error&) {
    return false;
  }
  return false;
}

static ScriptRequest request_in(const std::string& dir) {
  ScriptRequest r;
  r.job_id = "01HZY3M5B7K9Q2W4E6R8T0Y1U3";
  r.name = "it's $(x)";
  r.job_dir = dir;
  r.command = "true";
  r.stdout_path = dir + "/stdout";
  r.stderr_path = dir + "/stderr";
  r.exit_code_path = dir + "/exit_code";
  return r;
}

static void expect(std::map<std::string, JobStatus>& map, const std::string& id, xrun_state state,
                   std::optional<int> code = std::nullopt) {
  auto it = map.find(id);
  if (it == map.end()) fail_msg("job %s missing", id.c_str());
  if (it->second.state != state)
    fail_msg("job %s: %s (%s, raw %s), want %s", id.c_str(), state_name(it->second.state), it->second.reason.c_str(),
             it->second.raw_state.c_str(), state_name(state));
  if (code && it->second.exit_code != code)
    fail_msg("job %s: exit code %d, want %d", id.c_str(), it->second.exit_code.value_or(-999), *code);
}

static std::vector<TrackedJob> tracked(const std::vector<std::string>& ids) {
  std::vector<TrackedJob> jobs;
  for (const auto& id : ids) jobs.push_back({"x" + id, id, "/tmp/x"});
  return jobs;
}

// A scheduler record is evidence for a job only when its job name carries
// the job's xrun id (issue 10 #1). The tracked jobs above are called "x<id>"
// in these tests; the names in the recordings carry other ids, read here
// (scheduler id without task/server suffix -> xrun id in its name).
static std::string base_id(const std::string& id) { return id.substr(0, id.find_first_of(".[")); }
static std::string after_prefix(const std::string& name, const std::string& prefix) {
  std::string plain = name.substr(0, name.find('['));
  return plain.compare(0, prefix.size(), prefix) == 0 ? plain.substr(prefix.size()) : "";
}
static std::vector<TrackedJob> named(std::vector<TrackedJob> jobs, const std::map<std::string, std::string>& owners) {
  for (auto& job : jobs) {
    auto it = owners.find(base_id(job.scheduler_id));
    if (it != owners.end()) job.name_id = it->second;
  }
  return jobs;
}
static std::map<std::string, std::string> pbs_owners(const std::string& text) {
  std::map<std::string, std::string> out;
  for (auto& [id, a] : parse_pbs_qstat(text)) out[base_id(id)] = after_prefix(a["Job_Name"], "x");
  return out;
}
static std::map<std::string, std::string> sge_owners(const std::string& xml) {
  std::map<std::string, std::string> out;
  for (const auto& e : parse_sge_qstat_xml(xml)) out[e.job_number] = after_prefix(e.name, "x");
  return out;
}
static std::map<std::string, std::string> qacct_owners(const std::string& text) {
  std::map<std::string, std::string> out;
  for (auto& [id, r] : parse_sge_qacct(text)) out[base_id(id)] = after_prefix(r["jobname"], "x");
  return out;
}
static std::map<std::string, std::string> lsf_owners(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const auto& r : parse_lsf_bjobs(text)) out[base_id(r.id)] = after_prefix(r.job_name, "xrun-");
  return out;
}

// Every record of the scheduler's parse for `jobs` disappears when the same
// jobs carry another xrun id than their records' names: the id alone is no
// evidence. And of two jobs given one id, only the named one gets the record.
template <typename Parse>
static void names_decide(const std::vector<TrackedJob>& jobs, Parse parse) {
  auto map = parse(jobs);
  assert_false(map.empty());
  std::vector<TrackedJob> strangers = jobs;
  for (auto& job : strangers) job.name_id = "01STRANGER";
  assert_true(parse(strangers).empty());
  for (const auto& job : jobs) {
    if (!map.count(job.job_id)) continue;
    TrackedJob stale = job;
    stale.job_id = "stale";
    stale.name_id = "01STALE";
    auto both = parse(std::vector<TrackedJob>{stale, job});
    assert_true(both.count(job.job_id) == 1);
    assert_int_equal(both.at(job.job_id).state, map.at(job.job_id).state);
    assert_true(both.count("stale") == 0);
  }
}

// ---------------------------------------------------------------- PBS

static void test_pbs_json(void**) {
  auto s = make_scheduler("pbs");
  auto jobs = named(tracked({"1001.pbs01", "1002.pbs01", "1003.pbs01", "1004.pbs01", "1005.pbs01", "1006.pbs01",
                             "1007.pbs01", "1008.pbs01", "1009.pbs01", "1010[0].pbs01", "1010[1].pbs01",
                             "1010[2].pbs01", "1010[3].pbs01", "999.pbs01"}),
                     pbs_owners(fixture("pbs/qstat_f_F_json_x.json")));
  std::string cmd = s->status_command(jobs);
  assert_non_null(strstr(cmd.c_str(), "qstat -f -F json -x"));
  assert_non_null(strstr(cmd.c_str(), "'1010[2].pbs01'"));  // quoted: [] is a glob
  auto map = s->parse_status_output(
      jobs, result(153, fixture("pbs/qstat_f_F_json_x.json"), fixture("pbs/qstat_unknown_job.err")));
  expect(map, "x1001.pbs01", XRUN_STATE_COMPLETED, 0);
  expect(map, "x1002.pbs01", XRUN_STATE_FAILED, 3);
  expect(map, "x1003.pbs01", XRUN_STATE_TIMEOUT);
  expect(map, "x1004.pbs01", XRUN_STATE_RUNNING);
  expect(map, "x1005.pbs01", XRUN_STATE_QUEUED);
  assert_non_null(strstr(map["x1005.pbs01"].reason.c_str(), "Insufficient amount of resource"));
  expect(map, "x1006.pbs01", XRUN_STATE_HELD);
  expect(map, "x1007.pbs01", XRUN_STATE_CANCELLED);
  expect(map, "x1008.pbs01", XRUN_STATE_OUT_OF_MEMORY);
  expect(map, "x1009.pbs01", XRUN_STATE_FAILED, 128 + 9);
  expect(map, "x1010[0].pbs01", XRUN_STATE_COMPLETED, 0);
  expect(map, "x1010[1].pbs01", XRUN_STATE_FAILED, 2);
  expect(map, "x1010[2].pbs01", XRUN_STATE_RUNNING);
  expect(map, "x1010[3].pbs01", XRUN_STATE_QUEUED);
  assert_true(map.find("x999.pbs01") == map.end());
  names_decide(jobs, [&](const std::vector<TrackedJob>& j) {
    return s->parse_status_output(j, result(153, fixture("pbs/qstat_f_F_json_x.json"), fixture("pbs/qstat_unknown_job.err")));
  });
  assert_int_equal(status_of([&] { s->parse_status_output(jobs, result(0, "{\"Jobs\": {")); }), XRUN_E_SCHEDULER);
  assert_int_equal(status_of([&] { s->parse_status_output(jobs, result(2, "", "qstat: cannot connect to server")); }),
                   XRUN_E_SCHEDULER);
  auto found = s->parse_find_output(result(0, fixture("pbs/qstat_f_torque.txt")));
  assert_string_equal(found["01HZY3M5B7K9Q2W4E6R8T0Y1V3"].c_str(), "2003.torque01.cluster.example.org");
}

static void test_pbs_torque_text(void**) {
  auto s = make_scheduler("pbs");
  // qsub printed the short server name; qstat prints the long one.
  auto jobs = named(tracked({"2001.torque01", "2002.torque01", "2003.torque01", "2004.torque01", "2005.torque01"}),
                    pbs_owners(fixture("pbs/qstat_f_torque.txt")));
  auto map = s->parse_status_output(jobs, result(0, fixture("pbs/qstat_f_torque.txt")));
  names_decide(jobs, [&](const std::vector<TrackedJob>& j) {
    return s->parse_status_output(j, result(0, fixture("pbs/qstat_f_torque.txt")));
  });
  expect(map, "x2001.torque01", XRUN_STATE_COMPLETED, 0);
  expect(map, "x2002.torque01", XRUN_STATE_FAILED, 128 + 15);
  expect(map, "x2003.torque01", XRUN_STATE_RUNNING);
  expect(map, "x2004.torque01", XRUN_STATE_HELD);
  expect(map, "x2005.torque01", XRUN_STATE_TIMEOUT);
  auto records = parse_pbs_qstat(fixture("pbs/qstat_f_torque.txt"));
  // Continuation lines are joined.
  assert_string_equal(records["2001.torque01.cluster.example.org"]["Output_Path"].c_str(),
                      "login02.cluster.example.org:/home/bob/xrun/01HZY3M5B7K9Q2W4E6R8T0Y1V1/stdout");
}

static void test_pbs_submit(void**) {
  auto s = make_scheduler("pbs");
  assert_string_equal(s->parse_submit_output(result(0, "1011.pbs01\n")).c_str(), "1011.pbs01");
  assert_string_equal(s->parse_submit_output(result(0, "1012[].pbs01\n")).c_str(), "1012[].pbs01");
  assert_true(refused_for_limit([&] { s->parse_submit_output(result(38, "", fixture("pbs/qsub_pbspro_user_limit.err"))); }));
  assert_true(refused_for_limit([&] { s->parse_submit_output(result(1, "", fixture("pbs/qsub_torque_queue_limit.err"))); }));
  assert_false(refused_for_limit([&] { s->parse_submit_output(result(1, "", fixture("pbs/qsub_bad_queue.err"))); }));
  assert_int_equal(status_of([&] { s->parse_submit_output(result(1, "", fixture("pbs/qsub_bad_queue.err"))); }),
                   XRUN_E_SCHEDULER);
  assert_string_equal(s->array_task_id("1012[].pbs01", 3).c_str(), "1012[3].pbs01");

  ScriptRequest r = request_in("/scratch/a dir/j1");
  r.resources.nodes = 2;
  r.resources.tasks_per_node = 4;
  r.resources.walltime = "1-00:30:00";
  r.resources.memory = "4G";
  r.resources.partition = "workq";
  r.resources.account = "proj42";
  r.depends_on = {"1001.pbs01", "1010[].pbs01"};
  r.hold = true;
  std::string script = s->render_script(r);
  for (const char* line : {"#PBS -l nodes=2:ppn=4\n", "#PBS -l walltime=24:30:00\n", "#PBS -l mem=4096mb\n",
                           "#PBS -q workq\n", "#PBS -A proj42\n"})
    if (!strstr(script.c_str(), line)) fail_msg("missing %s", line);
  std::string cmd = s->submit_command(r, r.job_dir + "/job.sh");
  assert_true(cmd.rfind("cd '/scratch/a dir/j1' && qsub ", 0) == 0);
  auto words = xrun_test::shell_words(cmd.substr(cmd.find("qsub")));
  std::vector<std::string> want = {"-N", "x01HZY3M5B7K9Q2W4E6R8T0Y1U3", "-o", "/scratch/a dir/j1/stdout", "-e",
                                   "/scratch/a dir/j1/stderr", "-h", "-W",
                                   "depend=afterok:1001.pbs01:1010[].pbs01", "/scratch/a dir/j1/job.sh"};
  assert_int_equal(words.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) assert_string_equal(words[i].c_str(), want[i].c_str());
  r.resources.qos = "high";
  assert_int_equal(status_of([&] { s->render_script(r); }), XRUN_E_UNSUPPORTED);
  r.resources.qos.reset();
  r.stdout_path = "/a:b/stdout";
  assert_int_equal(status_of([&] { s->submit_command(r, "/x"); }), XRUN_E_INVALID);
  r.stdout_path = "/ok/stdout";
  r.array = "1,3";
  assert_int_equal(status_of([&] { s->submit_command(r, "/x"); }), XRUN_E_UNSUPPORTED);
}

// ---------------------------------------------------------------- SGE

static void test_sge_qstat_recorded(void**) {
  auto s = make_scheduler("sge");
  auto jobs = named(tracked({"3", "4", "5", "6.1", "6.2", "6.3", "7", "1"}), sge_owners(fixture("sge/qstat_xml.xml")));
  auto map = s->parse_status_output(jobs, result(0, fixture("sge/qstat_xml_g_d.xml")));
  names_decide(jobs, [&](const std::vector<TrackedJob>& j) {
    return s->parse_status_output(j, result(0, fixture("sge/qstat_xml_g_d.xml")));
  });
  expect(map, "x3", XRUN_STATE_RUNNING);
  expect(map, "x4", XRUN_STATE_RUNNING);
  expect(map, "x5", XRUN_STATE_HELD);
  expect(map, "x6.1", XRUN_STATE_HELD);
  expect(map, "x6.3", XRUN_STATE_HELD);
  expect(map, "x7", XRUN_STATE_QUEUED);
  assert_true(map.find("x1") == map.end());
  // Without -g d a pending array is one line with a task range.
  auto ranged = s->parse_status_output(jobs, result(0, fixture("sge/qstat_xml.xml")));
  expect(ranged, "x6.2", XRUN_STATE_HELD);
  auto after = s->parse_status_output(jobs, result(0, fixture("sge/qstat_xml_after.xml")));
  expect(after, "x7", XRUN_STATE_HELD);
  assert_string_equal(after["x7"].reason.c_str(), "Error");
  assert_true(after.find("x6.2") == after.end());  // released and done
  assert_true(after.find("x3") == after.end());
  assert_int_equal(status_of([&] { s->parse_status_output(jobs, result(0, "garbage")); }), XRUN_E_SCHEDULER);
  auto found = s->parse_find_output(result(0, fixture("sge/qstat_xml.xml")));
  assert_string_equal(found["held"].c_str(), "5");
}

static void test_sge_qacct_recorded(void**) {
  auto s = make_scheduler("sge");
  auto jobs = named(tracked({"1", "2", "3", "4", "6.2", "99999"}), qacct_owners(fixture("sge/qacct_j.txt")));
  std::string cmd = s->accounting_command(jobs);
  names_decide(jobs, [&](const std::vector<TrackedJob>& j) {
    return s->parse_accounting_output(j, result(0, fixture("sge/qacct_j.txt")));
  });
  assert_non_null(strstr(cmd.c_str(), "qacct -j"));
  auto map = s->parse_accounting_output(jobs, result(0, fixture("sge/qacct_j.txt")));
  expect(map, "x1", XRUN_STATE_COMPLETED, 0);
  expect(map, "x2", XRUN_STATE_FAILED, 3);
  expect(map, "x3", XRUN_STATE_TIMEOUT);
  expect(map, "x4", XRUN_STATE_FAILED, 137);  // qdel of a running job: qacct cannot tell it from SIGKILL
  expect(map, "x6.2", XRUN_STATE_COMPLETED, 0);
  assert_true(map.find("x99999") == map.end());
  assert_true(s->parse_accounting_output(jobs, result(0, fixture("sge/qacct_unknown.out"))).empty());
}

static void test_sge_submit(void**) {
  auto s = make_scheduler("sge");
  assert_string_equal(s->parse_submit_output(result(0, fixture("sge/qsub_terse.out"))).c_str(), "7");
  assert_string_equal(s->parse_submit_output(result(0, "6.1-3:1\n")).c_str(), "6");
  assert_true(refused_for_limit([&] { s->parse_submit_output(result(25, "", fixture("sge/qsub_max_u_jobs.err"))); }));
  assert_false(refused_for_limit([&] { s->parse_submit_output(result(1, "", fixture("sge/qsub_bad_queue.err"))); }));
  ScriptRequest r = request_in("/w");
  r.resources.walltime = "90";
  r.resources.memory = "1G";
  std::string script = s->render_script(r);
  assert_non_null(strstr(script.c_str(), "#$ -l h_rt=01:30:00\n"));
  assert_non_null(strstr(script.c_str(), "#$ -l h_vmem=1024M\n"));
  r.resources.tasks_per_node = 4;
  assert_int_equal(status_of([&] { s->render_script(r); }), XRUN_E_UNSUPPORTED);
  r.resources.tasks_per_node.reset();
  r.array = "1-3";
  r.depends_on = {"5", "6.2"};
  auto words = xrun_test::shell_words(s->submit_command(r, "/w/job.sh"));
  std::vector<std::string> want = {"-terse", "-N", "x01HZY3M5B7K9Q2W4E6R8T0Y1U3", "-wd", "/w", "-o",
                                   "/w/stdout.$TASK_ID", "-e", "/w/stderr.$TASK_ID", "-t", "1-3", "-hold_jid",
                                   "5,6", "/w/job.sh"};
  assert_int_equal(words.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) assert_string_equal(words[i].c_str(), want[i].c_str());
  r.stdout_path = "/w/$HOME";
  assert_int_equal(status_of([&] { s->submit_command(r, "/x"); }), XRUN_E_INVALID);
  assert_string_equal(s->cancel_command(tracked({"6.2", "7"})).c_str(), "qdel 6.2 7");
}

// ---------------------------------------------------------------- LSF

static void test_lsf_bjobs(void**) {
  auto s = make_scheduler("lsf");
  auto jobs = named(tracked({"3001", "3002", "3003", "3004", "3005", "3006", "3007", "3008", "3009[1]", "3009[2]", "999"}),
                    lsf_owners(fixture("lsf/bjobs_a_json.json")));
  names_decide(jobs, [&](const std::vector<TrackedJob>& j) {
    return s->parse_status_output(j, result(255, fixture("lsf/bjobs_a_json.json"), fixture("lsf/bjobs_not_found.err")));
  });
  std::string cmd = s->status_command(jobs);
  assert_non_null(strstr(cmd.c_str(), "bjobs -a -json -o "));
  assert_non_null(strstr(cmd.c_str(), "'3009[1]'"));
  auto map = s->parse_status_output(jobs, result(255, fixture("lsf/bjobs_a_json.json"), fixture("lsf/bjobs_not_found.err")));
  expect(map, "x3001", XRUN_STATE_COMPLETED, 0);
  expect(map, "x3002", XRUN_STATE_FAILED, 3);
  expect(map, "x3003", XRUN_STATE_TIMEOUT);
  expect(map, "x3004", XRUN_STATE_CANCELLED);
  expect(map, "x3005", XRUN_STATE_OUT_OF_MEMORY);
  expect(map, "x3006", XRUN_STATE_RUNNING);
  expect(map, "x3007", XRUN_STATE_QUEUED);
  expect(map, "x3008", XRUN_STATE_HELD);
  expect(map, "x3009[1]", XRUN_STATE_COMPLETED, 0);
  expect(map, "x3009[2]", XRUN_STATE_FAILED, 5);
  assert_true(map.find("x999") == map.end());
  auto text = s->parse_status_output(jobs, result(0, fixture("lsf/bjobs_text.txt")));
  expect(text, "x3003", XRUN_STATE_TIMEOUT);
  assert_string_equal(text["x3007"].reason.c_str(), "Job dependency condition not satisfied;");
  assert_int_equal(status_of([&] { s->parse_status_output(jobs, result(255, "", "LSF is down")); }), XRUN_E_SCHEDULER);
  auto found = s->parse_find_output(result(0, fixture("lsf/bjobs_a_json.json")));
  assert_string_equal(found["01HZY3M5B7K9Q2W4E6R8T0Y1W9"].c_str(), "3009");
}

static void test_lsf_submit(void**) {
  auto s = make_scheduler("lsf");
  assert_string_equal(s->parse_submit_output(result(0, fixture("lsf/bsub.out"))).c_str(), "3011");
  assert_string_equal(s->parse_submit_output(result(0, fixture("lsf/bsub_default_queue.out"))).c_str(), "3012");
  assert_true(refused_for_limit([&] { s->parse_submit_output(result(255, "", fixture("lsf/bsub_pending_limit.err"))); }));
  assert_false(refused_for_limit([&] { s->parse_submit_output(result(255, "", fixture("lsf/bsub_bad_queue.err"))); }));
  ScriptRequest r = request_in("/w");
  r.resources.nodes = 2;
  r.resources.tasks_per_node = 8;
  r.resources.walltime = "01:30:20";
  r.resources.memory = "2G";
  std::string script = s->render_script(r);
  for (const char* line : {"#BSUB -n 16\n", "#BSUB -R \"span[ptile=8]\"\n", "#BSUB -W 1:31\n",
                           "#BSUB -R \"rusage[mem=2048]\"\n"})
    if (!strstr(script.c_str(), line)) fail_msg("missing %s", line);
  r.array = "1-4%2";
  r.depends_on = {"3001", "3009[2]"};
  std::string cmd = s->submit_command(r, "/w/job.sh");
  assert_non_null(strstr(cmd.c_str(), "-J 'xrun-01HZY3M5B7K9Q2W4E6R8T0Y1U3[1-4]%2'"));
  assert_non_null(strstr(cmd.c_str(), "-w 'done(3001) && done(3009[2])'"));
  assert_non_null(strstr(cmd.c_str(), " < '/w/job.sh'"));
  r.array = "0-3";
  assert_int_equal(status_of([&] { s->submit_command(r, "/x"); }), XRUN_E_UNSUPPORTED);
  assert_string_equal(s->array_task_id("3009", 2).c_str(), "3009[2]");
}

static void test_every_scheduler_quotes_the_script_path(void**) {
  // A hostile script path reaches the program as one unchanged argument.
  std::string dir = "/tmp/a 'b' $(touch /tmp/xrun-pwned)";
  remove("/tmp/xrun-pwned");
  for (const char* name : {"slurm", "pbs", "sge"}) {
    auto s = make_scheduler(name);
    ScriptRequest r = request_in("/w");
    std::string cmd = s->submit_command(r, dir + "/job.sh");
    std::string prog = std::string(name) == "slurm" ? "sbatch" : "qsub";
    // Only the scheduler's part: PBS prefixes a cd.
    cmd = cmd.substr(cmd.find(prog));
    auto words = xrun_test::shell_words(cmd);
    assert_string_equal(words.back().c_str(), (dir + "/job.sh").c_str());
  }
  assert_int_equal(access("/tmp/xrun-pwned", F_OK), -1);
}

// ---------------------------------------------------------------- directives

// Issue 11 #2: what each scheduler reads as its options in a job script --
//   Slurm (sbatch):      "#SBATCH" lines before the first command line;
//   PBS/Torque (qsub):   "#PBS" lines before the first command line;
//   Grid Engine (qsub):  "#$" lines ANYWHERE in the script (seen on the real
//                        one: "-l h_rt" ended a job, "-h" held it);
//   LSF (bsub < file):   "#BSUB" lines before the first command line;
//   direct:              nothing (bash only).
// So no value from a job spec -- argv, env, workdir, name -- may start a
// line: every line starting with '#' is in the header xrun wrote, and none
// carries the hostile text.
static void test_values_never_start_a_script_line(void**) {
  const std::string evil = "x\n#SBATCH --uid=0\n#PBS -h\n#$ -h\n#BSUB -q evil\n  #$ -l h_rt=1\r#$ -h\ny";
  for (const char* name : {"slurm", "pbs", "sge", "lsf", "direct"}) {
    auto s = make_scheduler(name);
    ScriptRequest r = request_in("/w/dir" + evil);
    r.name = evil;
    r.run_dir = "/w/run" + evil;
    r.command = "printf '%s' " + xrun::quote_for_shell(evil) + "; true " + xrun::quote_for_shell(evil);
    r.env["HOSTILE"] = evil;
    r.resources.walltime = "10";
    std::string script = s->render_script(r);
    bool header = true;
    int directives = 0;
    size_t start = 0;
    while (start < script.size()) {
      size_t end = script.find_first_of("\n", start);
      if (end == std::string::npos) end = script.size();
      std::string line = script.substr(start, end - start);
      start = end + 1;
      std::string trimmed = line.substr(std::min(line.size(), line.find_first_not_of(" \t\r")));
      bool comment = !trimmed.empty() && trimmed[0] == '#';
      if (!comment) header = false;
      if (comment && !header) fail_msg("%s: a line after the header starts with '#': %s", name, line.c_str());
      if (comment && (line.find("evil") != std::string::npos || line.find("uid") != std::string::npos ||
                      line.find("-h") != std::string::npos || line.find("h_rt=1\n") != std::string::npos))
        fail_msg("%s: hostile directive %s", name, line.c_str());
      if (comment) ++directives;
      if (line.find('\r') != std::string::npos) fail_msg("%s: a carriage return in the script", name);
    }
    assert_true(directives >= 2);  // the shebang and "# xrun job ID" at least
  }
}

static std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The same values run through the rendered direct script arrive unchanged
// (the $'\n' spelling is bash's, and every job script is bash).
static void test_hostile_values_arrive_unchanged_through_the_script(void**) {
  auto s = make_scheduler("direct");
  const std::string evil = "x\n#$ -h\n#SBATCH --uid=0\r\n  'q' $(touch /tmp/xrun-pwned) `y`\n";
  std::string dir = std::string(xrun_test_tempdir("directives")) + "/dir\n#$ -h";
  assert_int_equal(mkdir(dir.c_str(), 0755), 0);
  ScriptRequest r = request_in(dir);
  r.env["HOSTILE"] = evil;
  r.command = "printf '%s' \"$HOSTILE\" > env.out; printf '%s' " + xrun::quote_for_shell(evil) + " > arg.out";
  xrun_test_write_file((dir + "/job.sh").c_str(), s->render_script(r).c_str());
  remove("/tmp/xrun-pwned");
  auto run = xrun_test::shell("cd / && bash " + xrun::quote_for_shell(dir + "/job.sh"));
  assert_int_equal(run.exit_status, 0);
  assert_string_equal(slurp(dir + "/env.out").c_str(), evil.c_str());
  assert_string_equal(slurp(dir + "/arg.out").c_str(), evil.c_str());
  assert_string_equal(slurp(dir + "/exit_code").c_str(), "0\n");
  assert_int_equal(access("/tmp/xrun-pwned", F_OK), -1);
}

// Issue 11 #4 for the direct scheduler: a login banner before `echo $!`
// is skipped; exit 0 without a pid is an unknown outcome (never a
// refusal), and recover finds the job's script among the processes.
static void test_direct_submit_output_and_find(void**) {
  auto s = make_scheduler("direct");
  assert_string_equal(s->parse_submit_output(result(0, "Welcome to the cluster!\n4711\n")).c_str(), "4711");
  bool unknown = false;
  try {
    s->parse_submit_output(result(0, "Welcome to the cluster!\n"));
  } catch (const SubmitOutcomeUnknown&) {
    unknown = true;
  } catch (const Error&) {
  }
  assert_true(unknown);
  assert_int_equal(status_of([&] { s->parse_submit_output(result(2, "", "setsid: not found")); }), XRUN_E_SCHEDULER);
  auto found = s->parse_find_output(result(0,
                                           "    1 /sbin/init\n"
                                           " 4711 /bin/bash /w/jobs/01HZY3M5B7K9Q2W4E6R8T0Y1U3/.xrun/job.sh\n"
                                           " 4712 /bin/bash /w/old jobs/01HZY3M5B7K9Q2W4E6R8T0Y1U4/job.sh\n"
                                           " 4713 vim job.sh\n"));
  assert_int_equal(found.size(), 2);
  assert_string_equal(found["01HZY3M5B7K9Q2W4E6R8T0Y1U3"].c_str(), "4711");
  assert_string_equal(found["01HZY3M5B7K9Q2W4E6R8T0Y1U4"].c_str(), "4712");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_direct_submit_output_and_find),
      cmocka_unit_test(test_values_never_start_a_script_line),
      cmocka_unit_test(test_hostile_values_arrive_unchanged_through_the_script),
      cmocka_unit_test(test_pbs_json),          cmocka_unit_test(test_pbs_torque_text),
      cmocka_unit_test(test_pbs_submit),        cmocka_unit_test(test_sge_qstat_recorded),
      cmocka_unit_test(test_sge_qacct_recorded), cmocka_unit_test(test_sge_submit),
      cmocka_unit_test(test_lsf_bjobs),         cmocka_unit_test(test_lsf_submit),
      cmocka_unit_test(test_every_scheduler_quotes_the_script_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
