// The machine loader against real files in a temporary XRUN_HOME.
#include <filesystem>
#include <cstdlib>
#include <string>

#include "machine/loader.h"
#include "machine_test_util.h"

using xrun::Execution;
using xrun::load_machines;
using xrun::Machine;
using xrun::MachineConfig;

namespace {

const char* const kDesignExample = R"({"default": "cluster1", "machines": {
  "cluster1": {"execution": "remote", "scheduler": "slurm", "host": "login.cluster1.example.org",
    "port": 22, "username": "alice", "workdir": "/scratch/alice/xrun",
    "auth": {"method": "key", "key_file": "~/.ssh/id_ed25519"}, "host_key_policy": "strict",
    "known_hosts": "~/.ssh/known_hosts",
    "prepend": ["module load quantum-espresso/7.2"], "env": {"OMP_NUM_THREADS": "1"},
    "launcher": "srun",
    "resources": {"nodes": 1, "tasks_per_node": 32, "cpus_per_task": 1, "memory": "64G",
                  "walltime": "02:00:00", "partition": "standard", "account": "proj42",
                  "qos": "normal"},
    "max_sessions": 2, "min_poll_interval": 10},
  "laptop": {"execution": "local", "scheduler": "direct", "workdir": "~/xrun-jobs"}}})";

// A machines.json with one machine `name` whose body is `body`.
std::string one_machine(const std::string& name, const std::string& body) {
  return R"({"machines": {")" + name + R"(": )" + body + "}}";
}

std::string load_error(const TempHome& home) {
  return config_error([&] { load_machines(home.dir); });
}

void nothing_configured_gives_builtin_local(void**) {
  TempHome home;
  MachineConfig config = load_machines(home.dir);
  assert_int_equal(config.machines.size(), 1);
  assert_string_equal(config.default_name.c_str(), "local");
  const Machine& local = config.machines.at("local");
  assert_string_equal(local.source.c_str(), "<built-in>");
  assert_true(local.execution == Execution::Local);
  assert_string_equal(local.scheduler.c_str(), "direct");
  assert_int_equal(local.min_poll_interval_s, 0);
  // A missing XRUN_HOME is the same as an empty one.
  assert_int_equal(load_machines(home.dir + "/absent").machines.size(), 1);
}

void machines_json_only(void**) {
  TempHome home;
  std::string file = home.write("machines.json", kDesignExample);
  MachineConfig config = load_machines(home.dir);
  assert_string_equal(config.default_name.c_str(), "cluster1");
  assert_int_equal(config.machines.size(), 3);  // cluster1, laptop, built-in local
  const Machine& c = config.machines.at("cluster1");
  assert_string_equal(c.source.c_str(), file.c_str());
  assert_true(c.execution == Execution::Remote);
  assert_string_equal(c.scheduler.c_str(), "slurm");
  assert_string_equal(c.host->c_str(), "login.cluster1.example.org");
  assert_int_equal(*c.port, 22);
  assert_string_equal(c.username->c_str(), "alice");
  assert_true(c.auth.method == xrun::AuthMethod::Key);
  assert_string_equal(c.auth.key_file->c_str(), "~/.ssh/id_ed25519");
  assert_string_equal(c.prepend.at(0).c_str(), "module load quantum-espresso/7.2");
  assert_string_equal(c.env.at("OMP_NUM_THREADS").c_str(), "1");
  assert_string_equal(c.launcher->c_str(), "srun");
  assert_int_equal(*c.resources.tasks_per_node, 32);
  assert_string_equal(c.resources.memory->c_str(), "64G");
  assert_string_equal(c.resources.walltime->c_str(), "02:00:00");
  assert_string_equal(c.resources.qos->c_str(), "normal");
  assert_int_equal(c.min_poll_interval_s, 10);
  const Machine& laptop = config.machines.at("laptop");
  assert_string_equal(laptop.workdir.c_str(), "~/xrun-jobs");
  assert_int_equal(laptop.min_poll_interval_s, 0);
  assert_false(laptop.host.has_value());
  assert_string_equal(config.machines.at("local").source.c_str(), "<built-in>");
}

