// A store file written by xrun v0.1.0 (schema 1, tests/fixtures/store/
// v1_store.sql, made by the v0.1.0 library) opens with this build: every job
// and every event is kept, the job that waited for room becomes
// waiting/room, and the new columns work on the migrated rows. Run with
// "postgresql", the same rows go into a PostgreSQL store of schema 1 (the
// first of pg_migrations(), as the first PostgreSQL xrun made it) and the
// same checks run on its migration.
#include <fstream>
#include <sstream>
#include <string>

#include "core/state.h"
#include "store/pg_schema.h"
#include "store/schema.h"
#include "store_test_util.h"

using store_test::fresh_db_path;
using store_test::on_postgres;
using store_test::open;
using xrun::JobUpdate;
using xrun::Store;
using xrun::WaitingFor;

// PostgreSQL's schema 1 with the fixture's rows: its INSERT lines are
// plain SQL both servers read alike; the event counter is set as the
// first PostgreSQL xrun would have left it.
static std::string v1_pg_store(const std::string& fixture) {
  const std::string url = store_test::fresh_location("store-v1");
  std::string sql = "BEGIN;\n";
  sql += xrun::store::pg_migrations().front().sql;
  sql += "CREATE TABLE xrun_schema (only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),"
         " version INTEGER NOT NULL);\nINSERT INTO xrun_schema VALUES (TRUE, 1);\n";
  std::istringstream lines(fixture);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("INSERT INTO jobs ", 0) == 0 || line.rfind("INSERT INTO events ", 0) == 0 ||
        line.rfind("INSERT INTO polls ", 0) == 0)
      sql += line + "\n";
  sql += "UPDATE event_counter SET last_seq = (SELECT max(seq) FROM events);\nCOMMIT;\n";
  const std::string error = store_test::pg_raw(url, sql);
  if (!error.empty()) fail_msg("loading the v1 fixture into PostgreSQL: %s", error.c_str());
  assert_int_equal(store_test::raw_int(url, "SELECT version FROM xrun_schema"), 1);
  return url;
}

static std::string v1_store() {
  const char* source = getenv("XRUN_SOURCE_DIR");
  assert_non_null(source);
  std::ifstream in(std::string(source) + "/tests/fixtures/store/v1_store.sql");
  assert_true(in.good());
  std::stringstream text;
  text << in.rdbuf();
  if (on_postgres()) return v1_pg_store(text.str());
  const std::string path = fresh_db_path("store-v1");
  assert_int_equal(store_test::raw_exec(path, text.str().c_str()), SQLITE_OK);
  assert_int_equal(store_test::raw_query_int(path, "PRAGMA user_version"), 1);
  return path;
}

