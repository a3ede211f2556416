// The job store on both backends -- real SQLite files, and the real
// PostgreSQL of scripts/testbed-postgres.sh when run with "postgresql" --
// opening, schema versions, jobs, transitions, the event journal, leases
// and poll times; then what only one backend has (file modes; server
// errors and passwords).
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "store/pg_handle.h"
#include "store/pg_schema.h"
#include "store/schema.h"
#include "store/sqlite_store.h"
#include "store_test_util.h"
#include "util/clock.h"

using store_test::expect_error;
using store_test::fresh_db_path;
using store_test::fresh_location;
using store_test::on_postgres;
using store_test::open;
using store_test::make_job;
using xrun::JobRecord;
using xrun::JobUpdate;
using xrun::SqliteStore;
using xrun::Store;

static void test_create_open_reopen(void**) {
  const std::string location = fresh_location("store-open");
  {
    auto s = open(location);
    assert_string_equal(s->path().c_str(), location.c_str());
    assert_int_equal(s->schema_version(), Store::latest_schema_version());
    s->insert_job(make_job("J1", "local", 1000));
  }
  auto again = open(location);
  assert_int_equal(again->schema_version(), Store::latest_schema_version());
  auto j = again->get_job("J1");
  assert_true(j.has_value());
  assert_string_equal(j->machine.c_str(), "local");
  assert_int_equal(again->last_event_seq(), 1);
}

static void test_backends_number_schemas_alike(void**) {
  assert_int_equal(xrun::store::pg_migrations().back().version, xrun::store::migrations().back().version);
  assert_int_equal(xrun::store::pg_migrations().size(), xrun::store::migrations().size());
}

static void test_file_modes_are_private(void**) {
  const std::string path = fresh_db_path("store-mode");
  // Even a permissive umask must not make the job store readable by others.
  mode_t old = umask(0);
  {
    SqliteStore s(path);
    s.insert_job(make_job("J1", "local", 1));
    assert_int_equal(store_test::file_mode(path), 0600);
    // The WAL and shared-memory files exist while a connection is open.
    assert_int_equal(store_test::file_mode(path + "-wal"), 0600);
    assert_int_equal(store_test::file_mode(path + "-shm"), 0600);
  }
  umask(old);
}

static void test_loose_sidecar_files_are_tightened(void**) {
  const std::string path = fresh_db_path("store-sidecar");
  { SqliteStore s(path); }
  // A stale -shm left behind world-readable (by an older tool, say). It
  // must be non-empty: SQLite itself fixes the mode of empty files only.
  std::string shm = path + "-shm";
  xrun_test_write_file(shm.c_str(), "stale shared-memory index");
  chmod(shm.c_str(), 0644);
  SqliteStore s(path);
  assert_int_equal(store_test::file_mode(shm), 0600);
}

static void test_missing_directory_is_an_error(void**) {
  const std::string path = std::string(xrun_test_tempdir("store-nodir")) + "/missing/jobs.db";
  std::string msg = expect_error(XRUN_E_STORE, [&] { SqliteStore s(path); });
  assert_non_null(strstr(msg.c_str(), path.c_str()));
}

static void test_migrates_an_empty_file(void**) {
  const std::string path = fresh_db_path("store-empty");
  xrun_test_write_file(path.c_str(), "");  // zero bytes: version 0
  {
    SqliteStore s(path);
    assert_int_equal(s.schema_version(), Store::latest_schema_version());
  }
  // Every table of the schema exists and the version is recorded.
  assert_int_equal(store_test::raw_exec(path, "SELECT count(*) FROM jobs, events, leases, polls"), SQLITE_OK);
  assert_int_equal(store_test::raw_exec(path, "SELECT state_name FROM jobs_named"), SQLITE_OK);
  assert_int_equal(store_test::raw_query_int(path, "PRAGMA user_version"), Store::latest_schema_version());
}

static void test_refuses_a_newer_schema(void**) {
  const std::string path = fresh_location("store-newer");
  { open(path); }
  const int newer = Store::latest_schema_version() + 3;
  std::string sql = (on_postgres() ? "UPDATE xrun_schema SET version = " : "PRAGMA user_version = ") +
                    std::to_string(newer);
  assert_true(store_test::raw_sql_ok(path, sql));
  std::string msg = expect_error(XRUN_E_STORE, [&] { open(path); });
  std::string expected = path + ": schema version " + std::to_string(newer) +
                         " is newer than this xrun supports (" +
                         std::to_string(Store::latest_schema_version()) + ")";
  assert_string_equal(msg.c_str(), expected.c_str());
}

