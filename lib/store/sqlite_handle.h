// RAII ownership of SQLite connections and statements, and the one place
// that turns SQLite result codes into C++ exceptions. Private to lib/store.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace xrun::store {

// A failed SQLite call. Kept separate from xrun::Error so the Store can tell
// contention (retry the whole transaction) from real failures, and add the
// path and the operation to the message before it leaves the module.
class SqliteFailure : public std::runtime_error {
 public:
  SqliteFailure(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }
  // Another connection holds a lock we need: worth retrying.
  bool is_contention() const {
    int primary = code_ & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
  }

 private:
  int code_;
};

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// Throws SqliteFailure carrying the connection's message for `code`.
[[noreturn]] void throw_failure(sqlite3* db, int code);

// Runs SQL that returns no rows we need (PRAGMAs, BEGIN, DDL).
void exec(sqlite3* db, const char* sql);

// One prepared statement. bind() fills parameters left to right.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql);

  Statement& bind(int64_t value);
  Statement& bind(const std::string& value);
  Statement& bind(const std::optional<int64_t>& value);
  Statement& bind(const std::optional<std::string>& value);

  // Returns true while a row is available; throws SqliteFailure on error.
  bool step();
  // Steps a statement that returns no rows.
  void run();

  int64_t int64(int column) const;
  std::optional<int64_t> optional_int64(int column) const;
  std::string text(int column) const;

 private:
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, StatementFinalizer> stmt_;
  int next_param_ = 1;
};

}  // namespace xrun::store