void modular_only(void**) {
  TempHome home;
  std::string file = home.write("machines/hpc.json", R"({"host": "hpc.example.org"})");
  MachineConfig config = load_machines(home.dir);
  // One configured machine and no default named: that machine is the default.
  assert_string_equal(config.default_name.c_str(), "hpc");
  const Machine& hpc = config.machines.at("hpc");
  assert_string_equal(hpc.source.c_str(), file.c_str());
  assert_true(hpc.execution == Execution::Remote);  // implied by "host"
  assert_string_equal(hpc.workdir.c_str(), "~/.xrun/jobs");
  assert_int_equal(hpc.min_poll_interval_s, 10);
  assert_int_equal(hpc.max_sessions, 2);

  // Two and no default: the built-in local machine is the default.
  home.write("machines/other.json", R"({"execution": "local", "scheduler": "slurm"})");
  config = load_machines(home.dir);
  assert_string_equal(config.default_name.c_str(), "local");
  assert_int_equal(config.machines.size(), 3);
  // Local Slurm is allowed and is polled like any batch scheduler.
  assert_int_equal(config.machines.at("other").min_poll_interval_s, 10);
  // Editor leftovers and hidden files are not machines.
  home.write("machines/.#hpc.json", "garbage");
  home.write("machines/hpc.json~", "garbage");
  home.write("machines/README", "garbage");
  assert_int_equal(load_machines(home.dir).machines.size(), 3);
}

// Groups are checked once every machine is known: members from
// machines/NAME.json and the built-in local count.
void groups(void**) {
  TempHome home;
  std::string file = home.write(
      "machines.json", R"({"machines": {"c1": {"host": "c1.example.org"}}, "groups": {"g": ["c1", "c2", "local"]}})");
  home.write("machines/c2.json", R"({"host": "c2.example.org"})");
  MachineConfig config = load_machines(home.dir);
  assert_int_equal(config.groups.size(), 1);
  assert_int_equal(config.groups.at("g").size(), 3);
  assert_string_equal(config.groups.at("g")[1].c_str(), "c2");
  std::filesystem::remove(home.dir + "/machines/c2.json");
  std::string error = load_error(home);
  assert_contains(error, file + ": $.groups.g: group \"g\" names unknown machine \"c2\"; did you mean \"c1\"?");
  home.write("machines.json", R"({"machines": {"c1": {"host": "c1"}}, "groups": {"c1": ["local"]}})");
  assert_contains(load_error(home), "$.groups.c1: group \"c1\" has the name of a machine");
  home.write("machines.json", R"({"groups": {"g": []}})");
  assert_contains(load_error(home), "$.groups.g: a group lists one machine or more");
  home.write("machines.json", R"({"groups": {"g": ["local", "local"]}})");
  assert_contains(load_error(home), "machine \"local\" is listed twice");
  home.write("machines.json", R"({"groups": {"g": "local"}})");
  load_error(home);
  home.write("machines.json", R"({"groups": ["local"]})");
  load_error(home);
}

void modular_file_wins_over_machines_json(void**) {
  TempHome home;
  std::string main_file = home.write(
      "machines.json",
      R"({"machines": {"c1": {"host": "old.example.org"}, "c2": {"host": "c2.example.org"}}})");
  std::string modular = home.write("machines/c1.json", R"({"host": "new.example.org", "port": 2222})");
  MachineConfig config = load_machines(home.dir);
  assert_string_equal(config.machines.at("c1").host->c_str(), "new.example.org");
  assert_int_equal(*config.machines.at("c1").port, 2222);
  assert_string_equal(config.machines.at("c1").source.c_str(), modular.c_str());
  assert_string_equal(config.machines.at("c2").source.c_str(), main_file.c_str());
  assert_string_equal(config.default_name.c_str(), "local");
  // Not silently: one warning naming the machine and both files (the
  // context logs it through the log callback).
  assert_int_equal(config.warnings.size(), 1);
  assert_contains(config.warnings[0], "\"c1\"");
  assert_contains(config.warnings[0], main_file);
  assert_contains(config.warnings[0], "using " + modular);
  std::filesystem::remove(modular);
  assert_int_equal(load_machines(home.dir).warnings.size(), 0);
}

void default_json_and_environment(void**) {
  TempHome home;
  home.write("machines.json", R"({"default": "a", "machines": {"a": {}, "b": {}, "c": {}}})");
  assert_string_equal(load_machines(home.dir).default_name.c_str(), "a");
  home.write("machines/default.json", R"({"default": "b"})");
  assert_string_equal(load_machines(home.dir).default_name.c_str(), "b");
  setenv("XRUN_DEFAULT_MACHINE", "c", 1);
  assert_string_equal(load_machines(home.dir).default_name.c_str(), "c");
  setenv("XRUN_DEFAULT_MACHINE", "local", 1);
  assert_string_equal(load_machines(home.dir).default_name.c_str(), "local");
  setenv("XRUN_DEFAULT_MACHINE", "cc", 1);
  std::string message = load_error(home);
  unsetenv("XRUN_DEFAULT_MACHINE");
  assert_contains(message, "XRUN_DEFAULT_MACHINE");
  assert_contains(message, "\"cc\"");
  assert_contains(message, "did you mean \"c\"");
}

