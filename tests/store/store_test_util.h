// Helpers shared by the store tests: fresh database paths and job records.
#pragma once
#include <sqlite3.h>
#include <sys/stat.h>

#include <string>

#include "store/store.h"
#include "test_common.h"
#include "util/error.h"

namespace store_test {

// A path inside a fresh temporary directory; the file does not exist yet.
inline std::string fresh_db_path(const char* tag) {
  return std::string(xrun_test_tempdir(tag)) + "/jobs.db";
}

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
