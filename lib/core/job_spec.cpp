#include "core/job_spec.h"

#include <algorithm>
#include <stdexcept>

#include "machine/units.h"
#include "util/error.h"
#include "util/json.h"
#include "util/shell_quote.h"
#include "util/strings.h"

namespace xrun {

namespace {

const std::vector<std::string> kSpecKeys = {
    "name", "machine", "command", "argv", "workdir", "env", "resources", "upload", "retrieve",
    "retrieve_to", "parser", "parse_file", "depends_on", "hold", "defer", "cleanup", "array",
    "array_index", "array_parent", "strategy", "cache", "machine_choice", "fail_fast", "batch", "retry",
    "corrections", "attempt"};
const std::vector<std::string> kStrategies = {"least_busy", "round_robin", "first_reachable"};
const std::vector<std::string> kResourceKeys = {"nodes", "tasks_per_node", "cpus_per_task", "memory",
                                                "walltime", "partition", "account", "qos"};

void refuse_unknown_keys(const cJSON* obj, const std::vector<std::string>& known, const std::string& path) {
  for (const cJSON* item = obj->child; item; item = item->next) {
    std::string key = item->string ? item->string : "";
    bool ok = false;
    for (const auto& k : known) ok = ok || k == key;
    if (ok) continue;
    std::string message = "job spec: " + path + "." + key + ": unknown key";
    std::string suggestion = closest_match(key, known);
    if (!suggestion.empty()) message += "; did you mean \"" + suggestion + "\"?";
    throw Error(XRUN_E_INVALID, message);
  }
}

std::optional<int64_t> positive(const cJSON* obj, const char* key, const std::string& path) {
  auto value = json::get_int(obj, key, path);
  if (value && *value < 1)
    throw Error(XRUN_E_INVALID, "job spec: " + path + "." + key + ": must be at least 1");
  return value;
}

// "depends_on": strings (afterok) or {"job": "ID", "type": "..."} objects.
std::vector<Dependency> parse_dependencies(const cJSON* obj) {
  std::vector<Dependency> out;
  const cJSON* list = cJSON_GetObjectItemCaseSensitive(obj, "depends_on");
  if (!list || cJSON_IsNull(list)) return out;
  if (!cJSON_IsArray(list))
    throw Error(XRUN_E_INVALID, "job spec: $.depends_on: expected an array of job ids or {\"job\", \"type\"} objects");
  int index = 0;
  for (const cJSON* el = list->child; el; el = el->next, ++index) {
    const std::string path = "$.depends_on[" + std::to_string(index) + "]";
    Dependency dep;
    if (cJSON_IsString(el)) {
      dep.job = el->valuestring;
    } else if (cJSON_IsObject(el)) {
      refuse_unknown_keys(el, {"job", "type"}, path);
      const cJSON* job = cJSON_GetObjectItemCaseSensitive(el, "job");
      if (!cJSON_IsString(job)) throw Error(XRUN_E_INVALID, "job spec: " + path + ".job: expected a job id");
      dep.job = job->valuestring;
      const cJSON* type = cJSON_GetObjectItemCaseSensitive(el, "type");
      if (type && !cJSON_IsNull(type)) {
        std::string name = cJSON_IsString(type) ? type->valuestring : "";
        if (name == "afterok") dep.type = DependencyType::AfterOk;
        else if (name == "afternotok") dep.type = DependencyType::AfterNotOk;
        else if (name == "afterany") dep.type = DependencyType::AfterAny;
        else
          throw Error(XRUN_E_INVALID, "job spec: " + path + ".type: must be \"afterok\", \"afternotok\" or "
                                      "\"afterany\"" + (cJSON_IsString(type) ? ", got \"" + name + "\"" : std::string()));
      }
    } else {
      throw Error(XRUN_E_INVALID, "job spec: " + path + ": expected a job id or {\"job\", \"type\"}");
    }
    if (dep.job.empty()) throw Error(XRUN_E_INVALID, "job spec: " + path + ": the job id is empty");
    out.push_back(dep);
  }
  return out;
}

}  // namespace

std::string JobSpec::own_file(const std::string& name) const {
  if (array_index && (name == "stdout" || name == "stderr" || name == "exit_code"))
    return name + "." + std::to_string(*array_index);
  return name;
}

std::string JobSpec::shell_command() const {
  if (command) return *command;
  return join_quoted(argv);
}

JobSpec parse_job_spec(const std::string& json_text) {
  // cJSON would silently cut a string at \u0000; no shell value can hold
  // a NUL anyway, so refuse it instead of running something else.
  if (json_text.find("\\u0000") != std::string::npos)
    throw Error(XRUN_E_INVALID, "job spec: strings cannot contain NUL (\\u0000)");
  json::Ptr root = json::parse(json_text, "job spec");
  if (!cJSON_IsObject(root.get())) throw Error(XRUN_E_INVALID, "job spec: expected a JSON object");
  const cJSON* obj = root.get();
  const std::string path = "$";
  refuse_unknown_keys(obj, kSpecKeys, path);

  JobSpec spec;
  try {
    spec.name = json::get_string(obj, "name", path).value_or("");
    if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(obj, "machine")))
      spec.machine_candidates = json::get_string_array(obj, "machine", path).value_or(std::vector<std::string>{});
    else
      spec.machine = json::get_string(obj, "machine", path).value_or("");
    spec.strategy = json::get_string(obj, "strategy", path).value_or("");
    spec.cache = json::get_bool(obj, "cache", path).value_or(false);
    spec.command = json::get_string(obj, "command", path);
    spec.argv = json::get_string_array(obj, "argv", path).value_or(std::vector<std::string>{});
    spec.workdir = json::get_string(obj, "workdir", path);
    spec.upload = json::get_string_array(obj, "upload", path).value_or(std::vector<std::string>{});
    spec.retrieve = json::get_string_array(obj, "retrieve", path).value_or(std::vector<std::string>{});
    spec.retrieve_to = json::get_string(obj, "retrieve_to", path);
    spec.parser = json::get_string(obj, "parser", path).value_or("");
    spec.parse_file = json::get_string(obj, "parse_file", path).value_or("stdout");
    spec.fail_fast = json::get_bool(obj, "fail_fast", path).value_or(false);
    spec.batch = json::get_string(obj, "batch", path).value_or("");
    spec.hold = json::get_bool(obj, "hold", path).value_or(false);
    spec.defer = json::get_bool(obj, "defer", path).value_or(false);
    spec.cleanup = json::get_string(obj, "cleanup", path);
    spec.array = json::get_string(obj, "array", path).value_or("");
    spec.array_index = json::get_int(obj, "array_index", path);
    spec.array_parent = json::get_string(obj, "array_parent", path).value_or("");
    spec.corrections = json::get_string(obj, "corrections", path).value_or("none");
    spec.attempt = json::get_int(obj, "attempt", path).value_or(1);
  } catch (const Error& e) {
    throw Error(XRUN_E_INVALID, std::string("job spec: ") + e.what());
  }

  spec.depends_on = parse_dependencies(obj);
  if (const cJSON* m = cJSON_GetObjectItemCaseSensitive(obj, "machine"); cJSON_IsArray(m)) {
    if (spec.machine_candidates.empty())
      throw Error(XRUN_E_INVALID, "job spec: $.machine: an empty list names no machine");
    for (size_t i = 0; i < spec.machine_candidates.size(); ++i)
      for (size_t k = 0; k < i; ++k)
        if (spec.machine_candidates[i] == spec.machine_candidates[k])
          throw Error(XRUN_E_INVALID, "job spec: $.machine: \"" + spec.machine_candidates[i] + "\" is listed twice");
  }
  if (!spec.strategy.empty() &&
      std::find(kStrategies.begin(), kStrategies.end(), spec.strategy) == kStrategies.end()) {
    std::string message = "job spec: $.strategy: must be \"least_busy\", \"round_robin\" or \"first_reachable\", got \"" +
                          spec.strategy + "\"";
    std::string suggestion = closest_match(spec.strategy, kStrategies);
    if (!suggestion.empty()) message += "; did you mean \"" + suggestion + "\"?";
    throw Error(XRUN_E_INVALID, message);
  }
  if (const cJSON* c = cJSON_GetObjectItemCaseSensitive(obj, "machine_choice"); c && !cJSON_IsNull(c)) {
    if (!cJSON_IsObject(c)) throw Error(XRUN_E_INVALID, "job spec: $.machine_choice: expected an object");
    const std::string cpath = "$.machine_choice";
    refuse_unknown_keys(c, {"group", "strategy", "candidates", "why"}, cpath);
    MachineChoice choice;
    try {
      choice.group = json::get_string(c, "group", cpath).value_or("");
      choice.strategy = json::get_string(c, "strategy", cpath).value_or("");
      choice.candidates = json::get_string_array(c, "candidates", cpath).value_or(std::vector<std::string>{});
      choice.why = json::get_string(c, "why", cpath).value_or("");
    } catch (const Error& e) {
      throw Error(XRUN_E_INVALID, std::string("job spec: ") + e.what());
    }
    spec.machine_choice = choice;
  }
  if (spec.command && !spec.argv.empty())
    throw Error(XRUN_E_INVALID, "job spec: give either \"command\" or \"argv\", not both");
  if ((!spec.command || trim(*spec.command).empty()) && spec.argv.empty())
    throw Error(XRUN_E_INVALID, "job spec: \"command\" or \"argv\" is required");
  if (spec.cleanup && *spec.cleanup != "keep" && *spec.cleanup != "on_success" && *spec.cleanup != "always")
    throw Error(XRUN_E_INVALID, "job spec: $.cleanup: must be \"keep\", \"on_success\" or \"always\", got \"" +
                                    *spec.cleanup + "\"");
  if (!spec.parser.empty() && spec.parser != "qe" && spec.parser != "vasp" && spec.parser != "crystal" &&
      spec.parser != "auto")
    throw Error(XRUN_E_INVALID, "job spec: $.parser: must be \"qe\", \"vasp\", \"crystal\" or \"auto\", got \"" +
                                    spec.parser + "\"");
  if (spec.corrections != "none" && spec.corrections != "builtin" && spec.corrections != "callback")
    throw Error(XRUN_E_INVALID, "job spec: $.corrections: must be \"none\", \"builtin\" or \"callback\", got \"" +
                                    spec.corrections + "\"");
  if (spec.attempt < 1) throw Error(XRUN_E_INVALID, "job spec: $.attempt: must be at least 1");
  if (const cJSON* retry = cJSON_GetObjectItemCaseSensitive(obj, "retry"); retry && !cJSON_IsNull(retry)) {
    try {
      spec.retry = parse_retry_policy(retry, "$.retry");
    } catch (const std::invalid_argument& e) {
      throw Error(XRUN_E_INVALID, std::string("job spec: ") + e.what());
    }
  }
  for (const auto& name : spec.retrieve) {
    if (name.empty() || name[0] == '/' || name.find("..") != std::string::npos)
      throw Error(XRUN_E_INVALID, "job spec: $.retrieve: \"" + name + "\" must be a relative path inside the job directory");
  }
  if (spec.parse_file.empty() || spec.parse_file[0] == '/' || spec.parse_file.find("..") != std::string::npos)
    throw Error(XRUN_E_INVALID, "job spec: $.parse_file: must be a relative path inside the job directory");

  if (const cJSON* env = cJSON_GetObjectItemCaseSensitive(obj, "env"); env && !cJSON_IsNull(env)) {
    if (!cJSON_IsObject(env)) throw Error(XRUN_E_INVALID, "job spec: $.env: expected an object of strings");
    for (const cJSON* item = env->child; item; item = item->next) {
      if (!cJSON_IsString(item))
        throw Error(XRUN_E_INVALID, std::string("job spec: $.env.") + item->string + ": expected a string");
      spec.env[item->string] = item->valuestring;
    }
  }
  if (const cJSON* res = cJSON_GetObjectItemCaseSensitive(obj, "resources"); res && !cJSON_IsNull(res)) {
    if (!cJSON_IsObject(res)) throw Error(XRUN_E_INVALID, "job spec: $.resources: expected an object");
    const std::string rpath = "$.resources";
    refuse_unknown_keys(res, kResourceKeys, rpath);
    try {
      spec.resources.nodes = positive(res, "nodes", rpath);
      spec.resources.tasks_per_node = positive(res, "tasks_per_node", rpath);
      spec.resources.cpus_per_task = positive(res, "cpus_per_task", rpath);
      spec.resources.memory = json::get_string(res, "memory", rpath);
      spec.resources.walltime = json::get_string(res, "walltime", rpath);
      spec.resources.partition = json::get_string(res, "partition", rpath);
      spec.resources.account = json::get_string(res, "account", rpath);
      spec.resources.qos = json::get_string(res, "qos", rpath);
    } catch (const Error& e) {
      std::string what = e.what();
      if (!starts_with(what, "job spec: ")) what = "job spec: " + what;
      throw Error(XRUN_E_INVALID, what);
    }
  }
  return spec;
}

