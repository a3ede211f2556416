// Several processes, and several threads, on one store -- a SQLite file, or
// the real PostgreSQL when run with "postgresql". The point of the store is
// that a submitting process, polling processes and a reading TUI never see
// "database is locked" (or any other error), never lose or duplicate an
// event, and never both win the same compare-and-set transition. The run
// lasts XRUN_STORE_SOAK_S seconds (default 4): set it to 60 for a soak.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store_test_util.h"
#include "util/clock.h"

using store_test::make_job;
using xrun::JobUpdate;
using xrun::Store;

namespace {

int64_t run_ms() {
  const char* soak = getenv("XRUN_STORE_SOAK_S");
  return soak && atoi(soak) > 0 ? atoi(soak) * int64_t{1000} : 4000;
}
enum Role { kWriter, kPoller, kReader };

// What one child did, written to its log for the parent to check:
//   T <job> <state>   a transition this child won
//   I <job>           a job this child inserted
//   R <count>         events the reader paged through
//   E <message>       an error (any error fails the test)
struct ChildLog {
  FILE* f;
  int errors = 0;
  void error(const std::string& m) {
    fprintf(f, "E %s\n", m.c_str());
    ++errors;
  }
};

void writer(Store& s, int index, ChildLog& log, int64_t end) {
  for (int n = 0; xrun::monotonic_ms() < end; ++n) {
    std::string id = "w" + std::to_string(index) + "-" + std::to_string(n);
    s.insert_job(make_job(id, index % 2 ? "m1" : "m2", xrun::wall_ms()));
    fprintf(log.f, "I %s\n", id.c_str());
    const xrun_state path[][2] = {{XRUN_STATE_CREATED, XRUN_STATE_SUBMITTING},
                                  {XRUN_STATE_SUBMITTING, XRUN_STATE_SUBMITTED},
                                  {XRUN_STATE_SUBMITTED, XRUN_STATE_QUEUED}};
    for (auto& step : path) {
      JobUpdate u;
      if (step[1] == XRUN_STATE_SUBMITTED) u.scheduler_id = std::to_string(n);
      // Nobody else touches a job before it is queued: refusal is a bug.
      if (!s.transition(id, {step[0]}, step[1], u, "writer"))
        log.error(id + ": writer's own transition to " + std::to_string(step[1]) + " refused");
      else
        fprintf(log.f, "T %s %d\n", id.c_str(), step[1]);
    }
  }
}

void poller(Store& s, int index, ChildLog& log, int64_t end) {
  const std::string me = "poller-" + std::to_string(index);
  while (xrun::monotonic_ms() < end) {
    // Pollers race for the same jobs; the compare-and-set picks one winner.
    for (const auto& j : s.active_jobs("")) {
      xrun_state next = j.state == XRUN_STATE_QUEUED ? XRUN_STATE_RUNNING : XRUN_STATE_COMPLETED;
      if (j.state != XRUN_STATE_QUEUED && j.state != XRUN_STATE_RUNNING) continue;
      JobUpdate u;
      if (next == XRUN_STATE_COMPLETED) u.exit_code = 0;
      if (s.transition(j.id, {j.state}, next, u, me)) fprintf(log.f, "T %s %d\n", j.id.c_str(), next);
    }
    if (s.acquire_lease("poll:shared", me, 200)) {
      s.set_last_poll_ms("poll:shared", xrun::wall_ms());
      s.release_lease("poll:shared", me);
    }
  }
}

void reader(Store& s, ChildLog& log, int64_t end) {
  int64_t after = 0, seen = 0;
  while (xrun::monotonic_ms() < end) {
    for (const auto& e : s.events_since(after, 50)) {
      // Writers commit one at a time, so a reader can never see seq N+2
      // before N+1: any jump is a lost event.
      if (e.seq != after + 1)
        log.error("event seq jumped from " + std::to_string(after) + " to " + std::to_string(e.seq));
      after = e.seq;
      ++seen;
    }
    s.list_jobs("m1", -1, 20);
    s.last_poll_ms("poll:shared");
  }
  fprintf(log.f, "R %lld\n", static_cast<long long>(seen));
}

[[noreturn]] void run_child(const std::string& path, const std::string& log_path, Role role, int index,
                            int start_fd) {
  char go;
  // Every child opens the (not yet existing) store at the same moment.
  (void)!read(start_fd, &go, 1);
  ChildLog log{fopen(log_path.c_str(), "w")};
  if (!log.f) _exit(3);
  try {
    auto s = store_test::open(path);
    const int64_t end = xrun::monotonic_ms() + run_ms();
    if (role == kWriter) writer(*s, index, log, end);
    if (role == kPoller) poller(*s, index, log, end);
    if (role == kReader) reader(*s, log, end);
  } catch (const std::exception& e) {
    log.error(e.what());
  }
  fclose(log.f);
  _exit(log.errors ? 1 : 0);
}

}  // namespace

