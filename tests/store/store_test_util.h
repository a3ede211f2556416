// Helpers shared by the store tests: which backend a run tests (the same
// suite runs on SQLite and on the real PostgreSQL of
// scripts/testbed-postgres.sh), fresh stores, raw SQL that bypasses the
// Store, and job records.
#pragma once
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "store/store.h"
#include "test_common.h"
#include "util/error.h"

namespace store_test {

enum class Backend { Sqlite, Postgres };

inline Backend& backend() {
  static Backend b = Backend::Sqlite;
  return b;
}
inline bool on_postgres() { return backend() == Backend::Postgres; }
inline const char* backend_name() { return on_postgres() ? "postgresql" : "sqlite"; }

[[noreturn]] inline void setup_failed(const std::string& why) {
  fprintf(stderr, "STORE TEST SETUP FAILED: %s\n", why.c_str());
  exit(1);  // a test whose server is missing fails, and says why
}

// Loads $TESTBED_DIR/postgres/env.sh (written by scripts/testbed-postgres.sh)
// into the environment, and points libpq at its password file.
inline void load_postgres_testbed() {
  const char* dir = getenv("TESTBED_DIR");
  std::string file = std::string(dir && *dir ? dir : "/tmp/xrun-testbed") + "/postgres/env.sh";
  std::ifstream in(file);
  if (!in) setup_failed(file + " is missing: the PostgreSQL testbed is not up (scripts/testbed-postgres.sh up)");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("export ", 0) != 0) continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(7, eq - 7), value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') value = value.substr(1, value.size() - 2);
    setenv(key.c_str(), value.c_str(), 1);
  }
  setenv("PGPASSFILE", getenv("TESTBED_PG_PASSFILE"), 1);
}

// Picks the backend from the first argument ("postgresql" or "sqlite").
inline void choose_backend(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "postgresql") == 0) {
    backend() = Backend::Postgres;
    load_postgres_testbed();
  }
  printf("# store backend: %s\n", backend_name());
}

inline std::string env_or_die(const char* name) {
  const char* v = getenv(name);
  if (!v || !*v) setup_failed(std::string(name) + " is not set by the PostgreSQL testbed");
  return v;
}

// Runs `sql` on a PostgreSQL database directly; returns "" or the error.
inline std::string pg_raw(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return error;
}

// The testbed's database, with `schema` first in the search path: each
// test gets a schema of its own (far cheaper than a database each).
inline std::string pg_url_for(const std::string& schema) {
  return "postgresql://" + env_or_die("TESTBED_PG_USER") + "@" + env_or_die("TESTBED_PG_HOST") + ":" +
         env_or_die("TESTBED_PG_PORT") + "/" + env_or_die("TESTBED_PG_DB") + "?options=-csearch_path%3D" + schema;
}

// A PostgreSQL store of its own for one test: an empty schema, never used
// before, in the testbed's database.
inline std::string fresh_pg_url(const char* tag) {
  static std::atomic<int> n{0};
  std::string schema = "t_";
  for (const char* p = tag; *p; ++p) schema += isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  schema += "_" + std::to_string(getpid()) + "_" + std::to_string(n++);
  std::string error = pg_raw(pg_url_for("public"), "CREATE SCHEMA " + schema);
  if (!error.empty()) setup_failed("creating schema " + schema + ": " + error);
  return pg_url_for(schema);
}

// A path inside a fresh temporary directory; the file does not exist yet.
inline std::string fresh_db_path(const char* tag) {
  return std::string(xrun_test_tempdir(tag)) + "/jobs.db";
}

// Where a fresh store of the backend under test lives (nothing there yet).
inline std::string fresh_location(const char* tag) {
  return on_postgres() ? fresh_pg_url(tag) : fresh_db_path(tag);
}

inline std::unique_ptr<xrun::Store> open(const std::string& location) { return xrun::open_store(location); }

inline xrun::JobRecord make_job(const std::string& id, const std::string& machine, int64_t created_ms) {
  xrun::JobRecord j;
  j.id = id;
  j.machine = machine;
  j.name = "name-" + id;
  j.spec_json = "{\"command\":\"true\"}";
  j.job_dir = "/scratch/" + id;
  j.created_ms = created_ms;
  return j;
}

inline int file_mode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

// Runs `sql` on the file directly, bypassing the Store: how the tests
// prepare old, newer or damaged files. Returns the sqlite result code.
inline int raw_exec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open(path.c_str(), &db);
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc;
}

// The first column of the first row of `sql`, or -1.
inline int64_t raw_query_int(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
  int64_t value = -1;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    value = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return value;
}

// The first column of the first row of `sql` on the store at `location`
// (either backend), or -1.
inline int64_t raw_int(const std::string& location, const std::string& sql) {
  if (!xrun::is_postgresql_url(location)) return raw_query_int(location, sql.c_str());
  PGconn* c = PQconnectdb(location.c_str());
  int64_t value = -1;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) value = std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10);
    PQclear(r);
  }
  PQfinish(c);
  return value;
}

// Runs `sql` on the store at `location` (either backend), bypassing the
// Store. Returns true if it succeeded.
inline bool raw_sql_ok(const std::string& location, const std::string& sql) {
  if (xrun::is_postgresql_url(location)) return pg_raw(location, sql).empty();
  return raw_exec(location, sql.c_str()) == SQLITE_OK;
}

// Runs `fn`, which must throw xrun::Error with `status`; returns the message.
template <class Fn>
std::string expect_error(xrun_status status, Fn&& fn) {
  try {
    fn();
  } catch (const xrun::Error& e) {
    assert_int_equal(e.status(), status);
    return e.what();
  }
  fail_msg("expected an xrun::Error with status %d", static_cast<int>(status));
  return {};
}

}  // namespace store_test
