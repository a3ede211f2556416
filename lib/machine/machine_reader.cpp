#include "machine/machine_reader.h"

#include <cctype>
#include <stdexcept>

#include "machine/units.h"
#include "util/error.h"
#include "util/strings.h"

namespace xrun {

namespace {

const std::vector<std::string> kMachineKeys = {
    "execution", "scheduler", "host", "port", "username", "workdir", "auth", "host_key_policy",
    "known_hosts", "proxy_jump", "ssh_config", "prepend", "env", "launcher", "resources",
    "max_sessions", "max_handshakes_per_minute", "idle_timeout", "keepalive", "connect_timeout",
    "command_timeout", "min_poll_interval", "cleanup", "sftp", "transport", "retry"};
const std::vector<std::string> kResolvedKeys = {"name", "source"};
const std::vector<std::string> kRemoteOnlyKeys = {"host", "port", "username", "auth",
                                                  "host_key_policy", "known_hosts", "proxy_jump",
                                                  "ssh_config", "transport"};
const std::vector<std::string> kAuthKeys = {"method", "key_file"};
const std::vector<std::string> kResourceKeys = {"nodes", "tasks_per_node", "cpus_per_task",
                                                "memory", "walltime", "partition", "account",
                                                "qos"};
const std::vector<std::string> kSchedulers = {"direct", "slurm", "pbs", "sge", "lsf"};

constexpr int64_t kMaxSeconds = 10LL * 365 * 86400;

bool has_space_or_control(std::string_view text) {
  for (char c : text)
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return true;
  return false;
}

bool has_control(std::string_view text) {
  for (char c : text)
    if (std::iscntrl(static_cast<unsigned char>(c))) return true;
  return false;
}

// Host names, user names and jump hosts reach ssh and scripts: a leading
// '-' would read as an option, a space or newline would split the word.
std::optional<std::string> read_word(const ConfigObject& o, const char* key) {
  auto value = o.string(key);
  if (value && (has_space_or_control(*value) || (*value)[0] == '-'))
    o.fail(key, "expected one word without spaces that does not start with '-', got " +
                    describe_json(o.member(key)));
  return value;
}

// Relative paths would depend on the directory xrun happens to run in.
std::optional<std::string> read_path(const ConfigObject& o, const char* key) {
  auto value = o.string(key);
  if (value && (has_control(*value) || !(*value == "~" || starts_with(*value, "~/") ||
                                         (*value)[0] == '/')))
    o.fail(key, "expected an absolute path or one starting with \"~/\", got " +
                    describe_json(o.member(key)));
  return value;
}

std::optional<int64_t> read_seconds(const ConfigObject& o, const char* key) {
  return o.integer(key, 0, kMaxSeconds, "a whole number of seconds >= 0");
}

bool is_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

Auth read_auth(const ConfigObject& o) {
  o.check_keys(kAuthKeys);
  Auth auth;
  auto method = o.choice("method", {"auto", "agent", "key", "password", "keyboard-interactive"});
  if (method == "agent") auth.method = AuthMethod::Agent;
  if (method == "key") auth.method = AuthMethod::Key;
  if (method == "password") auth.method = AuthMethod::Password;
  if (method == "keyboard-interactive") auth.method = AuthMethod::KeyboardInteractive;
  auth.key_file = read_path(o, "key_file");
  bool uses_key = auth.method == AuthMethod::Auto || auth.method == AuthMethod::Key;
  if (auth.key_file && !uses_key)
    o.fail("key_file", "only used when method is \"key\" (or \"auto\"), not \"" + *method + "\"");
  return auth;
}

std::map<std::string, std::string> read_env(const ConfigObject& o) {
  std::map<std::string, std::string> env;
  for (const cJSON* item = o.node()->child; item; item = item->next) {
    std::string key = item->string ? item->string : "";
    if (!is_env_name(key))
      o.fail(key.c_str(), "not a valid environment variable name (letters, digits, '_')");
    if (!cJSON_IsString(item))
      o.fail(key.c_str(), "expected a string (write numbers in quotes), got " +
                              describe_json(item));
    if (!env.emplace(key, item->valuestring).second) o.fail(key.c_str(), "duplicate key");
  }
  return env;
}

// Partition, account and qos end up in scheduler directives, one per line.
std::optional<std::string> read_directive_word(const ConfigObject& o, const char* key) {
  auto value = o.string(key);
  if (value && has_space_or_control(*value))
    o.fail(key, "expected one word without spaces, got " + describe_json(o.member(key)));
  return value;
}

// Walltime and memory may be written as numbers (minutes, megabytes).
std::optional<std::string> scalar_text(const ConfigObject& o, const char* key) {
  const cJSON* item = o.member(key);
  if (!item) return std::nullopt;
  if (cJSON_IsString(item)) return std::string(item->valuestring);
  if (cJSON_IsNumber(item) && item->valuedouble >= 1 && item->valuedouble < 1e9 &&
      static_cast<double>(static_cast<int64_t>(item->valuedouble)) == item->valuedouble)
    return std::to_string(static_cast<int64_t>(item->valuedouble));
  return "";  // refused by the caller's format check
}

Resources read_resources(const ConfigObject& o) {
  o.check_keys(kResourceKeys);
  Resources r;
  const std::string count = "an integer >= 1";
  r.nodes = o.integer("nodes", 1, 1000000, count);
  r.tasks_per_node = o.integer("tasks_per_node", 1, 1000000, count);
  r.cpus_per_task = o.integer("cpus_per_task", 1, 1000000, count);
  if (auto text = scalar_text(o, "memory")) {
    r.memory = normalize_memory(*text);
    if (!r.memory)
      o.fail("memory", "expected a size such as \"64G\", \"500M\" or \"4000\" (megabytes), got " +
                           describe_json(o.member("memory")));
  }
  if (auto text = scalar_text(o, "walltime")) {
    auto seconds = parse_walltime_seconds(*text);
    if (!seconds)
      o.fail("walltime",
             "expected \"HH:MM:SS\", \"D-HH:MM:SS\" or whole minutes greater than 0, got " +
                 describe_json(o.member("walltime")));
    r.walltime = format_walltime(*seconds);
  }
  r.partition = read_directive_word(o, "partition");
  r.account = read_directive_word(o, "account");
  r.qos = read_directive_word(o, "qos");
  return r;
}

}  // namespace

bool is_valid_machine_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name[0] == '-' || name[0] == '.' || name == "default")
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  return true;
}