JobSpec parse_job_request(const std::string& json_text) {
  JobSpec spec = parse_job_spec(json_text);
  if (spec.machine_choice)
    throw Error(XRUN_E_INVALID, "job spec: $.machine_choice: set by xrun when it chooses a machine, not by callers");
  if (spec.attempt != 1)
    throw Error(XRUN_E_INVALID, "job spec: $.attempt: set by xrun on a retried job, not by callers");
  const Resources& r = spec.resources;
  auto refuse = [](const char* key, const std::string& expected, const std::string& got) {
    throw Error(XRUN_E_INVALID, std::string("job spec: $.resources.") + key + ": expected " + expected +
                                    ", got \"" + got + "\"");
  };
  if (r.walltime && !parse_walltime_seconds(*r.walltime))
    refuse("walltime", "\"HH:MM:SS\", \"D-HH:MM:SS\" or whole minutes (\"90\") greater than 0", *r.walltime);
  if (r.memory && !normalize_memory(*r.memory))
    refuse("memory", "a size such as \"64G\", \"500M\" or \"4000\" (megabytes)", *r.memory);
  // They become scheduler directives, one per line.
  const std::pair<const char*, const std::optional<std::string>*> words[] = {
      {"partition", &r.partition}, {"account", &r.account}, {"qos", &r.qos}};
  for (const auto& [key, value] : words) {
    if (!*value) continue;
    bool one_word = !(*value)->empty();
    for (unsigned char c : **value) one_word = one_word && c > ' ' && c != 0x7f;
    if (!one_word) refuse(key, "one word without spaces", **value);
  }
  return spec;
}

