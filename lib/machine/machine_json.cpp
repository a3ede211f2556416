#include <cjson/cJSON.h>

#include "machine/loader.h"
#include "util/json.h"

namespace xrun {

namespace {

const char* auth_method_name(AuthMethod method) {
  switch (method) {
    case AuthMethod::Agent: return "agent";
    case AuthMethod::Key: return "key";
    case AuthMethod::Password: return "password";
    case AuthMethod::KeyboardInteractive: return "keyboard-interactive";
    case AuthMethod::Auto: break;
  }
  return "auto";
}

json::Ptr resources_json(const Resources& r) {
  json::Ptr out = json::object();
  json::set_optional_int(out.get(), "nodes", r.nodes);
  json::set_optional_int(out.get(), "tasks_per_node", r.tasks_per_node);
  json::set_optional_int(out.get(), "cpus_per_task", r.cpus_per_task);
  json::set_optional_string(out.get(), "memory", r.memory);
  json::set_optional_string(out.get(), "walltime", r.walltime);
  json::set_optional_string(out.get(), "partition", r.partition);
  json::set_optional_string(out.get(), "account", r.account);
  json::set_optional_string(out.get(), "qos", r.qos);
  return out;
}

}  // namespace

// Every key is present so readers see one shape; null means "not set" (or,
// for the SSH keys of a local machine, "not applicable").
std::string machine_to_json(const Machine& m) {
  json::Ptr out = json::object();
  cJSON* o = out.get();
  bool remote = m.execution == Execution::Remote;
  json::set_string(o, "name", m.name);
  json::set_string(o, "source", m.source);
  json::set_string(o, "execution", remote ? "remote" : "local");
  json::set_string(o, "scheduler", m.scheduler);
  json::set_optional_string(o, "host", m.host);
  json::set_optional_int(o, "port", m.port);
  json::set_optional_string(o, "username", m.username);
  if (remote) {
    json::Ptr auth = json::object();
    json::set_string(auth.get(), "method", auth_method_name(m.auth.method));
    json::set_optional_string(auth.get(), "key_file", m.auth.key_file);
    json::set_node(o, "auth", std::move(auth));
    json::set_string(o, "host_key_policy",
                     m.host_key_policy == HostKeyPolicy::AcceptNew ? "accept-new" : "strict");
  } else {
    json::set_null(o, "auth");
    json::set_null(o, "host_key_policy");
  }
  json::set_optional_string(o, "known_hosts", m.known_hosts);
  json::set_optional_string(o, "proxy_jump", m.proxy_jump);
  json::set_optional_string(o, "ssh_config", m.ssh_config);
  if (m.execution == Execution::Remote) json::set_string(o, "transport", m.transport);
  json::set_string(o, "workdir", m.workdir);
  json::Ptr prepend = json::array();
  for (const auto& line : m.prepend)
    cJSON_AddItemToArray(prepend.get(), cJSON_CreateString(line.c_str()));
  json::set_node(o, "prepend", std::move(prepend));
  json::Ptr env = json::object();
  for (const auto& [key, value] : m.env) json::set_string(env.get(), key.c_str(), value);
  json::set_node(o, "env", std::move(env));
  json::set_optional_string(o, "launcher", m.launcher);
  json::set_node(o, "resources", resources_json(m.resources));
  json::set_int(o, "max_sessions", m.max_sessions);
  json::set_int(o, "max_handshakes_per_minute", m.max_handshakes_per_minute);
  json::set_int(o, "idle_timeout", m.idle_timeout_s);
  json::set_int(o, "keepalive", m.keepalive_s);
  json::set_int(o, "connect_timeout", m.connect_timeout_s);
  json::set_int(o, "command_timeout", m.command_timeout_s);
  json::set_int(o, "min_poll_interval", m.min_poll_interval_s);
  json::set_string(o, "cleanup", m.cleanup);
  json::set_bool(o, "sftp", m.use_sftp);
  if (m.retry) cJSON_AddItemToObject(o, "retry", retry_policy_to_json(*m.retry));
  return json::print(o);
}

}  // namespace xrun
