#include "machine/machine.h"

#include <tuple>

namespace xrun {

Resources Resources::merged_with(const Resources& over) const {
  Resources out = *this;
  if (over.nodes) out.nodes = over.nodes;
  if (over.tasks_per_node) out.tasks_per_node = over.tasks_per_node;
  if (over.cpus_per_task) out.cpus_per_task = over.cpus_per_task;
  if (over.memory) out.memory = over.memory;
  if (over.walltime) out.walltime = over.walltime;
  if (over.partition) out.partition = over.partition;
  if (over.account) out.account = over.account;
  if (over.qos) out.qos = over.qos;
  return out;
}

bool operator==(const Resources& a, const Resources& b) {
  return std::tie(a.nodes, a.tasks_per_node, a.cpus_per_task, a.memory, a.walltime, a.partition,
                  a.account, a.qos) ==
         std::tie(b.nodes, b.tasks_per_node, b.cpus_per_task, b.memory, b.walltime, b.partition,
                  b.account, b.qos);
}

bool operator==(const Auth& a, const Auth& b) {
  return a.method == b.method && a.key_file == b.key_file;
}

bool operator==(const Machine& a, const Machine& b) {
  return std::tie(a.name, a.source, a.execution, a.scheduler, a.host, a.port, a.username, a.auth,
                  a.host_key_policy, a.known_hosts, a.proxy_jump, a.ssh_config, a.transport, a.workdir,
                  a.prepend, a.env, a.launcher, a.resources, a.max_sessions,
                  a.max_handshakes_per_minute, a.idle_timeout_s, a.keepalive_s,
                  a.connect_timeout_s, a.command_timeout_s, a.min_poll_interval_s, a.cleanup,
                  a.use_sftp, a.retry) ==
         std::tie(b.name, b.source, b.execution, b.scheduler, b.host, b.port, b.username, b.auth,
                  b.host_key_policy, b.known_hosts, b.proxy_jump, b.ssh_config, b.transport, b.workdir,
                  b.prepend, b.env, b.launcher, b.resources, b.max_sessions,
                  b.max_handshakes_per_minute, b.idle_timeout_s, b.keepalive_s,
                  b.connect_timeout_s, b.command_timeout_s, b.min_poll_interval_s, b.cleanup,
                  b.use_sftp, b.retry);
}

}  // namespace xrun
