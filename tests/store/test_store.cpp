// The job store on real SQLite files: opening, schema versions, jobs,
// transitions, the event journal, leases and poll times.
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "store_test_util.h"

using store_test::expect_error;
using store_test::fresh_db_path;
using store_test::make_job;
using xrun::JobRecord;
using xrun::JobUpdate;
using xrun::Store;

static void test_create_open_reopen(void**) {
  const std::string path = fresh_db_path("store-open");
  {
    Store s(path);
    assert_string_equal(s.path().c_str(), path.c_str());
    assert_int_equal(s.schema_version(), Store::latest_schema_version());
    s.insert_job(make_job("J1", "local", 1000));
  }
  Store again(path);
  assert_int_equal(again.schema_version(), Store::latest_schema_version());
  auto j = again.get_job("J1");
  assert_true(j.has_value());
  assert_string_equal(j->machine.c_str(), "local");
  assert_int_equal(again.last_event_seq(), 1);
}

static void test_file_modes_are_private(void**) {
  const std::string path = fresh_db_path("store-mode");
  // Even a permissive umask must not make the job store readable by others.
  mode_t old = umask(0);
  {
    Store s(path);
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
  { Store s(path); }
  // A stale -shm left behind world-readable (by an older tool, say). It
  // must be non-empty: SQLite itself fixes the mode of empty files only.
  std::string shm = path + "-shm";
  xrun_test_write_file(shm.c_str(), "stale shared-memory index");
  chmod(shm.c_str(), 0644);
  Store s(path);
  assert_int_equal(store_test::file_mode(shm), 0600);
}

static void test_missing_directory_is_an_error(void**) {
  const std::string path = std::string(xrun_test_tempdir("store-nodir")) + "/missing/jobs.db";
  std::string msg = expect_error(XRUN_E_STORE, [&] { Store s(path); });
  assert_non_null(strstr(msg.c_str(), path.c_str()));
}

static void test_migrates_an_empty_file(void**) {
  const std::string path = fresh_db_path("store-empty");
  xrun_test_write_file(path.c_str(), "");  // zero bytes: version 0
  {
    Store s(path);
    assert_int_equal(s.schema_version(), Store::latest_schema_version());
  }
  // Every table of the schema exists and the version is recorded.
  assert_int_equal(store_test::raw_exec(path, "SELECT count(*) FROM jobs, events, leases, polls"), SQLITE_OK);
  assert_int_equal(store_test::raw_exec(path, "SELECT state_name FROM jobs_named"), SQLITE_OK);
  assert_int_equal(store_test::raw_query_int(path, "PRAGMA user_version"), Store::latest_schema_version());
}

static void test_refuses_a_newer_schema(void**) {
  const std::string path = fresh_db_path("store-newer");
  { Store s(path); }
  const int newer = Store::latest_schema_version() + 3;
  std::string sql = "PRAGMA user_version = " + std::to_string(newer);
  assert_int_equal(store_test::raw_exec(path, sql.c_str()), SQLITE_OK);
  std::string msg = expect_error(XRUN_E_STORE, [&] { Store s(path); });
  std::string expected = path + ": schema version " + std::to_string(newer) +
                         " is newer than this xrun supports (" +
                         std::to_string(Store::latest_schema_version()) + ")";
  assert_string_equal(msg.c_str(), expected.c_str());
}

static void test_refuses_a_file_that_is_not_a_database(void**) {
  const std::string path = fresh_db_path("store-notdb");
  xrun_test_write_file(path.c_str(), "this is a text file, not SQLite, and long enough to have a header......\n");
  std::string msg = expect_error(XRUN_E_STORE, [&] { Store s(path); });
  assert_non_null(strstr(msg.c_str(), path.c_str()));
  assert_non_null(strstr(msg.c_str(), "not a database"));
}

static void test_insert_get_roundtrip(void**) {
  Store s(fresh_db_path("store-roundtrip"));
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
  Store s(fresh_db_path("store-list"));
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
  Store s(fresh_db_path("store-active"));
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
  Store s(fresh_db_path("store-transition"));
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
  Store s(fresh_db_path("store-events"));
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
  const std::string path = fresh_db_path("store-append");
  {
    Store s(path);
    s.insert_job(make_job("J", "m", 1));
  }
  assert_int_not_equal(store_test::raw_exec(path, "UPDATE events SET message = 'rewritten'"), SQLITE_OK);
  Store s(path);
  assert_string_equal(s.events_since(0, 0)[0].message.c_str(), "created");
}

static void test_leases(void**) {
  Store s(fresh_db_path("store-lease"));
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
  const std::string path = fresh_db_path("store-poll");
  {
    Store s(path);
    assert_int_equal(s.last_poll_ms("slurm:h"), 0);
    s.set_last_poll_ms("slurm:h", 1700000000123);
    s.set_last_poll_ms("slurm:h", 1700000000456);
    s.set_last_poll_ms("pbs:h", 5);
  }
  Store other(path);  // another process would see the same
  assert_int_equal(other.last_poll_ms("slurm:h"), 1700000000456);
  assert_int_equal(other.last_poll_ms("pbs:h"), 5);
}

// Issue 11 #6: a 100 MB scheduler message became a reason and an event.
static void test_reasons_and_messages_are_capped(void**) {
  const std::string path = fresh_db_path("store-cap");
  Store s(path);
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
  struct stat st;
  assert_int_equal(stat(path.c_str(), &st), 0);
  assert_true(st.st_size < 1024 * 1024);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_open_reopen),
      cmocka_unit_test(test_file_modes_are_private),
      cmocka_unit_test(test_loose_sidecar_files_are_tightened),
      cmocka_unit_test(test_missing_directory_is_an_error),
      cmocka_unit_test(test_migrates_an_empty_file),
      cmocka_unit_test(test_refuses_a_newer_schema),
      cmocka_unit_test(test_refuses_a_file_that_is_not_a_database),
      cmocka_unit_test(test_insert_get_roundtrip),
      cmocka_unit_test(test_list_with_filters),
      cmocka_unit_test(test_active_and_unsent),
      cmocka_unit_test(test_transition_rules),
      cmocka_unit_test(test_events_paging),
      cmocka_unit_test(test_events_are_append_only),
      cmocka_unit_test(test_leases),
      cmocka_unit_test(test_poll_times),
      cmocka_unit_test(test_reasons_and_messages_are_capped),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