static void test_refuses_a_file_that_is_not_a_database(void**) {
  const std::string path = fresh_db_path("store-notdb");
  xrun_test_write_file(path.c_str(), "this is a text file, not SQLite, and long enough to have a header......\n");
  std::string msg = expect_error(XRUN_E_STORE, [&] { SqliteStore s(path); });
  assert_non_null(strstr(msg.c_str(), path.c_str()));
  assert_non_null(strstr(msg.c_str(), "not a database"));
}

static void test_insert_get_roundtrip(void**) {
  auto owned = open(fresh_location("store-roundtrip"));
  Store& s = *owned;
  JobRecord j = make_job("J1", "cluster", 1234);
  j.scheduler_id = "";
  j.reason = "";
  j.result_json = "";
  j.attempts = 0;
  s.insert_job(j);
  auto got = s.get_job("J1");
  assert_true(got.has_value());
  assert_string_equal(got->id.c_str(), "J1");
  assert_string_equal(got->name.c_str(), "name-J1");
  assert_string_equal(got->spec_json.c_str(), "{\"command\":\"true\"}");
  assert_string_equal(got->job_dir.c_str(), "/scratch/J1");
  assert_int_equal(got->state, XRUN_STATE_CREATED);
  assert_int_equal(got->created_ms, 1234);
  assert_true(got->updated_ms > 0);  // 0 meant "now"
  assert_false(got->exit_code.has_value());
  assert_false(got->submitted_ms.has_value());
  assert_false(s.get_job("nope").has_value());

  // A duplicate id is refused and leaves no second 'created' event.
  expect_error(XRUN_E_STORE, [&] { s.insert_job(j); });
  assert_int_equal(s.events_since(0, 0).size(), 1);
  auto ev = s.events_since(0, 0)[0];
  assert_string_equal(ev.job_id.c_str(), "J1");
  assert_int_equal(ev.state, XRUN_STATE_CREATED);
  assert_string_equal(ev.message.c_str(), "created");
}

static void test_list_with_filters(void**) {
  auto owned = open(fresh_location("store-list"));
  Store& s = *owned;
  s.insert_job(make_job("A", "m1", 100));
  s.insert_job(make_job("B", "m2", 200));
  s.insert_job(make_job("C", "m1", 300));
  s.insert_job(make_job("D", "m1", 300));  // same time: id breaks the tie
  assert_true(s.transition("C", {}, XRUN_STATE_SUBMITTING, {}, ""));

  auto all = s.list_jobs("", -1, 0);
  assert_int_equal(all.size(), 4);
  assert_string_equal(all[0].id.c_str(), "D");
  assert_string_equal(all[1].id.c_str(), "C");
  assert_string_equal(all[2].id.c_str(), "B");
  assert_string_equal(all[3].id.c_str(), "A");

  auto m1 = s.list_jobs("m1", -1, 0);
  assert_int_equal(m1.size(), 3);
  for (auto& j : m1) assert_string_equal(j.machine.c_str(), "m1");

  auto created_m1 = s.list_jobs("m1", XRUN_STATE_CREATED, 0);
  assert_int_equal(created_m1.size(), 2);
  assert_string_equal(created_m1[0].id.c_str(), "D");
  assert_string_equal(created_m1[1].id.c_str(), "A");

  auto limited = s.list_jobs("", -1, 2);
  assert_int_equal(limited.size(), 2);
  assert_string_equal(limited[1].id.c_str(), "C");
  assert_int_equal(s.list_jobs("nowhere", -1, 0).size(), 0);
}

static void test_active_and_unsent(void**) {
  auto owned = open(fresh_location("store-active"));
  Store& s = *owned;
  const xrun_state states[] = {XRUN_STATE_CREATED, XRUN_STATE_SUBMITTING, XRUN_STATE_SUBMITTED,
                               XRUN_STATE_QUEUED,  XRUN_STATE_HELD,       XRUN_STATE_RUNNING,
                               XRUN_STATE_COMPLETED, XRUN_STATE_LOST};
  int n = 0;
  for (xrun_state st : states) {
    std::string id = "J" + std::to_string(n);
    // Insert newest first so that "oldest first" is not just insertion order.
    s.insert_job(make_job(id, n % 2 ? "odd" : "even", 1000 - n));
    assert_true(s.transition(id, {}, st, {}, ""));
    ++n;
  }
  auto active = s.active_jobs("");
  assert_int_equal(active.size(), 4);
  const char* expected[] = {"J5", "J4", "J3", "J2"};
  for (int i = 0; i < 4; ++i) assert_string_equal(active[i].id.c_str(), expected[i]);
  auto odd = s.active_jobs("odd");
  assert_int_equal(odd.size(), 2);  // J3 queued, J5 running
  assert_string_equal(odd[0].id.c_str(), "J5");
  assert_string_equal(odd[1].id.c_str(), "J3");

  auto unsent = s.unsent_jobs();
  assert_int_equal(unsent.size(), 2);
  assert_string_equal(unsent[0].id.c_str(), "J1");
  assert_string_equal(unsent[1].id.c_str(), "J0");
}