static json::Ptr string_array(const std::vector<std::string>& items) {
  json::Ptr array = json::array();
  for (const auto& s : items) cJSON_AddItemToArray(array.get(), cJSON_CreateString(s.c_str()));
  return array;
}

std::string job_spec_to_json(const JobSpec& spec) {
  json::Ptr root = json::object();
  cJSON* o = root.get();
  if (!spec.name.empty()) json::set_string(o, "name", spec.name);
  if (spec.machine_candidates.empty()) json::set_string(o, "machine", spec.machine);
  else json::set_node(o, "machine", string_array(spec.machine_candidates));
  if (!spec.strategy.empty()) json::set_string(o, "strategy", spec.strategy);
  if (spec.machine_choice) {
    json::Ptr choice = json::object();
    const MachineChoice& c = *spec.machine_choice;
    if (!c.group.empty()) json::set_string(choice.get(), "group", c.group);
    json::set_string(choice.get(), "strategy", c.strategy);
    json::set_node(choice.get(), "candidates", string_array(c.candidates));
    json::set_string(choice.get(), "why", c.why);
    json::set_node(o, "machine_choice", std::move(choice));
  }
  if (spec.cache) json::set_bool(o, "cache", true);
  if (spec.command) json::set_string(o, "command", *spec.command);
  if (!spec.argv.empty()) json::set_node(o, "argv", string_array(spec.argv));
  if (spec.workdir) json::set_string(o, "workdir", *spec.workdir);
  if (!spec.env.empty()) {
    json::Ptr env = json::object();
    for (const auto& [k, v] : spec.env) json::set_string(env.get(), k.c_str(), v);
    json::set_node(o, "env", std::move(env));
  }
  json::Ptr res = json::object();
  const Resources& r = spec.resources;
  if (r.nodes) json::set_int(res.get(), "nodes", *r.nodes);
  if (r.tasks_per_node) json::set_int(res.get(), "tasks_per_node", *r.tasks_per_node);
  if (r.cpus_per_task) json::set_int(res.get(), "cpus_per_task", *r.cpus_per_task);
  if (r.memory) json::set_string(res.get(), "memory", *r.memory);
  if (r.walltime) json::set_string(res.get(), "walltime", *r.walltime);
  if (r.partition) json::set_string(res.get(), "partition", *r.partition);
  if (r.account) json::set_string(res.get(), "account", *r.account);
  if (r.qos) json::set_string(res.get(), "qos", *r.qos);
  if (res->child) json::set_node(o, "resources", std::move(res));
  if (!spec.upload.empty()) json::set_node(o, "upload", string_array(spec.upload));
  if (!spec.retrieve.empty()) json::set_node(o, "retrieve", string_array(spec.retrieve));
  if (spec.retrieve_to) json::set_string(o, "retrieve_to", *spec.retrieve_to);
  if (!spec.parser.empty()) {
    json::set_string(o, "parser", spec.parser);
    json::set_string(o, "parse_file", spec.parse_file);
  }
  if (!spec.depends_on.empty()) {
    // afterok stays a plain id: what older versions stored and read.
    json::Ptr deps = json::array();
    for (const auto& dep : spec.depends_on) {
      if (dep.type == DependencyType::AfterOk) {
        cJSON_AddItemToArray(deps.get(), cJSON_CreateString(dep.job.c_str()));
        continue;
      }
      json::Ptr item = json::object();
      json::set_string(item.get(), "job", dep.job);
      json::set_string(item.get(), "type", dependency_type_name(dep.type));
      cJSON_AddItemToArray(deps.get(), item.release());
    }
    json::set_node(o, "depends_on", std::move(deps));
  }
  if (spec.hold) json::set_bool(o, "hold", true);
  if (spec.defer) json::set_bool(o, "defer", true);
  if (spec.cleanup) json::set_string(o, "cleanup", *spec.cleanup);
  if (!spec.array.empty()) json::set_string(o, "array", spec.array);
  if (spec.array_index) json::set_int(o, "array_index", *spec.array_index);
  if (!spec.array_parent.empty()) json::set_string(o, "array_parent", spec.array_parent);
  if (spec.fail_fast) json::set_bool(o, "fail_fast", true);
  if (!spec.batch.empty()) json::set_string(o, "batch", spec.batch);
  if (spec.retry) cJSON_AddItemToObject(o, "retry", retry_policy_to_json(*spec.retry));
  if (spec.corrections != "none") json::set_string(o, "corrections", spec.corrections);
  if (spec.attempt > 1) json::set_int(o, "attempt", spec.attempt);
  return json::print(o);
}

}  // namespace xrun
