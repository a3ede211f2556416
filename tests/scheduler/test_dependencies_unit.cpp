// Dependencies without a machine: the typed "depends_on" of a spec (parsed
// strictly, written back so stored specs keep it, plain ids still read),
// how Slurm and the other schedulers render types, the plan that decides
// between native dependencies and holding in xrun, and batch references.
#include <map>
#include <string>
#include <vector>

#include "core/dependencies.h"
#include "core/job_spec.h"
#include "scheduler/batch_common.h"
#include "scheduler/scheduler.h"
#include "util/error.h"

#include "test_common.h"  // last: cmocka's fail() macro clashes with <ios>

using namespace xrun;

template <typename F>
static std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

static void test_typed_depends_on_round_trip(void**) {
  JobSpec spec = parse_job_spec(
      R"({"command": "true", "depends_on": ["A", {"job": "B", "type": "afterany"}, {"job": "C"},)"
      R"( {"job": "D", "type": "afternotok"}]})");
  assert_int_equal(spec.depends_on.size(), 4);
  assert_string_equal(spec.depends_on[0].job.c_str(), "A");
  assert_true(spec.depends_on[0].type == DependencyType::AfterOk);
  assert_true(spec.depends_on[1].type == DependencyType::AfterAny);
  assert_true(spec.depends_on[2].type == DependencyType::AfterOk);
  assert_true(spec.depends_on[3].type == DependencyType::AfterNotOk);
  std::string stored = job_spec_to_json(spec);
  // afterok stays a plain id, what earlier versions stored and read.
  assert_non_null(strstr(stored.c_str(),
                         R"("depends_on":["A",{"job":"B","type":"afterany"},"C",{"job":"D","type":"afternotok"}])"));
  JobSpec again = parse_job_spec(stored);
  assert_int_equal(again.depends_on.size(), 4);
  assert_true(again.depends_on[3].type == DependencyType::AfterNotOk);
  // fail_fast and batch are kept too.
  spec.fail_fast = true;
  spec.batch = "01BATCH";
  again = parse_job_spec(job_spec_to_json(spec));
  assert_true(again.fail_fast);
  assert_string_equal(again.batch.c_str(), "01BATCH");
}

static void test_bad_dependencies_are_named(void**) {
  auto msg = [](const char* text) { return error_of([&] { parse_job_spec(text); }); };
  std::string m = msg(R"({"command": "true", "depends_on": ["A", {"job": "B", "type": "after"}]})");
  assert_string_equal(m.c_str(),
                      "job spec: $.depends_on[1].type: must be \"afterok\", \"afternotok\" or \"afterany\", got \"after\"");
  m = msg(R"({"command": "true", "depends_on": [{"job": "B", "kind": "afterok"}]})");
  assert_non_null(strstr(m.c_str(), "$.depends_on[0].kind: unknown key"));
  m = msg(R"({"command": "true", "depends_on": [{"type": "afterok"}]})");
  assert_non_null(strstr(m.c_str(), "$.depends_on[0].job: expected a job id"));
  m = msg(R"({"command": "true", "depends_on": [3]})");
  assert_non_null(strstr(m.c_str(), "$.depends_on[0]: expected a job id"));
  m = msg(R"({"command": "true", "depends_on": "A"})");
  assert_non_null(strstr(m.c_str(), "$.depends_on: expected an array"));
  m = msg(R"({"command": "true", "depends_on": [""]})");
  assert_non_null(strstr(m.c_str(), "$.depends_on[0]: the job id is empty"));
}

static ScriptRequest request() {
  ScriptRequest r;
  r.job_id = "01HZY3M5B7K9Q2W4E6R8T0Y1U3";
  r.job_dir = r.run_dir = "/tmp/j";
  r.command = "true";
  r.stdout_path = "/tmp/j/stdout";
  r.stderr_path = "/tmp/j/stderr";
  r.exit_code_path = "/tmp/j/exit_code";
  return r;
}

static void test_schedulers_render_types(void**) {
  auto slurm = make_scheduler("slurm");
  ScriptRequest r = request();
  r.depends_on = {"11", "12", "13_2", "14"};
  r.depends_on_types = {DependencyType::AfterOk, DependencyType::AfterAny, DependencyType::AfterNotOk,
                        DependencyType::AfterOk};
  std::string c = slurm->submit_command(r, "/tmp/j/job.sh");
  assert_non_null(strstr(c.c_str(), " --dependency=afterok:11:14,afternotok:13_2,afterany:12 "));
  for (auto t : {DependencyType::AfterOk, DependencyType::AfterNotOk, DependencyType::AfterAny})
    assert_true(slurm->renders_dependency(t));
  // Types unset: afterok, as before.
  r.depends_on_types.clear();
  c = slurm->submit_command(r, "/tmp/j/job.sh");
  assert_non_null(strstr(c.c_str(), " --dependency=afterok:11:12:13_2:14 "));

  for (const char* name : {"pbs", "sge", "lsf"}) {
    auto s = make_scheduler(name);
    assert_true(s->renders_dependency(DependencyType::AfterOk));
    assert_false(s->renders_dependency(DependencyType::AfterAny));
    assert_false(s->renders_dependency(DependencyType::AfterNotOk));
    ScriptRequest typed = request();
    typed.depends_on = {"11"};
    typed.depends_on_types = {DependencyType::AfterAny};
    std::string m = error_of([&] { s->submit_command(typed, "/tmp/j/job.sh"); });
    assert_non_null(strstr(m.c_str(), "renders only afterok"));
  }
  auto direct = make_scheduler("direct");
  assert_false(direct->renders_dependency(DependencyType::AfterOk));
}

