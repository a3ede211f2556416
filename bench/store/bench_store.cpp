// bench_store: the job store's two figures on each backend, side by side.
//  - transitions/s: one process inserting jobs and moving each through
//    three states (every call one durable transaction with its event);
//  - event-follow latency: a writer process inserts a job every 20 ms; a
//    follower in this process waits for each event and measures commit ->
//    seen. Three ways to follow: SQLite polled every 500 ms (what
//    `xrun events --follow` did), SQLite with its change check
//    (wait_for_events: PRAGMA data_version every 50 ms), and PostgreSQL
//    with LISTEN/NOTIFY (wait_for_events woken by the pushed notification).
//
//   bench_store [N_EVENTS]      PostgreSQL from $XRUN_BENCH_PG_URL (with
//                               PGPASSFILE), e.g. through
//                               tests/store/with_pg_store.sh (it sets XRUN_STORE)
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/event_wait.h"
#include "core/wakeup.h"
#include "store/store.h"
#include "util/clock.h"

using namespace xrun;

namespace {

JobRecord job(const std::string& id) {
  JobRecord j;
  j.id = id;
  j.machine = "bench";
  j.name = id;
  j.spec_json = "{\"command\":\"true\"}";
  return j;
}

double transitions_per_s(const std::string& location, int jobs) {
  auto store = open_store(location);
  const int64_t start = monotonic_ms();
  for (int i = 0; i < jobs; ++i) {
    std::string id = "t" + std::to_string(i);
    store->insert_job(job(id));
    store->transition(id, {XRUN_STATE_CREATED}, XRUN_STATE_SUBMITTING, {}, "");
    store->transition(id, {XRUN_STATE_SUBMITTING}, XRUN_STATE_SUBMITTED, {}, "");
    store->transition(id, {XRUN_STATE_SUBMITTED}, XRUN_STATE_RUNNING, {}, "");
  }
  const double secs = std::max<int64_t>(1, monotonic_ms() - start) / 1000.0;
  return jobs * 4 / secs;  // an insert and three transitions per job
}

enum class Follow { Polling, ChangeCheck };

struct Latency {
  double median = 0, p95 = 0, max = 0;
  size_t seen = 0;
};

// The writer: a child process with its own connection, one job per 20 ms.
pid_t start_writer(const std::string& location, int events) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  try {
    auto store = open_store(location);
    for (int i = 0; i < events; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      store->insert_job(job("f" + std::to_string(i)));  // the event's time_ms: just before commit
    }
  } catch (const std::exception& e) {
    fprintf(stderr, "writer: %s\n", e.what());
    _exit(1);
  }
  _exit(0);
}

Latency follow_latency(const std::string& location, Follow how, int events) {
  auto store = open_store(location);
  Wakeup wakeup;
  store->set_write_listener([&wakeup] { wakeup.notify_change(); });
  int64_t after = store->last_event_seq();
  store->data_version();  // starts listening (PostgreSQL) before the writer writes
  pid_t writer = start_writer(location, events);
  std::vector<double> ms;
  const int64_t give_up = monotonic_ms() + 20000 + events * 100;
  while (static_cast<int>(ms.size()) < events && monotonic_ms() < give_up) {
    if (how == Follow::Polling) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    } else {
      try {
        wait_for_events(*store, wakeup, after, 2000);
      } catch (const std::exception&) {
        continue;  // timed out: ask again
      }
    }
    const int64_t now = wall_ms();
    for (const auto& e : store->events_since(after, 0)) {
      ms.push_back(static_cast<double>(now - e.time_ms));
      after = e.seq;
    }
  }
  int status = 0;
  waitpid(writer, &status, 0);
  Latency l;
  l.seen = ms.size();
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  l.median = ms[ms.size() / 2];
  l.p95 = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
  l.max = ms.back();
  return l;
}

std::string fresh_sqlite(const char* tag) {
  char dir[] = "/tmp/xrun-bench-store-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    exit(1);
  }
  return std::string(dir) + "/" + tag + ".db";
}

}  // namespace

int main(int argc, char** argv) {
  const int events = argc > 1 ? atoi(argv[1]) : 100;
  const int jobs = 200;
  const char* pg = getenv("XRUN_BENCH_PG_URL");
  if (!pg || !*pg) pg = getenv("XRUN_STORE");
  if (!pg || !is_postgresql_url(pg)) {
    fprintf(stderr, "bench_store: set XRUN_BENCH_PG_URL (or run through tests/store/with_pg_store.sh)\n");
    return 2;
  }
  try {
    printf("%-34s %14s %12s %10s %10s %6s\n", "store / follower", "transitions/s", "median ms", "p95 ms",
           "max ms", "seen");
    const std::string sqlite = fresh_sqlite("bench");
    const double sqlite_tps = transitions_per_s(sqlite, jobs);
    Latency a = follow_latency(sqlite, Follow::Polling, events);
    printf("%-34s %14.0f %12.1f %10.1f %10.1f %6zu\n", "SQLite, polling every 500 ms", sqlite_tps, a.median, a.p95,
           a.max, a.seen);
    Latency b = follow_latency(fresh_sqlite("bench2"), Follow::ChangeCheck, events);
    printf("%-34s %14s %12.1f %10.1f %10.1f %6zu\n", "SQLite, change check (50 ms)", "(same)", b.median, b.p95,
           b.max, b.seen);
    const double pg_tps = transitions_per_s(pg, jobs);
    Latency c = follow_latency(pg, Follow::ChangeCheck, events);
    printf("%-34s %14.0f %12.1f %10.1f %10.1f %6zu\n", "PostgreSQL, LISTEN/NOTIFY", pg_tps, c.median, c.p95, c.max,
           c.seen);
    printf("target: PostgreSQL follower median < 50 ms: %s\n", c.seen && c.median < 50 ? "met" : "NOT met");
  } catch (const std::exception& e) {
    fprintf(stderr, "bench_store: %s\n", e.what());
    return 1;
  }
  return 0;
}
