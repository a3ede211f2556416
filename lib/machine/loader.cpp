#include "machine/loader.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "machine/config_object.h"
#include "machine/machine_reader.h"
#include "util/error.h"
#include "util/json.h"
#include "util/strings.h"

namespace xrun {

namespace fs = std::filesystem;

namespace {

const char* const kDefaultEnv = "XRUN_DEFAULT_MACHINE";
const char* const kBuiltinSource = "<built-in>";

// nullopt when the file does not exist; anything else that stops us
// reading it is a configuration error, not "nothing configured".
std::optional<std::string> read_file_if_present(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(XRUN_E_CONFIG, path.string() + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

json::Ptr parse_file(const std::string& file, const std::string& text) {
  return json::parse(text, file, XRUN_E_CONFIG);
}

// Where the default machine's name came from, for the error if it is unknown.
struct DefaultChoice {
  std::string name;
  std::string where;  // "FILE: $.default" or the environment variable
};

struct Sources {
  std::map<std::string, Machine> machines;
  std::optional<DefaultChoice> file_default;         // machines.json
  std::optional<DefaultChoice> modular_default;      // machines/default.json
  std::vector<std::string> warnings;
  std::map<std::string, std::vector<std::string>> groups;  // machines.json's "groups"
  std::string groups_file;
};

void read_machines_json(const std::string& file, Sources& out) {
  auto text = read_file_if_present(file);
  if (!text) return;
  json::Ptr root = parse_file(file, *text);
  ConfigObject top(root.get(), file, "$");
  top.check_keys({"default", "machines", "groups"});
  if (auto name = top.string("default")) out.file_default = DefaultChoice{*name, file + ": $.default"};
  if (auto groups = top.object("groups")) {
    out.groups_file = file;
    for (const cJSON* item = groups->node()->child; item; item = item->next) {
      std::string name = item->string ? item->string : "";
      if (!is_valid_machine_name(name)) groups->fail(name.c_str(), "bad group name: " + machine_name_rule());
      if (out.groups.count(name)) groups->fail(name.c_str(), "duplicate group");
      auto members = groups->string_array(name.c_str());
      if (!members || members->empty()) groups->fail(name.c_str(), "a group lists one machine or more");
      for (size_t i = 0; i < members->size(); ++i)
        for (size_t k = 0; k < i; ++k)
          if ((*members)[i] == (*members)[k])
            groups->fail(name.c_str(), "machine \"" + (*members)[i] + "\" is listed twice");
      out.groups.emplace(name, *members);
    }
  }
  auto machines = top.object("machines");
  if (!machines) return;
  for (const cJSON* item = machines->node()->child; item; item = item->next) {
    std::string name = item->string ? item->string : "";
    if (!is_valid_machine_name(name))
      machines->fail(name.c_str(), "bad machine name: " + machine_name_rule());
    if (out.machines.count(name)) machines->fail(name.c_str(), "duplicate machine");
    ConfigObject object(item, file, child_path(machines->path(), name));
    out.machines.emplace(name, read_machine(object, name, false));
  }
}

void read_modular_dir(const fs::path& dir, Sources& out) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec))
    throw Error(XRUN_E_CONFIG, dir.string() + ": expected a directory of NAME.json files");
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string file_name = entry.path().filename().string();
    // Hidden files and editor leftovers (".#x.json", "x.json~") are not machines.
    if (file_name[0] == '.' || entry.path().extension() != ".json") continue;
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec)) continue;
    files.push_back(entry.path());
  }
  if (ec) throw Error(XRUN_E_CONFIG, dir.string() + ": cannot list: " + ec.message());
  std::sort(files.begin(), files.end());

  std::map<std::string, Machine> modular;
  for (const auto& path : files) {
    std::string file = path.string();
    std::string name = path.stem().string();
    auto text = read_file_if_present(path);
    if (!text) continue;  // removed while we were listing
    if (name == "default") {
      json::Ptr root = parse_file(file, *text);
      ConfigObject top(root.get(), file, "$");
      top.check_keys({"default"});
      auto chosen = top.string("default");
      if (!chosen) top.fail("default", "required: the name of the default machine");
      out.modular_default = DefaultChoice{*chosen, file + ": $.default"};
      continue;
    }
    if (!is_valid_machine_name(name))
      throw Error(XRUN_E_CONFIG,
                  file + ": bad machine file name \"" + name + "\": " + machine_name_rule());
    json::Ptr root = parse_file(file, *text);
    modular.emplace(name, read_machine(ConfigObject(root.get(), file, "$"), name, false));
  }
  // For one name the modular file wins over machines.json: said, not silent.
  for (auto& [name, machine] : modular) {
    auto earlier = out.machines.find(name);
    if (earlier != out.machines.end())
      out.warnings.push_back("machine \"" + name + "\" is defined in both " + earlier->second.source + " and " +
                             machine.source + ": using " + machine.source + " (machines/NAME.json wins)");
    out.machines.insert_or_assign(name, std::move(machine));
  }
}