void configured_local_replaces_builtin(void**) {
  TempHome home;
  std::string file = home.write("machines/local.json", R"({"scheduler": "slurm"})");
  MachineConfig config = load_machines(home.dir);
  assert_int_equal(config.machines.size(), 1);
  assert_string_equal(config.machines.at("local").scheduler.c_str(), "slurm");
  assert_string_equal(config.machines.at("local").source.c_str(), file.c_str());
}

void unknown_keys_suggest_the_closest(void**) {
  TempHome home;
  std::string file = home.write("machines.json", R"({"machine": {}})");
  std::string message = load_error(home);
  assert_contains(message, file + ": $.machine: unknown key; did you mean \"machines\"?");

  home.write("machines.json", one_machine("cluster1", R"({"host": "h", "remot_auth": {}})"));
  assert_contains(load_error(home),
                  file + ": $.machines.cluster1.remot_auth: unknown key; did you mean \"auth\"?");

  home.write("machines.json", one_machine("c1", R"({"host": "h", "auth": {"keyfile": "/k"}})"));
  assert_contains(load_error(home), file + ": $.machines.c1.auth.keyfile: unknown key; did you mean \"key_file\"?");

  home.write("machines.json", one_machine("c1", R"({"resources": {"tasks_per_nod": 4}})"));
  assert_contains(load_error(home),
                  file + ": $.machines.c1.resources.tasks_per_nod: unknown key; did you mean "
                         "\"tasks_per_node\"?");

  // A modular file is the machine object itself: its path starts at $.
  home.write("machines.json", "{}");
  std::string modular = home.write("machines/c2.json", R"({"schedular": "slurm"})");
  assert_contains(load_error(home), modular + ": $.schedular: unknown key; did you mean \"scheduler\"?");

  // Nothing close: the known keys are listed instead.
  home.write("machines/c2.json", R"({"zzzzzzzzzzzzzz": 1})");
  message = load_error(home);
  assert_contains(message, modular + ": $.zzzzzzzzzzzzzz: unknown key; known keys are");
  assert_contains(message, "\"min_poll_interval\"");
}

void wrong_types(void**) {
  TempHome home;
  std::string file = home.write("machines.json", one_machine("c1", R"({"host": "h", "port": "22"})"));
  assert_contains(load_error(home),
                  file + ": $.machines.c1.port: expected an integer from 1 to 65535, got \"22\"");
  home.write("machines.json", one_machine("c1", R"({"host": "h", "port": 70000})"));
  assert_contains(load_error(home), "$.machines.c1.port: expected an integer from 1 to 65535, got 70000");
  home.write("machines.json", one_machine("c1", R"({"resources": {"nodes": 0}})"));
  assert_contains(load_error(home), file + ": $.machines.c1.resources.nodes: expected an integer >= 1, got 0");
  home.write("machines.json", one_machine("c1", R"({"sftp": "yes"})"));
  assert_contains(load_error(home), file + ": $.machines.c1.sftp: expected true or false, got \"yes\"");
  home.write("machines.json", one_machine("c1", R"({"prepend": ["ok", 3]})"));
  assert_contains(load_error(home), file + ": $.machines.c1.prepend[1]: expected a string, got 3");
  home.write("machines.json", one_machine("c1", R"({"env": {"OMP_NUM_THREADS": 1}})"));
  assert_contains(load_error(home), file + ": $.machines.c1.env.OMP_NUM_THREADS: expected a string");
  home.write("machines.json", one_machine("c1", R"({"min_poll_interval": -1})"));
  assert_contains(load_error(home),
                  file + ": $.machines.c1.min_poll_interval: expected a whole number of seconds >= 0, got -1");
  home.write("machines.json", one_machine("c1", R"({"workdir": "jobs"})"));
  assert_contains(load_error(home), file + ": $.machines.c1.workdir: expected an absolute path");
  home.write("machines.json", one_machine("c1", R"({"resources": {"walltime": "2:61:00"}})"));
  assert_contains(load_error(home), file + ": $.machines.c1.resources.walltime: expected \"HH:MM:SS\"");
  home.write("machines.json", one_machine("c1", R"({"resources": {"memory": "64Q"}})"));
  assert_contains(load_error(home), file + ": $.machines.c1.resources.memory: expected a size");
  home.write("machines.json", one_machine("c1", "[]"));
  assert_contains(load_error(home), file + ": $.machines.c1: expected an object, got an array");
  home.write("machines.json", R"({"machines": {"c1": {}, "c1": {}}})");
  assert_contains(load_error(home), file + ": $.machines.c1: duplicate machine");
}