static void test_transition_rules(void**) {
  auto owned = open(fresh_location("store-transition"));
  Store& s = *owned;
  s.insert_job(make_job("J", "m", 1));
  const int64_t base = s.last_event_seq();

  // Refused: the job is CREATED, not RUNNING. Nothing changes.
  JobUpdate ended;
  ended.exit_code = 0;
  assert_false(s.transition("J", {XRUN_STATE_RUNNING}, XRUN_STATE_COMPLETED, ended, "done"));
  assert_int_equal(s.get_job("J")->state, XRUN_STATE_CREATED);
  assert_false(s.get_job("J")->exit_code.has_value());
  assert_int_equal(s.last_event_seq(), base);

  // Allowed: state, fields and one event, atomically.
  JobUpdate sent;
  sent.scheduler_id = "4242";
  sent.submitted_ms = 5000;
  sent.bump_attempts = true;
  assert_true(s.transition("J", {XRUN_STATE_CREATED, XRUN_STATE_SUBMITTING}, XRUN_STATE_SUBMITTED, sent,
                           "sbatch accepted"));
  auto j = s.get_job("J");
  assert_int_equal(j->state, XRUN_STATE_SUBMITTED);
  assert_string_equal(j->scheduler_id.c_str(), "4242");
  assert_int_equal(*j->submitted_ms, 5000);
  assert_int_equal(j->attempts, 1);
  auto ev = s.events_since(base, 0);
  assert_int_equal(ev.size(), 1);
  assert_int_equal(ev[0].state, XRUN_STATE_SUBMITTED);
  assert_string_equal(ev[0].message.c_str(), "sbatch accepted");
  assert_string_equal(ev[0].job_id.c_str(), "J");
  assert_true(ev[0].time_ms > 0);
  assert_false(ev[0].reason_only);  // the state changed

  // Same state, same (empty) reason: fields only, no event.
  JobUpdate dir;
  dir.job_dir = "/new/dir";
  assert_true(s.transition("J", {XRUN_STATE_SUBMITTED}, XRUN_STATE_SUBMITTED, dir, "refresh"));
  assert_string_equal(s.get_job("J")->job_dir.c_str(), "/new/dir");
  assert_int_equal(s.last_event_seq(), ev[0].seq);

  // Same state, new reason: one event carrying it.
  JobUpdate why;
  why.reason = "Priority";
  assert_true(s.transition("J", {}, XRUN_STATE_SUBMITTED, why, ""));
  ev = s.events_since(ev[0].seq, 0);
  assert_int_equal(ev.size(), 1);
  assert_int_equal(ev[0].state, XRUN_STATE_SUBMITTED);
  assert_string_equal(ev[0].message.c_str(), "Priority");
  assert_true(ev[0].reason_only);  // same state as the job's previous event
  // Read again with the earlier events, and as a page of its own.
  bool seen = false;
  for (const auto& e : s.events_since(0, 0))
    if (e.job_id == "J") {
      assert_int_equal(e.reason_only, e.seq == ev[0].seq);
      seen = seen || e.seq == ev[0].seq;
    }
  assert_true(seen);
  // ...and the same reason again adds nothing.
  assert_true(s.transition("J", {}, XRUN_STATE_SUBMITTED, why, ""));
  assert_int_equal(s.last_event_seq(), ev[0].seq);

  // update(): fields without state or event.
  JobUpdate result;
  result.result_json = "{\"energy\":-1.5}";
  s.update("J", result);
  assert_string_equal(s.get_job("J")->result_json.c_str(), "{\"energy\":-1.5}");
  assert_int_equal(s.get_job("J")->state, XRUN_STATE_SUBMITTED);
  assert_int_equal(s.last_event_seq(), ev[0].seq);

  expect_error(XRUN_E_NOT_FOUND, [&] { s.transition("ghost", {}, XRUN_STATE_RUNNING, {}, ""); });
  expect_error(XRUN_E_NOT_FOUND, [&] { s.update("ghost", result); });
}

