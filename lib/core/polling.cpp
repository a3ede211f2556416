#include "core/polling.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "util/clock.h"
#include "util/deadline.h"
#include "util/error.h"

namespace xrun {

struct Polling::Gate {
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

namespace {

// Machines polled at once by one poll_all: enough that a dead cluster's
// connect timeout runs beside the others, few enough for a login node.
constexpr size_t kMachinesAtOnce = 4;

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

}  // namespace

Polling::Polling(Store& store, MachineAccess& machines, Submission& submission, Finishing& finishing,
                 Dependencies& dependencies, Wakeup& wakeup, const Logger& logger, std::string owner)
    : store_(store), machines_(machines), submission_(submission), finishing_(finishing),
      dependencies_(dependencies), wakeup_(wakeup), logger_(logger), owner_(std::move(owner)) {}

Polling::~Polling() = default;

Polling::Gate& Polling::gate(const std::string& machine) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = gates_[machine];
  if (!slot) slot = std::make_unique<Gate>();
  return *slot;
}

int64_t Polling::poll_machine(const std::string& name, bool force) {
  const Machine& m = machines_.machine(name);
  const int64_t interval = m.min_poll_interval_s * 1000;
  const std::string key = "poll:" + m.name;
  Gate& g = gate(m.name);
  {
    std::unique_lock<std::mutex> lock(g.mutex);
    if (g.running) {
      // Single flight: a thread that asks while a round is running waits
      // for that round's answer instead of starting its own query.
      int64_t seen = g.generation;
      const int64_t deadline = outer_deadline_ms();
      if (deadline == kNoDeadline) {
        g.done.wait(lock, [&] { return g.generation != seen; });
      } else if (!g.done.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(0, deadline - monotonic_ms())),
                                  [&] { return g.generation != seen; })) {
        throw Error(XRUN_E_TIMEOUT, "machine " + m.name + ": another thread's poll round did not end by the deadline");
      }
      return interval;
    }
    const int64_t now = wall_ms();
    if (!force && now < g.retry_at_ms) return g.retry_at_ms - now;
    int64_t since = now - store_.last_poll_ms(key);
    if (!force && since < interval) return interval - since;
    g.running = true;
  }
  struct Finish {
    Gate& gate;
    ~Finish() {
      std::lock_guard<std::mutex> lock(gate.mutex);
      gate.running = false;
      ++gate.generation;
      gate.done.notify_all();
    }
  } finish{g};
  // Across processes: one poller per machine per interval (a lease in the
  // shared store); the others read what it wrote.
  const int64_t lease_ttl = std::max<int64_t>(60000, m.command_timeout_s * 3000);
  if (!store_.acquire_lease(key, owner_, lease_ttl)) {
    // A poller killed in the middle of a round leaves its lease behind:
    // when its owner is a dead process of this host, take it over now
    // instead of stalling every other process for the lease's lifetime.
    // Releasing by owner is a compare-and-delete: a live taker is safe.
    std::string holder = store_.lease_owner(key);
    if (holder.empty() || !owner_is_dead_here(holder)) return std::max<int64_t>(interval, 100);
    logger_.warn("machine " + m.name + ": taking over the poll lease of dead process " + holder);
    store_.release_lease(key, holder);
    if (!store_.acquire_lease(key, owner_, lease_ttl)) return std::max<int64_t>(interval, 100);
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
  } release{store_, key, owner_};
  const int64_t started = monotonic_ms();
  try {
    round(m);
    logger_.debug("machine " + m.name + ": round in " + std::to_string(monotonic_ms() - started) + " ms");
  } catch (const Error& e) {
    logger_.debug("machine " + m.name + ": round in " + std::to_string(monotonic_ms() - started) + " ms (failed)");
    if (e.status() == XRUN_E_TRANSPORT || e.status() == XRUN_E_TIMEOUT) machines_.note_connection(m.name, e.what());
    std::lock_guard<std::mutex> lock(g.mutex);
    g.failures = std::min(g.failures + 1, 20);
    int64_t backoff = std::min<int64_t>(int64_t(1000) << std::min(g.failures - 1, 9), 300000);
    g.retry_at_ms = wall_ms() + std::max(backoff, interval);
    logger_.warn("machine " + m.name + ": poll failed (" + std::to_string(g.failures) +
                 " in a row), next try in " + std::to_string(backoff) + " ms: " + e.what());
    throw;
  }
  machines_.note_connection(m.name, "");
  {
    std::lock_guard<std::mutex> lock(g.mutex);
    g.failures = 0;
    g.retry_at_ms = 0;
  }
  store_.set_last_poll_ms(key, wall_ms());
  return interval;
}

int64_t Polling::poll_one_of_all(const std::string& name) {
  if (!machines_.has(name)) {
    // Its waiting jobs can never be sent; its active ones stay as they are.
    submission_.fail_unconfigured(name);
    return 60000;
  }
  try {
    return poll_machine(name, false);
  } catch (const Error& e) {
    logger_.warn("poll of machine " + name + " failed: " + e.what());
    return 1000;
  }
}

int64_t Polling::poll_all() {
  const uint64_t interrupts = wakeup_.interrupts();
  auto interrupted = [&] { return wakeup_.interrupts() != interrupts; };
  const std::vector<std::string> names = store_.machines_with_work();
  if (names.empty()) return 1000;
  std::vector<int64_t> next(names.size(), 60000);
  if (names.size() == 1) {
    if (!interrupted()) next[0] = poll_one_of_all(names[0]);
  } else {
    // Each worker takes the next machine; a slow or dead machine holds one
    // worker, never the others' rounds.
    std::atomic<size_t> cursor{0};
    const int64_t deadline = outer_deadline_ms();  // the caller's, for every worker
    auto worker = [&] {
      DeadlineScope bound(deadline);
      for (size_t i; !interrupted() && (i = cursor.fetch_add(1)) < names.size();) {
        try {
          next[i] = poll_one_of_all(names[i]);
        } catch (const std::exception& e) {
          logger_.warn("poll of machine " + names[i] + " failed: " + e.what());
          next[i] = 1000;
        }
      }
    };
    std::vector<std::thread> workers;
    for (size_t w = 0; w < std::min(kMachinesAtOnce, names.size()); ++w) workers.emplace_back(worker);
    for (auto& w : workers) w.join();
  }
  if (interrupted()) throw Error(XRUN_E_INTERRUPTED, "poll interrupted");
  return *std::min_element(next.begin(), next.end());
}

}  // namespace xrun