void bad_enum_values_list_the_allowed_ones(void**) {
  TempHome home;
  std::string file = home.write("machines.json", one_machine("c1", R"({"scheduler": "slurmm"})"));
  assert_contains(load_error(home),
                  file + ": $.machines.c1.scheduler: expected one of \"direct\", \"slurm\", \"pbs\", "
                         "\"sge\", \"lsf\", got \"slurmm\"");
  home.write("machines.json", one_machine("c1", R"({"host": "h", "host_key_policy": "yes"})"));
  assert_contains(load_error(home),
                  file + ": $.machines.c1.host_key_policy: expected one of \"strict\", \"accept-new\"");
  home.write("machines.json", one_machine("c1", R"({"host": "h", "auth": {"method": "kerberos"}})"));
  assert_contains(load_error(home), file + ": $.machines.c1.auth.method: expected one of");
  home.write("machines.json", one_machine("c1", R"({"cleanup": "never"})"));
  assert_contains(load_error(home), file + ": $.machines.c1.cleanup: expected one of \"keep\", \"on_success\", \"always\"");
}

void malformed_json_names_file_and_line(void**) {
  TempHome home;
  std::string file = home.write("machines.json", "{\n  \"machines\": {\n    \"c1\": {,}\n  }\n}\n");
  std::string message = load_error(home);
  assert_contains(message, file + ": malformed JSON near line 3");
  home.write("machines.json", "{}");
  std::string modular = home.write("machines/c1.json", "{\"host\": \"h\"\n\"port\": 22}");
  assert_contains(load_error(home), modular + ": malformed JSON near line 2");
}

void remote_needs_host_and_local_refuses_ssh_keys(void**) {
  TempHome home;
  std::string file = home.write("machines.json", one_machine("c1", R"({"execution": "remote"})"));
  assert_contains(load_error(home), file + ": $.machines.c1.host: required when execution is \"remote\"");
  home.write("machines.json", one_machine("c1", R"({"execution": "local", "host": "h"})"));
  assert_contains(load_error(home), file + ": $.machines.c1.host: only used when execution is \"remote\"");
  home.write("machines.json", one_machine("c1", R"({"host": "alice@h"})"));
  assert_contains(load_error(home), file + ": $.machines.c1.host: expected a host name without '@'");
  home.write("machines.json", one_machine("c1", R"({"host": "-oProxyCommand=x"})"));
  assert_contains(load_error(home), file + ": $.machines.c1.host: expected one word");
  home.write("machines.json",
             one_machine("c1", R"({"host": "h", "auth": {"method": "agent", "key_file": "/k"}})"));
  assert_contains(load_error(home), file + ": $.machines.c1.auth.key_file: only used when method is \"key\"");
}

void default_naming_an_unknown_machine(void**) {
  TempHome home;
  std::string file = home.write("machines.json", R"({"default": "cluster2", "machines": {"cluster1": {}}})");
  std::string message = load_error(home);
  assert_contains(message, file + ": $.default: names unknown machine \"cluster2\"");
  assert_contains(message, "did you mean \"cluster1\"");
  home.write("machines.json", R"({"machines": {"cluster1": {}}})");
  std::string default_file = home.write("machines/default.json", R"({"default": "nope"})");
  assert_contains(load_error(home), default_file + ": $.default: names unknown machine \"nope\"");
  // Hidden behind a valid default.json, a wrong machines.json default is still reported.
  home.write("machines/default.json", R"({"default": "cluster1"})");
  home.write("machines.json", R"({"default": "gone", "machines": {"cluster1": {}}})");
  assert_contains(load_error(home), file + ": $.default: names unknown machine \"gone\"");
  home.write("machines.json", R"({"machines": {"cluster1": {}}})");
  home.write("machines/default.json", R"({"defualt": "cluster1"})");
  assert_contains(load_error(home), default_file + ": $.defualt: unknown key; did you mean \"default\"?");
}