static void test_events_paging(void**) {
  auto owned = open(fresh_location("store-events"));
  Store& s = *owned;
  assert_int_equal(s.last_event_seq(), 0);
  assert_int_equal(s.events_since(0, 10).size(), 0);
  for (int i = 0; i < 10; ++i) {
    std::string id = "J" + std::to_string(i);
    s.insert_job(make_job(id, "m", i));
    s.transition(id, {}, XRUN_STATE_SUBMITTING, {}, "sending");
  }
  // 20 events read 7 at a time: all of them, once each, in order.
  int64_t after = 0;
  int seen = 0, pages = 0;
  for (;;) {
    auto page = s.events_since(after, 7);
    if (page.empty()) break;
    assert_true(page.size() <= 7);
    for (auto& e : page) {
      assert_int_equal(e.seq, after + 1);
      after = e.seq;
      ++seen;
    }
    ++pages;
  }
  assert_int_equal(seen, 20);
  assert_int_equal(pages, 3);
  assert_int_equal(after, s.last_event_seq());
}

static void test_events_are_append_only(void**) {
  const std::string path = fresh_location("store-append");
  open(path)->insert_job(make_job("J", "m", 1));
  assert_false(store_test::raw_sql_ok(path, "UPDATE events SET message = 'rewritten'"));
  assert_string_equal(open(path)->events_since(0, 0)[0].message.c_str(), "created");
}

static void test_leases(void**) {
  auto owned = open(fresh_location("store-lease"));
  Store& s = *owned;
  assert_true(s.acquire_lease("poll:h:u", "A", 60000));
  assert_true(s.acquire_lease("poll:h:u", "A", 60000));   // renewed
  assert_false(s.acquire_lease("poll:h:u", "B", 60000));  // held by A
  assert_true(s.acquire_lease("other", "B", 60000));      // leases are per name

  s.release_lease("poll:h:u", "B");                       // not B's: no effect
  assert_false(s.acquire_lease("poll:h:u", "B", 60000));
  s.release_lease("poll:h:u", "A");
  assert_true(s.acquire_lease("poll:h:u", "B", 50));       // free again

  // B's short lease runs out: A takes over, and then B is the one refused.
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  assert_true(s.acquire_lease("poll:h:u", "A", 60000));
  assert_false(s.acquire_lease("poll:h:u", "B", 60000));
}

static void test_poll_times(void**) {
  const std::string path = fresh_location("store-poll");
  {
    auto s = open(path);
    assert_int_equal(s->last_poll_ms("slurm:h"), 0);
    s->set_last_poll_ms("slurm:h", 1700000000123);
    s->set_last_poll_ms("slurm:h", 1700000000456);
    s->set_last_poll_ms("pbs:h", 5);
  }
  auto other = open(path);  // another process would see the same
  assert_int_equal(other->last_poll_ms("slurm:h"), 1700000000456);
  assert_int_equal(other->last_poll_ms("pbs:h"), 5);
}

// Issue 11 #6: a 100 MB scheduler message became a reason and an event.
static void test_reasons_and_messages_are_capped(void**) {
  const std::string location = fresh_location("store-cap");
  auto owned = open(location);
  Store& s = *owned;
  s.insert_job(make_job("J1", "m", 1));
  const std::string huge(10 * 1024 * 1024, 'x');
  JobUpdate u;
  u.reason = huge;
  assert_true(s.transition("J1", {}, XRUN_STATE_SUBMITTING, u, huge));
  auto j = s.get_job("J1");
  assert_true(j->reason.size() <= xrun::kMaxReasonBytes + 40);
  assert_non_null(strstr(j->reason.c_str(), "bytes cut]"));
  auto events = s.events_since(0, 0);
  for (const auto& e : events) assert_true(e.message.size() <= xrun::kMaxReasonBytes + 40);
  // The same long reason again is no change (compared capped): no new event.
  int64_t seq = s.last_event_seq();
  assert_true(s.transition("J1", {}, XRUN_STATE_SUBMITTING, u, huge));
  assert_int_equal(s.last_event_seq(), seq);
  if (!on_postgres()) {
    struct stat st;
    assert_int_equal(stat(location.c_str(), &st), 0);
    assert_true(st.st_size < 1024 * 1024);
  }
}

