// The machine model: what machines.json and machines/NAME.json describe.
// Key names are a user-facing contract (see docs/ARCHITECTURE.md).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "machine/retry_policy.h"

namespace xrun {

// Batch resources. Each is optional: a job's value wins over the machine's
// default, which wins over the scheduler's default.
struct Resources {
  std::optional<int64_t> nodes;
  std::optional<int64_t> tasks_per_node;
  std::optional<int64_t> cpus_per_task;
  std::optional<std::string> memory;    // "64G", "500M"
  std::optional<std::string> walltime;  // "HH:MM:SS" or "D-HH:MM:SS"
  std::optional<std::string> partition; // queue for PBS/SGE/LSF
  std::optional<std::string> account;
  std::optional<std::string> qos;

  // Fields set in `over` replace ours.
  Resources merged_with(const Resources& over) const;
};

bool operator==(const Resources& a, const Resources& b);
inline bool operator!=(const Resources& a, const Resources& b) { return !(a == b); }

enum class Execution { Local, Remote };
enum class HostKeyPolicy { Strict, AcceptNew };
enum class AuthMethod { Agent, Key, Password, KeyboardInteractive, Auto };

struct Auth {
  AuthMethod method = AuthMethod::Auto;  // Auto: agent, then ~/.ssh keys
  std::optional<std::string> key_file;   // "~" not yet expanded
};

bool operator==(const Auth& a, const Auth& b);
inline bool operator!=(const Auth& a, const Auth& b) { return !(a == b); }

struct Machine {
  std::string name;
  std::string source;          // file it came from, or "<built-in>"
  Execution execution = Execution::Local;
  std::string scheduler = "direct";  // direct|slurm|pbs|sge|lsf
  // Remote only.
  std::optional<std::string> host;
  std::optional<int64_t> port;       // nullopt: ~/.ssh/config or 22
  std::optional<std::string> username;
  Auth auth;
  HostKeyPolicy host_key_policy = HostKeyPolicy::Strict;
  std::optional<std::string> known_hosts;  // nullopt: ~/.ssh/known_hosts
  std::optional<std::string> proxy_jump;   // "user@bastion:22"
  std::optional<std::string> ssh_config;   // nullopt: ~/.ssh/config; "none" disables
  // "libssh" (built in, the default) or "openssh" (the user's ssh through a
  // ControlMaster socket shared by every process).
  std::string transport = "libssh";
  // Common.
  std::string workdir = "~/.xrun/jobs";    // "~" means the home on that machine
  std::vector<std::string> prepend;        // lines before the command
  std::map<std::string, std::string> env;
  std::optional<std::string> launcher;     // "srun", "mpirun -np {tasks}"
  Resources resources;
  int64_t max_sessions = 2;
  int64_t max_handshakes_per_minute = 6;
  int64_t idle_timeout_s = 300;            // pooled session closed when idle
  int64_t keepalive_s = 30;
  int64_t connect_timeout_s = 15;
  int64_t command_timeout_s = 120;
  int64_t min_poll_interval_s = 0;         // 0: every call may poll (local)
  std::string cleanup = "keep";            // keep|on_success|always
  bool use_sftp = true;                    // false: stream over exec channels
  // The retry policy of jobs whose spec has none ("retry").
  std::optional<RetryPolicy> retry;
};

// Every field, `source` included (a reload can tell what changed).
bool operator==(const Machine& a, const Machine& b);
inline bool operator!=(const Machine& a, const Machine& b) { return !(a == b); }

}  // namespace xrun