std::string known_names(const std::map<std::string, Machine>& machines) {
  std::string out;
  for (const auto& entry : machines) out += (out.empty() ? "" : ", ") + entry.first;
  return out;
}

void check_default_exists(const DefaultChoice& choice, const std::map<std::string, Machine>& all) {
  if (all.count(choice.name)) return;
  std::vector<std::string> names;
  for (const auto& entry : all) names.push_back(entry.first);
  std::string suggestion = closest_match(choice.name, names);
  throw Error(XRUN_E_CONFIG,
              choice.where + ": names unknown machine \"" + choice.name + "\"" +
                  (suggestion.empty() ? "" : "; did you mean \"" + suggestion + "\"?") +
                  " (known machines: " + known_names(all) + ")");
}

// Groups are checked against every machine (machines/NAME.json and the
// built-in "local" included), so they are checked once all are known.
void check_groups(const Sources& sources, const std::map<std::string, Machine>& all) {
  std::vector<std::string> names;
  for (const auto& entry : all) names.push_back(entry.first);
  for (const auto& [group, members] : sources.groups) {
    const std::string where = sources.groups_file + ": " + child_path("$.groups", group);
    if (all.count(group))
      throw Error(XRUN_E_CONFIG, where + ": group \"" + group + "\" has the name of a machine (" +
                                     all.at(group).source + "); a job's \"machine\" could mean either");
    for (const auto& member : members) {
      if (all.count(member)) continue;
      std::string suggestion = closest_match(member, names);
      throw Error(XRUN_E_CONFIG, where + ": group \"" + group + "\" names unknown machine \"" + member + "\"" +
                                     (suggestion.empty() ? "" : "; did you mean \"" + suggestion + "\"?") +
                                     " (known machines: " + known_names(all) + ")");
    }
  }
}

std::string resolve_default(const Sources& sources, const std::map<std::string, Machine>& all) {
  std::optional<DefaultChoice> from_env;
  if (const char* env = std::getenv(kDefaultEnv); env && *env)
    from_env = DefaultChoice{env, kDefaultEnv};
  // A wrong name is reported even where a higher-priority source hides it:
  // it would surface the day that source goes away.
  const std::optional<DefaultChoice>* choices[] = {&sources.file_default,
                                                   &sources.modular_default, &from_env};
  for (const auto* choice : choices)
    if (*choice) check_default_exists(**choice, all);

  if (from_env) return from_env->name;
  if (sources.modular_default) return sources.modular_default->name;
  if (sources.file_default) return sources.file_default->name;
  // One configured machine is the obvious default; otherwise "local".
  if (sources.machines.size() == 1) return sources.machines.begin()->first;
  return "local";
}

}  // namespace

Machine builtin_local_machine() {
  Machine m;
  m.name = "local";
  m.source = kBuiltinSource;
  m.execution = Execution::Local;
  m.scheduler = "direct";
  m.min_poll_interval_s = 0;
  return m;
}

MachineConfig load_machines(const std::string& home) {
  Sources sources;
  if (!home.empty()) {
    fs::path base(home);
    read_machines_json((base / "machines.json").string(), sources);
    read_modular_dir(base / "machines", sources);
  }
  MachineConfig config;
  config.machines = sources.machines;
  config.warnings = sources.warnings;
  // The built-in machine keeps the library usable with no configuration; a
  // configured "local" replaces it.
  Machine local = builtin_local_machine();
  // Its jobs go under the home in use (core puts them there): say so.
  if (!home.empty()) local.workdir = home + "/jobs";
  config.machines.emplace("local", std::move(local));
  config.default_name = resolve_default(sources, config.machines);
  check_groups(sources, config.machines);
  config.groups = sources.groups;
  return config;
}

Machine parse_machine(const std::string& name, const std::string& json_text,
                      const std::string& source) {
  if (!is_valid_machine_name(name))
    throw Error(XRUN_E_CONFIG, source + ": bad machine name \"" + name + "\": " + machine_name_rule());
  json::Ptr root = parse_file(source, json_text);
  return read_machine(ConfigObject(root.get(), source, "$"), name, true);
}

}  // namespace xrun