// Schema 2's columns: what a waiting job waits for and how its sends went.
static void test_waiting_columns_roundtrip(void**) {
  auto owned = open(fresh_location("store-waiting"));
  Store& s = *owned;
  JobRecord r = make_job("W1", "m", 5);
  r.state = XRUN_STATE_WAITING;
  r.waiting_for = xrun::WaitingFor::Deferred;
  s.insert_job(r);
  auto j = s.get_job("W1");
  assert_int_equal(j->state, XRUN_STATE_WAITING);
  assert_true(j->waiting_for == xrun::WaitingFor::Deferred);
  assert_int_equal(j->attempts, 0);
  assert_int_equal(j->next_try_ms, 0);
  JobUpdate u;
  u.waiting_for = xrun::WaitingFor::Connection;
  u.last_error = "connection refused";
  u.next_try_ms = 1700000000999;
  u.bump_attempts = true;
  assert_true(s.transition("W1", {XRUN_STATE_WAITING}, XRUN_STATE_WAITING, u, ""));
  j = s.get_job("W1");
  assert_true(j->waiting_for == xrun::WaitingFor::Connection);
  assert_string_equal(j->last_error.c_str(), "connection refused");
  assert_int_equal(j->next_try_ms, 1700000000999);
  assert_int_equal(j->attempts, 1);
  JobUpdate clear;
  clear.waiting_for = xrun::WaitingFor::Nothing;
  assert_true(s.transition("W1", {XRUN_STATE_WAITING}, XRUN_STATE_SUBMITTING, clear, "sending"));
  assert_true(s.get_job("W1")->waiting_for == xrun::WaitingFor::Nothing);
}

// Schema 3's columns (caching): the source of a hash is the newest
// completed job with it that ran itself; failed jobs and cached copies are
// never sources, and a pruned source is gone.
static void test_cache_source(void**) {
  auto owned = open(fresh_location("store-cache"));
  Store& s = *owned;
  const std::string hash(64, 'a');
  assert_false(s.cache_source(hash).has_value());
  assert_false(s.cache_source("").has_value());
  auto add = [&](const char* id, xrun_state state, int64_t ended, const char* from) {
    JobRecord r = make_job(id, "m", ended);
    r.content_hash = hash;
    r.cached_from = from;
    s.insert_job(r);
    JobUpdate u;
    u.ended_ms = ended;
    assert_true(s.transition(id, {}, state, u, ""));
  };
  add("F1", XRUN_STATE_FAILED, 10, "");
  assert_false(s.cache_source(hash).has_value());
  add("C1", XRUN_STATE_COMPLETED, 20, "");
  add("C2", XRUN_STATE_COMPLETED, 30, "");
  add("K1", XRUN_STATE_COMPLETED, 40, "C2");  // a cached copy
  auto source = s.cache_source(hash);
  assert_true(source.has_value());
  assert_string_equal(source->id.c_str(), "C2");
  auto copy = s.get_job("K1");
  assert_string_equal(copy->cached_from.c_str(), "C2");
  assert_string_equal(copy->content_hash.c_str(), hash.c_str());
  assert_false(s.cache_source(std::string(64, 'b')).has_value());
  // Pruning what ended before 35 takes C1 and C2 (and F1): K1 alone is no source.
  s.prune_jobs({XRUN_STATE_COMPLETED, XRUN_STATE_FAILED}, 35);
  assert_false(s.cache_source(hash).has_value());
}

static void test_insert_jobs_in_one_go(void**) {
  auto owned = open(fresh_location("store-batch"));
  Store& s = *owned;
  std::vector<JobRecord> jobs;
  for (int i = 0; i < 50; ++i) jobs.push_back(make_job("B" + std::to_string(100 + i), "m", 10 + i));
  s.insert_jobs(jobs);
  assert_int_equal(s.job_count(), 50);
  assert_int_equal(s.last_event_seq(), 50);
  // One duplicate refuses the whole batch: nothing of it is recorded.
  std::vector<JobRecord> again = {make_job("C1", "m", 1), make_job("B100", "m", 1)};
  expect_error(XRUN_E_STORE, [&] { s.insert_jobs(again); });
  assert_false(s.get_job("C1").has_value());
  assert_int_equal(s.last_event_seq(), 50);
  s.insert_jobs({});
  assert_int_equal(s.job_count(), 50);
}

static void test_waiting_jobs_and_machines_with_work(void**) {
  auto owned = open(fresh_location("store-work"));
  Store& s = *owned;
  auto add = [&](const std::string& id, const std::string& machine, xrun_state state, int64_t created) {
    JobRecord r = make_job(id, machine, created);
    r.state = state;
    if (state == XRUN_STATE_WAITING) r.waiting_for = xrun::WaitingFor::Room;
    s.insert_job(r);
  };
  add("A", "alpha", XRUN_STATE_WAITING, 3);
  add("B", "alpha", XRUN_STATE_WAITING, 1);
  add("C", "beta", XRUN_STATE_RUNNING, 2);
  add("D", "gamma", XRUN_STATE_COMPLETED, 4);
  add("E", "delta", XRUN_STATE_CREATED, 5);
  add("F", "beta", XRUN_STATE_WAITING, 6);
  auto waiting = s.waiting_jobs("");
  assert_int_equal(waiting.size(), 3);
  assert_string_equal(waiting[0].id.c_str(), "B");  // oldest first
  assert_string_equal(waiting[1].id.c_str(), "A");
  assert_int_equal(s.waiting_jobs("alpha").size(), 2);
  assert_int_equal(s.waiting_jobs("gamma").size(), 0);
  auto machines = s.machines_with_work();
  assert_int_equal(machines.size(), 2);
  assert_string_equal(machines[0].c_str(), "alpha");
  assert_string_equal(machines[1].c_str(), "beta");
}

