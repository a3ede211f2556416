#include "core/context.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "transport/local.h"
#include "transport/ssh/ssh_pool.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/strings.h"

namespace xrun {

struct Context::PollGate {
  std::mutex mutex;
  std::condition_variable done;
  bool running = false;
  int64_t generation = 0;  // rounds completed
  // After a failed round (scheduler or connection down), rounds back off
  // exponentially -- 1 s, 2 s, 4 s ... up to 5 min -- instead of hammering a
  // struggling scheduler; a success resets it. States are never changed by
  // a failed round.
  int failures = 0;
  int64_t retry_at_ms = 0;
};

static std::string default_home() {
  const char* env = getenv("XRUN_HOME");
  if (env && *env) return expand_user(env);
  return expand_user("~/.xrun");
}

static void ensure_private_dir(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw Error(XRUN_E_IO, "XRUN_HOME " + path + " is not a directory");
    return;
  }
  // mkdir -p, the last component private.
  std::string partial;
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    mode_t mode = pos == std::string::npos ? 0700 : 0755;
    if (mkdir(partial.c_str(), mode) != 0 && errno != EEXIST)
      throw Error(XRUN_E_IO, "cannot create " + partial + ": " + strerror(errno));
  }
}

namespace {

std::string this_host() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

// Whether a lease owner ("<host>/<pid>/<address>") is a process of this
// host that no longer exists. Owners on other hosts, or in another format,
// are never judged: their lease runs out by its time to live.
bool owner_is_dead_here(const std::string& owner) {
  size_t a = owner.find('/');
  size_t b = a == std::string::npos ? a : owner.find('/', a + 1);
  if (b == std::string::npos || owner.substr(0, a) != this_host()) return false;
  std::string pid_text = owner.substr(a + 1, b - a - 1);
  if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) return false;
  pid_t pid = static_cast<pid_t>(atoll(pid_text.c_str()));
  return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

// The store's location: the caller's, else $XRUN_STORE (a file path or a
// postgresql:// URL shared by several hosts), else <home>/xrun.db.
std::string store_location(const std::string& given, const std::string& home) {
  if (!given.empty()) return is_postgresql_url(given) ? given : expand_user(given);
  const char* env = getenv("XRUN_STORE");
  if (env && *env) return is_postgresql_url(env) ? std::string(env) : expand_user(env);
  return home + "/xrun.db";
}

}  // namespace

Context::Context(const ContextOptions& options)
    : home_(options.home.empty() ? default_home() : expand_user(options.home)), logger_(options.logger) {
  while (home_.size() > 1 && home_.back() == '/') home_.pop_back();
  store_path_ = store_location(options.store_path, home_);
  owner_ = this_host() + "/" + std::to_string(getpid()) + "/" + std::to_string(reinterpret_cast<uintptr_t>(this));
  machines_ = load_machines(home_);
  ensure_private_dir(home_);
  store_ = open_store(store_path_);
  store_path_ = store_->path();  // as the store shows it: a URL loses its password here
  store_->set_write_listener([this] { wakeup_.notify_change(); });
  SshCallbacks callbacks;
  callbacks.logger = logger_;
  callbacks.prompt = options.prompt;
  callbacks.prompt_payload = options.prompt_payload;
  ssh_pool_ = std::make_unique<SshPool>(callbacks);
  logger_.debug("context opened: home " + home_ + ", store " + store_path_);
}

Context::~Context() = default;

const Machine& Context::machine(const std::string& name) const {
  const std::string& wanted = name.empty() ? machines_.default_name : name;
  auto it = machines_.machines.find(wanted);
  if (it == machines_.machines.end()) {
    std::vector<std::string> names;
    for (const auto& [n, m] : machines_.machines) names.push_back(n);
    std::string message = "no machine named \"" + wanted + "\"";
    std::string suggestion = closest_match(wanted, names);
    if (!suggestion.empty()) message += "; did you mean \"" + suggestion + "\"?";
    throw Error(XRUN_E_NOT_FOUND, message);
  }
  return it->second;
}

std::shared_ptr<Transport> Context::transport(const Machine& machine) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = transports_.find(machine.name);
  if (it != transports_.end()) return it->second;
  std::shared_ptr<Transport> transport;
  if (machine.execution == Execution::Local)
    transport = std::make_shared<LocalTransport>(machine.command_timeout_s * 1000);
  else
    transport = ssh_pool_->transport_for(machine);
  transports_[machine.name] = transport;
  return transport;
}

const Scheduler& Context::scheduler(const Machine& machine) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = schedulers_[machine.name];
  if (!slot) slot = make_scheduler(machine.scheduler);
  return *slot;
}

