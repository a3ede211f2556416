#include "store/sqlite_handle.h"

namespace xrun::store {

void throw_failure(sqlite3* db, int code) {
  // sqlite3_errmsg describes the most recent failure on the connection,
  // which is this one because every caller holds the Store's mutex.
  const char* message = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw SqliteFailure(code, message ? message : sqlite3_errstr(code));
}

void exec(sqlite3* db, const char* sql) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw_failure(db, rc);
}

Statement::Statement(sqlite3* db, const char* sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) throw_failure(db, rc);
}

Statement& Statement::bind(int64_t value) {
  int rc = sqlite3_bind_int64(stmt_.get(), next_param_++, value);
  if (rc != SQLITE_OK) throw_failure(db_, rc);
  return *this;
}

Statement& Statement::bind(const std::string& value) {
  int rc = sqlite3_bind_text(stmt_.get(), next_param_++, value.data(), static_cast<int>(value.size()),
                             SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) throw_failure(db_, rc);
  return *this;
}

Statement& Statement::bind(const std::optional<int64_t>& value) {
  if (value) return bind(*value);
  int rc = sqlite3_bind_null(stmt_.get(), next_param_++);
  if (rc != SQLITE_OK) throw_failure(db_, rc);
  return *this;
}

Statement& Statement::bind(const std::optional<std::string>& value) {
  if (value) return bind(*value);
  int rc = sqlite3_bind_null(stmt_.get(), next_param_++);
  if (rc != SQLITE_OK) throw_failure(db_, rc);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_failure(db_, rc);
}

void Statement::run() {
  while (step()) {
  }
}

int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

std::optional<int64_t> Statement::optional_int64(int column) const {
  if (sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(stmt_.get(), column);
}

std::string Statement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_.get(), column);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column)));
}

}  // namespace xrun::store