// Deletes only jobs never sent (created), with their events; in parts, so
// an array's thousands of tasks fit.
static void test_delete_unsent_jobs(void**) {
  auto owned = open(fresh_location("store-delete-unsent"));
  Store& s = *owned;
  std::vector<JobRecord> tasks;
  std::vector<std::string> ids;
  for (int i = 0; i < 1200; ++i) {
    tasks.push_back(make_job("T" + std::to_string(10000 + i), "m", 10));
    ids.push_back(tasks.back().id);
  }
  s.insert_jobs(tasks);
  assert_true(s.transition("T10000", {}, XRUN_STATE_SUBMITTING, {}, "submitting"));
  ids.push_back("NO-SUCH-JOB");
  assert_int_equal(s.delete_unsent_jobs(ids), 1199);
  assert_int_equal(s.job_count(), 1);
  assert_true(s.get_job("T10000").has_value());  // no longer created: kept
  for (const auto& e : s.events_since(0, 0)) assert_string_equal(e.job_id.c_str(), "T10000");
  assert_int_equal(s.delete_unsent_jobs({}), 0);
}

static void test_prune_jobs(void**) {
  auto owned = open(fresh_location("store-prune"));
  Store& s = *owned;
  for (const char* id : {"P1", "P2", "P3"}) s.insert_job(make_job(id, "m", 1));
  JobUpdate old_end;
  old_end.ended_ms = 1000;
  assert_true(s.transition("P1", {}, XRUN_STATE_COMPLETED, old_end, "done"));
  assert_true(s.transition("P2", {}, XRUN_STATE_FAILED, old_end, "failed"));
  JobUpdate new_end;
  new_end.ended_ms = 5000;
  assert_true(s.transition("P3", {}, XRUN_STATE_COMPLETED, new_end, "done"));
  const int64_t last = s.last_event_seq();
  auto counts = s.prune_jobs({XRUN_STATE_COMPLETED}, 2000);
  assert_int_equal(counts.jobs, 1);
  assert_int_equal(counts.events, 2);
  assert_false(s.get_job("P1").has_value());
  assert_true(s.get_job("P2").has_value());  // not in the states asked
  assert_true(s.get_job("P3").has_value());  // ended after before_ms
  assert_int_equal(s.prune_jobs({}, 999999).jobs, 0);
  // Numbers are never reused: the next event follows the last one.
  assert_true(s.transition("P3", {}, XRUN_STATE_FAILED, {}, "late"));
  assert_int_equal(s.last_event_seq(), last + 1);
  for (const auto& e : s.events_since(0, 0)) assert_string_not_equal(e.job_id.c_str(), "P1");
}

// A read-only store reads, refuses every write, and never creates a store.
static void test_read_only_mode(void**) {
  const std::string location = fresh_location("store-ro");
  if (!on_postgres()) {
    expect_error(XRUN_E_NOT_FOUND, [&] { xrun::open_store(location, Store::Mode::ReadOnly); });
  } else {
    std::string msg = expect_error(XRUN_E_NOT_FOUND, [&] { xrun::open_store(location, Store::Mode::ReadOnly); });
    assert_non_null(strstr(msg.c_str(), "no job store here"));
  }
  { open(location)->insert_job(make_job("R1", "m", 1)); }
  auto ro = xrun::open_store(location, Store::Mode::ReadOnly);
  assert_int_equal(ro->schema_version(), Store::latest_schema_version());
  assert_true(ro->get_job("R1").has_value());
  assert_int_equal(ro->events_since(0, 0).size(), 1);
  expect_error(XRUN_E_STORE, [&] { ro->insert_job(make_job("R2", "m", 2)); });
  expect_error(XRUN_E_STORE, [&] { ro->transition("R1", {}, XRUN_STATE_SUBMITTING, {}, "x"); });
  assert_int_equal(ro->get_job("R1")->state, XRUN_STATE_CREATED);
  // A writer beside it: the reader sees its commits.
  auto rw = open(location);
  assert_true(rw->transition("R1", {}, XRUN_STATE_SUBMITTING, {}, "sending"));
  assert_int_equal(ro->get_job("R1")->state, XRUN_STATE_SUBMITTING);
  // A store whose schema needs migrating is refused read-only.
  std::string sql = (on_postgres() ? "UPDATE xrun_schema SET version = 1" : "PRAGMA user_version = 1");
  assert_true(store_test::raw_sql_ok(location, sql));
  std::string msg = expect_error(XRUN_E_STORE, [&] { xrun::open_store(location, Store::Mode::ReadOnly); });
  assert_non_null(strstr(msg.c_str(), "open the store for writing once to migrate it"));
}