std::string Context::workdir(const Machine& machine) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = workdirs_.find(machine.name);
    if (it != workdirs_.end()) return it->second;
  }
  // The built-in machine keeps its jobs under XRUN_HOME, so a temporary
  // home (tests, sandboxes) keeps everything in one place.
  std::string configured = machine.source == "<built-in>" ? home_ + "/jobs" : machine.workdir;
  std::string resolved = transport(machine)->resolve_path(configured);
  while (resolved.size() > 1 && resolved.back() == '/') resolved.pop_back();
  std::lock_guard<std::mutex> lock(mutex_);
  workdirs_[machine.name] = resolved;
  return resolved;
}

JobRecord Context::job(const std::string& id) const {
  auto record = store_->get_job(id);
  if (!record) throw Error(XRUN_E_NOT_FOUND, "no job with id \"" + id + "\"");
  return *record;
}

Context::PollGate& Context::poll_gate(const std::string& machine) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = poll_gates_[machine];
  if (!slot) slot = std::make_unique<PollGate>();
  return *slot;
}

int64_t Context::poll_machine(const std::string& name, bool force) {
  const Machine& m = machine(name);
  const int64_t interval = m.min_poll_interval_s * 1000;
  const std::string key = "poll:" + m.name;
  PollGate& gate = poll_gate(m.name);
  {
    std::unique_lock<std::mutex> lock(gate.mutex);
    if (gate.running) {
      // Single flight: a thread that asks while a round is running waits
      // for that round's answer instead of starting its own query.
      int64_t seen = gate.generation;
      gate.done.wait(lock, [&] { return gate.generation != seen; });
      return interval;
    }
    const int64_t now = wall_ms();
    if (!force && now < gate.retry_at_ms) return gate.retry_at_ms - now;
    int64_t since = now - store_->last_poll_ms(key);
    if (!force && since < interval) return interval - since;
    gate.running = true;
  }
  struct Finish {
    PollGate& gate;
    ~Finish() {
      std::lock_guard<std::mutex> lock(gate.mutex);
      gate.running = false;
      ++gate.generation;
      gate.done.notify_all();
    }
  } finish{gate};
  // Across processes: one poller per machine per interval (a lease in the
  // shared store); the others read what it wrote.
  const int64_t lease_ttl = std::max<int64_t>(60000, m.command_timeout_s * 3000);
  if (!store_->acquire_lease(key, owner_, lease_ttl)) {
    // A poller killed in the middle of a round leaves its lease behind:
    // when its owner is a dead process of this host, take it over now
    // instead of stalling every other process for the lease's lifetime.
    // Releasing by owner is a compare-and-delete: a live taker is safe.
    std::string holder = store_->lease_owner(key);
    if (holder.empty() || !owner_is_dead_here(holder)) return std::max<int64_t>(interval, 100);
    logger_.warn("machine " + m.name + ": taking over the poll lease of dead process " + holder);
    store_->release_lease(key, holder);
    if (!store_->acquire_lease(key, owner_, lease_ttl)) return std::max<int64_t>(interval, 100);
  }
  struct Release {
    Store& store;
    const std::string& key;
    const std::string& owner;
    ~Release() {
      try {
        store.release_lease(key, owner);
      } catch (...) {
      }
    }
  } release{*store_, key, owner_};
  try {
    poll_round(m);
  } catch (const Error& e) {
    std::lock_guard<std::mutex> lock(gate.mutex);
    gate.failures = std::min(gate.failures + 1, 20);
    int64_t backoff = std::min<int64_t>(int64_t(1000) << std::min(gate.failures - 1, 9), 300000);
    gate.retry_at_ms = wall_ms() + std::max(backoff, interval);
    logger_.warn("machine " + m.name + ": poll failed (" + std::to_string(gate.failures) +
                 " in a row), next try in " + std::to_string(backoff) + " ms: " + e.what());
    throw;
  }
  {
    std::lock_guard<std::mutex> lock(gate.mutex);
    gate.failures = 0;
    gate.retry_at_ms = 0;
  }
  store_->set_last_poll_ms(key, wall_ms());
  return interval;
}

int64_t Context::poll_all() {
  const uint64_t interrupts = wakeup_.interrupts();
  std::map<std::string, bool> machines;
  for (const auto& job : store_->active_jobs("")) machines[job.machine] = true;
  for (const auto& job : store_->list_jobs("", XRUN_STATE_CREATED, 0))
    if (starts_with(job.reason, kWaitingForRoom)) machines[job.machine] = true;
  int64_t next = 60000;
  for (const auto& [name, unused] : machines) {
    (void)unused;
    if (wakeup_.interrupts() != interrupts) throw Error(XRUN_E_INTERRUPTED, "poll interrupted");
    try {
      next = std::min(next, poll_machine(name, false));
    } catch (const Error& e) {
      logger_.warn("poll of machine " + name + " failed: " + e.what());
      next = std::min<int64_t>(next, 1000);
    }
  }
  if (wakeup_.interrupts() != interrupts) throw Error(XRUN_E_INTERRUPTED, "poll interrupted");
  return machines.empty() ? 1000 : next;
}

}  // namespace xrun