static void test_processes_share_one_store(void**) {
  const std::string dir = xrun_test_tempdir("store-procs");
  // Nothing there yet: the children race to create and migrate it.
  const std::string path = store_test::on_postgres() ? store_test::fresh_pg_url("procs") : dir + "/jobs.db";
  const Role roles[] = {kWriter, kWriter, kPoller, kPoller, kReader};
  const int count = sizeof roles / sizeof roles[0];

  int start[2];
  assert_int_equal(pipe(start), 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < count; ++i) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(start[1]);
      run_child(path, dir + "/child-" + std::to_string(i) + ".log", roles[i], i, start[0]);
    }
    pids.push_back(pid);
  }
  close(start[0]);
  close(start[1]);  // EOF releases every child at once

  int failed = 0;
  for (pid_t pid : pids) {
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }

  // Gather what the children say they did.
  std::map<std::string, std::vector<int>> made;  // job -> states won, in log order
  std::vector<std::string> inserted, errors;
  long long reader_seen = 0;
  for (int i = 0; i < count; ++i) {
    std::ifstream in(dir + "/child-" + std::to_string(i) + ".log");
    assert_true(in.good());
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string kind, job;
      f >> kind;
      if (kind == "E") errors.push_back("child " + std::to_string(i) + ": " + line.substr(2));
      if (kind == "I") {
        f >> job;
        inserted.push_back(job);
      }
      if (kind == "T") {
        int state = 0;
        f >> job >> state;
        made[job].push_back(state);
      }
      if (kind == "R") f >> reader_seen;
    }
  }
  for (auto& e : errors) fprintf(stderr, "%s\n", e.c_str());
  assert_int_equal(errors.size(), 0);  // includes any "database is locked"
  assert_int_equal(failed, 0);
  assert_true(inserted.size() > 10);
  assert_true(reader_seen > 0);

  auto owned = store_test::open(path);
  Store& s = *owned;
  // Every inserted job is there.
  for (auto& id : inserted) assert_true(s.get_job(id).has_value());
  assert_int_equal(s.list_jobs("", -1, 0).size(), inserted.size());

  // The journal: seqs 1..N without a gap, and per job exactly one event per
  // transition won, in the order of the state machine.
  auto events = s.events_since(0, 0);
  std::map<std::string, std::vector<int>> journal;
  int64_t expect_seq = 1;
  for (auto& e : events) {
    assert_int_equal(e.seq, expect_seq++);
    journal[e.job_id].push_back(e.state);
  }
  size_t transitions = 0;
  const int order[] = {XRUN_STATE_CREATED, XRUN_STATE_SUBMITTING, XRUN_STATE_SUBMITTED,
                       XRUN_STATE_QUEUED, XRUN_STATE_RUNNING, XRUN_STATE_COMPLETED};
  for (auto& id : inserted) {
    const auto& states = journal[id];
    const auto& won = made[id];
    transitions += won.size();
    assert_int_equal(states.size(), won.size() + 1);  // + the 'created' event
    for (size_t k = 0; k < states.size(); ++k) assert_int_equal(states[k], order[k]);
    assert_int_equal(s.get_job(id)->state, states.back());
  }
  assert_int_equal(events.size(), inserted.size() + transitions);
  assert_true(s.last_poll_ms("poll:shared") > 0);
  printf("# %s, %d processes, %.1f s: %zu jobs, %zu transitions, %zu events (%.0f writes/s); reader paged %lld\n",
         store_test::backend_name(), count, run_ms() / 1000.0, inserted.size(), transitions, events.size(),
         (inserted.size() + transitions) * 1000.0 / run_ms(), reader_seen);
}

static void test_threads_share_one_store(void**) {
  auto owned = store_test::open(store_test::fresh_location("store-threads"));
  Store& s = *owned;
  const int per_thread = 100;
  std::atomic<int> ready{0};
  std::atomic<int> wins[2] = {{0}, {0}};
  std::atomic<int> errors{0};
  std::atomic<bool> done{false};

  auto worker = [&](int t) {
    try {
      std::string prefix = t ? "b" : "a";
      for (int n = 0; n < per_thread; ++n) {
        std::string id = prefix + std::to_string(n);
        s.insert_job(make_job(id, "m", n));
        if (!s.transition(id, {XRUN_STATE_CREATED}, XRUN_STATE_QUEUED, {}, "queued")) ++errors;
      }
      ++ready;
      while (ready < 2) std::this_thread::yield();
      // Both threads now race to start every job; exactly one may win each.
      for (const auto& j : s.list_jobs("", XRUN_STATE_QUEUED, 0))
        if (s.transition(j.id, {XRUN_STATE_QUEUED}, XRUN_STATE_RUNNING, {}, "started")) ++wins[t];
    } catch (const std::exception& e) {
      fprintf(stderr, "thread %d: %s\n", t, e.what());
      ++errors;
    }
  };
  int64_t reader_seen = 0, last = 0;
  std::thread reader([&] {
    try {
      while (!done) {
        for (const auto& e : s.events_since(last, 0)) {
          if (e.seq != last + 1) ++errors;
          last = e.seq;
          ++reader_seen;
        }
      }
    } catch (const std::exception& e) {
      fprintf(stderr, "reader: %s\n", e.what());
      ++errors;
    }
  });
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  done = true;
  reader.join();

  assert_int_equal(errors.load(), 0);
  assert_int_equal(wins[0] + wins[1], 2 * per_thread);
  assert_int_equal(s.list_jobs("", XRUN_STATE_RUNNING, 0).size(), 2 * per_thread);
  assert_int_equal(s.last_event_seq(), 2 * per_thread * 3);  // created, queued, running
  assert_true(reader_seen <= s.last_event_seq());
}

int main(int argc, char** argv) {
  store_test::choose_backend(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_processes_share_one_store),
      cmocka_unit_test(test_threads_share_one_store),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