// Another connection's commit is noticed without re-reading: SQLite's
// data_version changes at once; PostgreSQL's notification arrives on the
// listening connection and calls the write listener (what wakes
// xrun_events_wait on another host).
static void test_other_connections_commits_are_noticed(void**) {
  const std::string location = fresh_location("store-notice");
  auto follower = open(location);
  std::atomic<int> calls{0};
  follower->set_write_listener([&calls] { calls.fetch_add(1); });
  const int64_t before = follower->data_version();  // PostgreSQL: starts listening
  auto writer = open(location);
  const int64_t start = xrun::monotonic_ms();
  writer->insert_job(make_job("N1", "m", 1));
  if (!on_postgres()) {
    assert_int_not_equal(follower->data_version(), before);
    return;
  }
  while (calls.load() == 0 && xrun::monotonic_ms() - start < 5000)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const int64_t took = xrun::monotonic_ms() - start;
  printf("# notification after %lld ms\n", static_cast<long long>(took));
  assert_true(calls.load() > 0);
  assert_int_not_equal(follower->data_version(), before);
  assert_true(took < 1000);  // typically a few ms; loose for a loaded CI host
  assert_int_equal(follower->last_event_seq(), 1);
}

// ---- PostgreSQL only ------------------------------------------------------

static std::string with_user_info(const std::string& url, const std::string& user_info) {
  // postgresql://xrun@host:port/db -> postgresql://<user_info>@host:port/db
  size_t at = url.find('@');
  return "postgresql://" + user_info + url.substr(at);
}

static void test_pg_migrates_an_empty_database(void**) {
  const std::string url = fresh_location("pg-empty");
  assert_int_equal(open(url)->schema_version(), Store::latest_schema_version());
  assert_true(store_test::raw_sql_ok(url, "SELECT count(*) FROM jobs, events, leases, polls, event_counter"));
  assert_true(store_test::raw_sql_ok(url, "SELECT state_name FROM jobs_named"));
  assert_true(store_test::raw_sql_ok(
      url, "DO $$ BEGIN IF (SELECT version FROM xrun_schema) <> " + std::to_string(Store::latest_schema_version()) +
               " THEN RAISE EXCEPTION 'wrong version'; END IF; END $$"));
  // A second open finds it current and changes nothing.
  assert_int_equal(open(url)->schema_version(), Store::latest_schema_version());
}

static void test_pg_unreachable_server(void**) {
  // Port 1 on loopback: nothing listens there.
  std::string msg = expect_error(XRUN_E_STORE, [] { open("postgresql://xrun@127.0.0.1:1/xrun?connect_timeout=5"); });
  assert_non_null(strstr(msg.c_str(), "postgresql://xrun@127.0.0.1:1/xrun: cannot connect to the PostgreSQL server"));
}

static void test_pg_credentials_refused_without_echoing_the_password(void**) {
  const std::string url = with_user_info(fresh_location("pg-badpw"), "xrun:not-the-Secret-42");
  std::string msg = expect_error(XRUN_E_STORE, [&] { open(url); });
  assert_non_null(strstr(msg.c_str(), "cannot connect to the PostgreSQL server"));
  assert_non_null(strstr(msg.c_str(), "password authentication failed"));
  assert_null(strstr(msg.c_str(), "not-the-Secret-42"));
}

static void test_pg_missing_password_says_where_to_put_it(void**) {
  const std::string url = fresh_location("pg-nopw");
  std::string saved = getenv("PGPASSFILE");
  setenv("PGPASSFILE", "/nonexistent/pgpass", 1);
  std::string msg = expect_error(XRUN_E_STORE, [&] { open(url); });
  setenv("PGPASSFILE", saved.c_str(), 1);
  assert_non_null(strstr(msg.c_str(), "~/.pgpass"));
}