static JobRecord parent(const std::string& id, const std::string& machine, xrun_state state,
                        const std::string& scheduler_id, const std::string& spec_json = "{}") {
  JobRecord r;
  r.id = id;
  r.machine = machine;
  r.state = state;
  r.scheduler_id = scheduler_id;
  r.spec_json = spec_json;
  return r;
}

static void test_plan_native_or_held(void**) {
  auto slurm = make_scheduler("slurm");
  auto pbs = make_scheduler("pbs");
  std::map<std::string, JobRecord> store = {
      {"Q", parent("Q", "c1", XRUN_STATE_QUEUED, "101")},
      {"R", parent("R", "c1", XRUN_STATE_RUNNING, "102")},
      {"DONE", parent("DONE", "c1", XRUN_STATE_COMPLETED, "103")},
      {"FAILED", parent("FAILED", "c1", XRUN_STATE_FAILED, "104")},
      {"UNSENT", parent("UNSENT", "c1", XRUN_STATE_WAITING, "")},
      {"OTHER", parent("OTHER", "c2", XRUN_STATE_RUNNING, "9")},
      {"RETRIED", parent("RETRIED", "c1", XRUN_STATE_QUEUED, "105", R"({"retry": {"max_attempts": 3}})")},
  };
  ParentLookup lookup = [&](const std::string& id) -> std::optional<JobRecord> {
    auto found = store.find(id);
    if (found == store.end()) return std::nullopt;
    return found->second;
  };
  auto plan = [&](const Scheduler& s, std::vector<Dependency> deps) {
    JobSpec spec;
    spec.depends_on = std::move(deps);
    return plan_dependencies(spec, "c1", s, lookup);
  };
  using V = DependencyPlan::Verdict;
  // Same machine, Slurm: native, a parent already done needs no clause.
  DependencyPlan p = plan(*slurm, {{"Q", DependencyType::AfterOk}, {"R", DependencyType::AfterAny},
                                   {"DONE", DependencyType::AfterOk}});
  assert_true(p.verdict == V::Ready);
  assert_false(p.held);
  assert_int_equal(p.native_ids.size(), 2);
  assert_string_equal(p.native_ids[1].c_str(), "102");
  assert_true(p.native_types[1] == DependencyType::AfterAny);
  // PBS cannot render afterany: held by xrun, pending until R ends.
  p = plan(*pbs, {{"Q", DependencyType::AfterOk}, {"R", DependencyType::AfterAny}});
  assert_true(p.held);
  assert_true(p.verdict == V::Pending);
  assert_true(p.native_ids.empty());
  // A parent on another machine holds the job; so does a retried parent.
  p = plan(*slurm, {{"OTHER", DependencyType::AfterOk}});
  assert_true(p.held && p.verdict == V::Pending);
  p = plan(*slurm, {{"RETRIED", DependencyType::AfterOk}});
  assert_true(p.held && p.verdict == V::Pending);
  // A parent not on the scheduler yet: native, but it waits to be sent.
  p = plan(*slurm, {{"UNSENT", DependencyType::AfterOk}});
  assert_false(p.held);
  assert_true(p.verdict == V::Pending);
  // Conditions that can no longer hold, whatever else is pending.
  p = plan(*slurm, {{"Q", DependencyType::AfterOk}, {"FAILED", DependencyType::AfterOk}});
  assert_true(p.verdict == V::Never);
  assert_string_equal(p.reason.c_str(), "dependency never satisfied: parent FAILED ended failed (afterok)");
  p = plan(*slurm, {{"DONE", DependencyType::AfterNotOk}});
  assert_true(p.verdict == V::Never);
  p = plan(*slurm, {{"GONE", DependencyType::AfterAny}});
  assert_true(p.verdict == V::Never);
  assert_non_null(strstr(p.reason.c_str(), "GONE is not in the store"));
  // Held and every parent final: ready, nothing native.
  p = plan(*pbs, {{"FAILED", DependencyType::AfterAny}, {"DONE", DependencyType::AfterOk}});
  assert_true(p.verdict == V::Ready);
  assert_true(p.native_ids.empty());
}

static JobSpec member(const std::string& name, std::vector<std::string> refs) {
  JobSpec s;
  s.name = name;
  s.command = "true";
  for (auto& r : refs) s.depends_on.push_back({r, DependencyType::AfterOk});
  return s;
}

static void test_batch_references(void**) {
  std::vector<std::string> ids = {"ID0", "ID1", "ID2", "ID3"};
  std::vector<JobSpec> specs = {member("relax", {}), member("scf", {"@relax"}), member("bands", {"@scf", "@0"}),
                                member("", {"EXTERNAL", "@2"})};
  resolve_batch_references(specs, ids);
  assert_string_equal(specs[1].depends_on[0].job.c_str(), "ID0");
  assert_string_equal(specs[2].depends_on[0].job.c_str(), "ID1");
  assert_string_equal(specs[2].depends_on[1].job.c_str(), "ID0");
  assert_string_equal(specs[3].depends_on[0].job.c_str(), "EXTERNAL");
  assert_string_equal(specs[3].depends_on[1].job.c_str(), "ID2");

  // The cycle's path, names where unique, indexes otherwise.
  std::vector<JobSpec> cycle = {member("a", {}), member("b", {"@a", "@c"}), member("c", {"@3"}), member("", {"@b"})};
  std::string m = error_of([&] { resolve_batch_references(cycle, ids); });
  assert_string_equal(m.c_str(), "dependency cycle: @b -> @c -> @3 -> @b");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_typed_depends_on_round_trip),
      cmocka_unit_test(test_bad_dependencies_are_named),
      cmocka_unit_test(test_schedulers_render_types),
      cmocka_unit_test(test_plan_native_or_held),
      cmocka_unit_test(test_batch_references),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