static void test_v1_store_keeps_every_job_and_event(void**) {
  const std::string path = v1_store();
  const int64_t jobs_before = store_test::raw_int(path, "SELECT count(*) FROM jobs");
  const int64_t events_before = store_test::raw_int(path, "SELECT count(*) FROM events");
  assert_int_equal(jobs_before, 5);
  assert_int_equal(events_before, 21);
  auto owned = open(path);
  Store& s = *owned;
  assert_int_equal(s.schema_version(), Store::latest_schema_version());
  assert_int_equal(s.schema_version_at_open(), 1);
  assert_int_equal(s.list_jobs("", -1, 0).size(), 5);
  assert_int_equal(s.events_since(0, 0).size(), 21);
  // Terminal jobs keep their states, reasons and exit codes.
  auto done = s.list_jobs("", XRUN_STATE_COMPLETED, 0);
  assert_int_equal(done.size(), 1);
  assert_string_equal(done[0].name.c_str(), "v1-ok");
  assert_int_equal(*done[0].exit_code, 0);
  auto failed = s.list_jobs("", XRUN_STATE_FAILED, 0);
  assert_int_equal(failed.size(), 1);
  assert_int_equal(*failed[0].exit_code, 3);
  assert_string_equal(failed[0].reason.c_str(), "NonZeroExitCode");
  assert_int_equal(s.list_jobs("", XRUN_STATE_CANCELLED, 0).size(), 1);
  // The job v0.1.0 kept waiting for room (told by its reason's prefix) now
  // says so in a column and a state of its own.
  auto room = s.get_job("01M8T07000000000000000ROOM");
  assert_true(room.has_value());
  assert_int_equal(room->state, XRUN_STATE_WAITING);
  assert_true(room->waiting_for == WaitingFor::Room);
  assert_int_equal(room->attempts, 1);
  // A failed send stays created: it is sent again only when asked.
  auto unsent = s.get_job("01M8T07000000000000000SEND");
  assert_int_equal(unsent->state, XRUN_STATE_CREATED);
  assert_true(unsent->waiting_for == WaitingFor::Nothing);
  // The new columns work on migrated rows, and the journal goes on.
  JobUpdate u;
  u.waiting_for = WaitingFor::Connection;
  u.last_error = "connection refused";
  u.next_try_ms = 1234;
  assert_true(s.transition(unsent->id, {XRUN_STATE_CREATED}, XRUN_STATE_WAITING, u, "waiting for the connection"));
  auto now = s.get_job(unsent->id);
  assert_true(now->waiting_for == WaitingFor::Connection);
  assert_string_equal(now->last_error.c_str(), "connection refused");
  assert_int_equal(now->next_try_ms, 1234);
  assert_int_equal(s.last_event_seq(), 22);
  assert_int_equal(s.waiting_jobs("local").size(), 2);
  // The file's own view names the new state.
  assert_int_equal(store_test::raw_int(path, "SELECT count(*) FROM jobs_named WHERE state_name = 'waiting'"), 2);
  // Events still refuse rewriting, and foreign keys still hold.
  assert_false(store_test::raw_sql_ok(path, "UPDATE events SET message = 'x' WHERE seq = 1"));
  if (on_postgres())
    assert_false(store_test::raw_sql_ok(path, "INSERT INTO events (seq, time_ms, job_id, state) VALUES (999, 1, 'ghost', 0)"));
  else
    assert_int_equal(store_test::raw_query_int(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

static void test_v1_store_reopens_after_migration(void**) {
  const std::string path = v1_store();
  { open(path); }
  auto again = open(path);
  assert_int_equal(again->schema_version(), Store::latest_schema_version());
  assert_int_equal(again->schema_version_at_open(), Store::latest_schema_version());
  assert_int_equal(again->list_jobs("", -1, 0).size(), 5);
}

// A store of schema 2 (the first two migrations, as the release before
// attempts left it) with one running job: opening migrates it to 3, the
// job is kept, it has no attempts, an attempt recorded with a transition
// reads back, and pruning the job removes its attempts with it.
static void test_v2_store_gains_attempts(void**) {
  std::string location;
  std::string sql;
  const auto& list = on_postgres() ? xrun::store::pg_migrations() : xrun::store::migrations();
  sql += list[0].sql;
  sql += list[1].sql;
  const char* job =
      "INSERT INTO jobs (id, machine, name, state, scheduler_id, spec_json, job_dir, created_ms, updated_ms, "
      "attempts, submitted_ms) VALUES ('01M8T0700000000000000000V2', 'local', 'v2-run', 5, '4242', "
      "'{\"command\": \"true\"}', '/tmp/v2', 1000, 1000, 1, 1000);\n";
  sql += job;
  if (on_postgres()) {
    location = store_test::fresh_location("store-v2");
    std::string all = "BEGIN;\n" + sql +
                      "CREATE TABLE xrun_schema (only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),"
                      " version INTEGER NOT NULL);\nINSERT INTO xrun_schema VALUES (TRUE, 2);\nCOMMIT;\n";
    const std::string error = store_test::pg_raw(location, all);
    if (!error.empty()) fail_msg("making a v2 PostgreSQL store: %s", error.c_str());
  } else {
    location = fresh_db_path("store-v2");
    sql += "PRAGMA user_version = 2;\n";
    assert_int_equal(store_test::raw_exec(location, sql.c_str()), SQLITE_OK);
    assert_int_equal(store_test::raw_query_int(location, "PRAGMA user_version"), 2);
  }
  auto owned = open(location);
  Store& s = *owned;
  assert_int_equal(Store::latest_schema_version(), 4);
  assert_int_equal(s.schema_version(), 4);
  assert_int_equal(s.schema_version_at_open(), 2);
  const std::string id = "01M8T0700000000000000000V2";
  auto before = s.get_job(id);
  assert_true(before.has_value());
  assert_int_equal(before->state, XRUN_STATE_RUNNING);
  assert_true(s.attempts(id).empty());
  // A retry: the ended attempt recorded with the move to waiting.
  JobUpdate u;
  xrun::AttemptRecord a;
  a.job_id = id;
  a.number = 1;
  a.scheduler_id = "4242";
  a.state = XRUN_STATE_TIMEOUT;
  a.reason = "TimeLimit";
  a.submitted_ms = 1000;
  a.ended_ms = 2000;
  a.corrections = {"walltime 00:01:00 -> 00:02:00"};
  u.add_attempt = a;
  u.clear_run = true;
  u.waiting_for = WaitingFor::RetryBackoff;
  u.spec_json = "{\"command\": \"true\", \"attempt\": 2}";
  assert_true(s.transition(id, {XRUN_STATE_RUNNING}, XRUN_STATE_WAITING, u, "attempt 1 ended timeout"));
  // A second record of the same number is ignored.
  u.add_attempt->reason = "again";
  assert_true(s.transition(id, {XRUN_STATE_WAITING}, XRUN_STATE_WAITING, u, ""));
  auto attempts = s.attempts(id);
  assert_int_equal(attempts.size(), 1);
  assert_int_equal(attempts[0].number, 1);
  assert_string_equal(attempts[0].scheduler_id.c_str(), "4242");
  assert_int_equal(attempts[0].state, XRUN_STATE_TIMEOUT);
  assert_string_equal(attempts[0].reason.c_str(), "TimeLimit");
  assert_int_equal(*attempts[0].ended_ms, 2000);
  assert_false(attempts[0].exit_code.has_value());
  assert_int_equal(attempts[0].corrections.size(), 1);
  assert_string_equal(attempts[0].corrections[0].c_str(), "walltime 00:01:00 -> 00:02:00");
  auto after = s.get_job(id);
  assert_string_equal(after->scheduler_id.c_str(), "");
  assert_false(after->submitted_ms.has_value());
  assert_true(after->waiting_for == WaitingFor::RetryBackoff);
  assert_true(after->spec_json.find("\"attempt\": 2") != std::string::npos);
  // Pruned with its job.
  JobUpdate end;
  end.ended_ms = 3000;
  assert_true(s.transition(id, {XRUN_STATE_WAITING}, XRUN_STATE_FAILED, end, "failed"));
  auto counts = s.prune_jobs({XRUN_STATE_FAILED}, 10000);
  assert_int_equal(counts.jobs, 1);
  assert_true(s.attempts(id).empty());
  assert_int_equal(store_test::raw_int(location, "SELECT count(*) FROM attempts"), 0);
}

int main(int argc, char** argv) {
  store_test::choose_backend(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v1_store_keeps_every_job_and_event),
      cmocka_unit_test(test_v1_store_reopens_after_migration),
      cmocka_unit_test(test_v2_store_gains_attempts),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