static void test_pg_password_in_url_works_and_is_never_shown(void**) {
  const std::string password = store_test::env_or_die("TESTBED_PG_PASSWORD");
  const std::string plain = fresh_location("pg-urlpw");
  std::string saved = getenv("PGPASSFILE");
  setenv("PGPASSFILE", "/nonexistent/pgpass", 1);  // only the URL knows it
  {
    auto s = open(with_user_info(plain, "xrun:" + password));
    assert_string_equal(s->path().c_str(), plain.c_str());
    s->insert_job(make_job("J", "m", 1));
    std::string msg = expect_error(XRUN_E_NOT_FOUND, [&] { s->update("ghost", {}); });
    assert_null(strstr(msg.c_str(), password.c_str()));
  }
  // ...and in the key=value form of a query parameter.
  auto s = open(plain + "&password=" + password);
  assert_string_equal(s->path().c_str(), plain.c_str());
  assert_true(s->get_job("J").has_value());
  setenv("PGPASSFILE", saved.c_str(), 1);
}

static void test_pg_reconnects_after_the_server_drops_it(void**) {
  // Named, so that only this store's connection is dropped.
  const std::string url = fresh_location("pg-drop") + "&application_name=xrun_drop_test";
  auto s = open(url);
  s->insert_job(make_job("J", "m", 1));
  assert_true(store_test::raw_sql_ok(store_test::env_or_die("TESTBED_PG_ADMIN_URL"),
                                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE application_name = 'xrun_drop_test'"));
  // Reads and transactions run again on a new connection.
  assert_true(s->get_job("J").has_value());
  assert_true(s->transition("J", {XRUN_STATE_CREATED}, XRUN_STATE_SUBMITTING, {}, "after reconnect"));
  assert_int_equal(s->last_event_seq(), 2);
}

// ---- Both (no server needed) ----------------------------------------------

static void test_passwords_are_redacted_from_messages(void**) {
  using xrun::store::redact_password;
  assert_string_equal(redact_password("postgresql://u:s3cr@t@h:5/db").c_str(), "postgresql://u:***@h:5/db");
  assert_string_equal(redact_password("postgres://u@h/db?sslmode=require&password=x1&a=b").c_str(),
                      "postgres://u@h/db?sslmode=require&password=***&a=b");
  assert_string_equal(redact_password("host=h password='a b' user=u").c_str(), "host=h password=*** user=u");
  assert_string_equal(redact_password("failed for user \"u\"").c_str(), "failed for user \"u\"");
}

int main(int argc, char** argv) {
  store_test::choose_backend(argc, argv);
  const struct CMUnitTest both[] = {
      cmocka_unit_test(test_create_open_reopen),
      cmocka_unit_test(test_backends_number_schemas_alike),
      cmocka_unit_test(test_refuses_a_newer_schema),
      cmocka_unit_test(test_insert_get_roundtrip),
      cmocka_unit_test(test_list_with_filters),
      cmocka_unit_test(test_active_and_unsent),
      cmocka_unit_test(test_transition_rules),
      cmocka_unit_test(test_events_paging),
      cmocka_unit_test(test_events_are_append_only),
      cmocka_unit_test(test_leases),
      cmocka_unit_test(test_poll_times),
      cmocka_unit_test(test_passwords_are_redacted_from_messages),
      cmocka_unit_test(test_reasons_and_messages_are_capped),
      cmocka_unit_test(test_waiting_columns_roundtrip),
      cmocka_unit_test(test_insert_jobs_in_one_go),
      cmocka_unit_test(test_cache_source),
      cmocka_unit_test(test_waiting_jobs_and_machines_with_work),
      cmocka_unit_test(test_prune_jobs),
      cmocka_unit_test(test_delete_unsent_jobs),
      cmocka_unit_test(test_read_only_mode),
      cmocka_unit_test(test_other_connections_commits_are_noticed),
  };
  const struct CMUnitTest sqlite_only[] = {
      cmocka_unit_test(test_file_modes_are_private),
      cmocka_unit_test(test_loose_sidecar_files_are_tightened),
      cmocka_unit_test(test_missing_directory_is_an_error),
      cmocka_unit_test(test_migrates_an_empty_file),
      cmocka_unit_test(test_refuses_a_file_that_is_not_a_database),
  };
  const struct CMUnitTest postgres_only[] = {
      cmocka_unit_test(test_pg_migrates_an_empty_database),
      cmocka_unit_test(test_pg_unreachable_server),
      cmocka_unit_test(test_pg_credentials_refused_without_echoing_the_password),
      cmocka_unit_test(test_pg_missing_password_says_where_to_put_it),
      cmocka_unit_test(test_pg_password_in_url_works_and_is_never_shown),
      cmocka_unit_test(test_pg_reconnects_after_the_server_drops_it),
  };
  int failed = cmocka_run_group_tests_name("store (both backends)", both, nullptr, nullptr);
  if (on_postgres())
    failed += cmocka_run_group_tests_name("store (postgresql)", postgres_only, nullptr, nullptr);
  else
    failed += cmocka_run_group_tests_name("store (sqlite)", sqlite_only, nullptr, nullptr);
  return failed;
}