std::string machine_name_rule() {
  return "a machine name uses only letters, digits, '.', '_' and '-', does not start with '-' "
         "or '.', and is not \"default\"";
}

Machine read_machine(const ConfigObject& o, const std::string& name, bool accept_resolved_keys) {
  std::vector<std::string> known = kMachineKeys;
  if (accept_resolved_keys) known.insert(known.end(), kResolvedKeys.begin(), kResolvedKeys.end());
  o.check_keys(known);
  if (accept_resolved_keys) {
    auto written = o.string("name");
    if (written && *written != name)
      o.fail("name", "names machine \"" + *written + "\" but was read as \"" + name + "\"");
    o.string("source");  // informational: where machine_to_json's machine came from
  }

  Machine m;
  m.name = name;
  m.source = o.file();
  auto execution = o.choice("execution", {"local", "remote"});
  // A host without an explicit execution can only mean a remote machine.
  bool remote = execution ? *execution == "remote" : o.member("host") != nullptr;
  m.execution = remote ? Execution::Remote : Execution::Local;
  m.scheduler = o.choice("scheduler", kSchedulers).value_or("direct");

  if (remote) {
    m.host = read_word(o, "host");
    if (!m.host) o.fail("host", "required when execution is \"remote\"");
    if (m.host->find('@') != std::string::npos)
      o.fail("host", "expected a host name without '@' (write the user in \"username\"), got " +
                         describe_json(o.member("host")));
    m.port = o.integer("port", 1, 65535, "an integer from 1 to 65535");
    m.username = read_word(o, "username");
    if (m.username && m.username->find('@') != std::string::npos)
      o.fail("username", "expected a user name without '@'");
    if (auto auth = o.object("auth")) m.auth = read_auth(*auth);
    if (o.choice("host_key_policy", {"strict", "accept-new"}) == "accept-new")
      m.host_key_policy = HostKeyPolicy::AcceptNew;
    m.known_hosts = read_path(o, "known_hosts");
    m.proxy_jump = read_word(o, "proxy_jump");
    auto ssh_config = o.string("ssh_config");
    m.ssh_config = ssh_config == "none" ? ssh_config : read_path(o, "ssh_config");
    m.transport = o.choice("transport", {"libssh", "openssh"}).value_or(m.transport);
  } else {
    for (const auto& key : kRemoteOnlyKeys)
      if (o.member(key.c_str()))
        o.fail(key.c_str(), "only used when execution is \"remote\" (this machine is local)");
  }

  if (auto workdir = read_path(o, "workdir")) m.workdir = *workdir;
  if (auto prepend = o.string_array("prepend")) {
    for (const auto& line : *prepend)
      if (line.find('\n') != std::string::npos || line.find('\r') != std::string::npos)
        o.fail("prepend", "expected one line per item, got a line break in " + line.substr(0, 40));
    m.prepend = *prepend;
  }
  if (auto env = o.object("env")) m.env = read_env(*env);
  m.launcher = o.string("launcher");
  if (m.launcher && has_control(*m.launcher))
    o.fail("launcher", "expected a single line, got " + describe_json(o.member("launcher")));
  if (auto resources = o.object("resources")) m.resources = read_resources(*resources);

  m.max_sessions = o.integer("max_sessions", 1, 1000, "an integer from 1 to 1000")
                       .value_or(m.max_sessions);
  m.max_handshakes_per_minute =
      o.integer("max_handshakes_per_minute", 1, 1000, "an integer from 1 to 1000")
          .value_or(m.max_handshakes_per_minute);
  m.idle_timeout_s = read_seconds(o, "idle_timeout").value_or(m.idle_timeout_s);
  m.keepalive_s = read_seconds(o, "keepalive").value_or(m.keepalive_s);
  m.connect_timeout_s = read_seconds(o, "connect_timeout").value_or(m.connect_timeout_s);
  m.command_timeout_s = read_seconds(o, "command_timeout").value_or(m.command_timeout_s);
  // Batch schedulers and remote hosts should not be asked more often than
  // this; a local fork/exec is cheap to poll.
  bool cheap_to_poll = !remote && m.scheduler == "direct";
  m.min_poll_interval_s = read_seconds(o, "min_poll_interval").value_or(cheap_to_poll ? 0 : 10);
  m.cleanup = o.choice("cleanup", {"keep", "on_success", "always"}).value_or(m.cleanup);
  m.use_sftp = o.boolean("sftp").value_or(m.use_sftp);
  if (const cJSON* retry = o.member("retry")) {
    try {
      m.retry = parse_retry_policy(retry, child_path(o.path(), "retry"));
    } catch (const std::invalid_argument& e) {
      throw Error(XRUN_E_CONFIG, o.file() + ": " + e.what());
    }
  }
  return m;
}

}  // namespace xrun