void bad_machine_names(void**) {
  TempHome home;
  std::string bad = home.write("machines/my cluster.json", "{}");
  assert_contains(load_error(home), bad + ": bad machine file name \"my cluster\"");
  std::filesystem::remove(bad);
  bad = home.write("machines/-x.json", "{}");
  assert_contains(load_error(home), bad + ": bad machine file name \"-x\"");
  std::filesystem::remove(bad);
  std::string file = home.write("machines.json", R"({"machines": {"a$b": {}}})");
  assert_contains(load_error(home), file + ": $.machines[\"a$b\"]: bad machine name");
  home.write("machines.json", R"({"machines": {"default": {}}})");
  assert_contains(load_error(home), file + ": $.machines.default: bad machine name");
  // Dots and dashes are fine inside a name; the path brackets such names.
  home.write("machines.json", R"({"machines": {"login.example-1": {"prot": 1}}})");
  assert_contains(load_error(home), file + ": $.machines[\"login.example-1\"].prot: unknown key");
}

void passwords_are_refused(void**) {
  TempHome home;
  std::string file = home.write("machines.json", one_machine("c1", R"({"host": "h", "password": "hunter2"})"));
  std::string message = load_error(home);
  assert_contains(message, file + ": $.machines.c1.password:");
  assert_contains(message, "prompt callback");
  assert_true(message.find("hunter2") == std::string::npos);
  home.write("machines.json",
             one_machine("c1", R"({"host": "h", "auth": {"method": "password", "password": "x"}})"));
  message = load_error(home);
  assert_contains(message, file + ": $.machines.c1.auth.password:");
  assert_contains(message, "prompt callback");
}

void machine_to_json_round_trip(void**) {
  TempHome home;
  std::string file = home.write("machines.json", kDesignExample);
  home.write("machines/edge.json",
             R"({"host": "edge", "auth": {"key_file": "/keys/id"}, "host_key_policy": "accept-new",
                 "proxy_jump": "bob@bastion:2222", "ssh_config": "none", "sftp": false,
                 "resources": {"walltime": "1-00:30:00", "memory": 4000}, "cleanup": "on_success",
                 "idle_timeout": 0, "keepalive": 5, "connect_timeout": 3, "command_timeout": 60,
                 "max_handshakes_per_minute": 3})");
  MachineConfig config = load_machines(home.dir);
  for (const auto& [name, machine] : config.machines) {
    std::string text = xrun::machine_to_json(machine);
    Machine again = xrun::parse_machine(name, text, machine.source);
    if (again != machine) fail_msg("%s did not round-trip: %s", name.c_str(), text.c_str());
    assert_string_equal(xrun::machine_to_json(again).c_str(), text.c_str());
  }
  std::string text = xrun::machine_to_json(config.machines.at("cluster1"));
  assert_contains(text, R"("name":"cluster1")");
  assert_contains(text, R"("source":")" + file + "\"");
  assert_contains(text, R"("max_handshakes_per_minute":6)");  // a default, filled in
  const Machine& edge = config.machines.at("edge");
  assert_string_equal(edge.resources.walltime->c_str(), "24:30:00");
  assert_string_equal(edge.resources.memory->c_str(), "4000M");
  assert_true(edge.auth.method == xrun::AuthMethod::Auto);
  // A mismatched name in the JSON is refused rather than silently renamed.
  std::string message = config_error([&] { xrun::parse_machine("other", text, "inline"); });
  assert_contains(message, "inline: $.name: names machine \"cluster1\"");
}

}  // namespace

int main(void) {
  unsetenv("XRUN_DEFAULT_MACHINE");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(nothing_configured_gives_builtin_local),
      cmocka_unit_test(machines_json_only),
      cmocka_unit_test(modular_only),
      cmocka_unit_test(modular_file_wins_over_machines_json),
      cmocka_unit_test(default_json_and_environment),
      cmocka_unit_test(configured_local_replaces_builtin),
      cmocka_unit_test(unknown_keys_suggest_the_closest),
      cmocka_unit_test(wrong_types),
      cmocka_unit_test(bad_enum_values_list_the_allowed_ones),
      cmocka_unit_test(malformed_json_names_file_and_line),
      cmocka_unit_test(remote_needs_host_and_local_refuses_ssh_keys),
      cmocka_unit_test(default_naming_an_unknown_machine),
      cmocka_unit_test(bad_machine_names),
      cmocka_unit_test(passwords_are_refused),
      cmocka_unit_test(machine_to_json_round_trip),
      cmocka_unit_test(groups),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
