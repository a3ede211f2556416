// RAII ownership of libpq connections and results, parameter lists, and
// the one place that turns libpq failures into C++ exceptions. Private to
// lib/store.
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace xrun::store {

// A failed libpq call. Kept apart from xrun::Error so the store can tell a
// transaction worth retrying (serialization failure, deadlock) and a lost
// connection from other failures, and add the location and the operation
// to the message before it leaves the module.
class PgFailure : public std::runtime_error {
 public:
  PgFailure(std::string sqlstate, bool connection_lost, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)), connection_lost_(connection_lost) {}
  const std::string& sqlstate() const { return sqlstate_; }
  // 40001 serialization_failure, 40P01 deadlock_detected: the server
  // rolled the transaction back; running it again is the documented cure.
  bool is_retryable() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }
  bool connection_lost() const { return connection_lost_; }

 private:
  std::string sqlstate_;
  bool connection_lost_;
};

struct PgConnectionCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConnection = std::unique_ptr<PGconn, PgConnectionCloser>;

struct PgResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};

// Text parameters for one statement, $1.. in the order added.
class PgParams {
 public:
  PgParams& add(int64_t value);
  PgParams& add(const std::string& value);
  PgParams& add(const std::optional<int64_t>& value);
  PgParams& add(const std::optional<std::string>& value);
  // The next placeholder's text ("$3"), for SQL built piece by piece.
  std::string next() const { return "$" + std::to_string(values_.size() + 1); }

  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

// The rows of one successful statement.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  int rows() const { return PQntuples(r_.get()); }
  // Rows changed by an INSERT/UPDATE/DELETE.
  int64_t affected() const;
  bool is_null(int row, int column) const { return PQgetisnull(r_.get(), row, column) != 0; }
  std::string text(int row, int column) const;
  int64_t int64(int row, int column) const;
  std::optional<int64_t> optional_int64(int row, int column) const;

 private:
  std::unique_ptr<PGresult, PgResultClearer> r_;
};

// Runs one statement (several if there are no parameters); throws
// PgFailure unless it succeeded.
PgResult pg_exec(PGconn* c, const std::string& sql, const PgParams& params = {});

// `text` with any password written into a connection URL or key=value
// string replaced by "***": for every message that may quote one.
std::string redact_password(const std::string& text);

}  // namespace xrun::store
