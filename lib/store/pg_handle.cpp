#include "store/pg_handle.h"

#include <cstdlib>

namespace xrun::store {

PgParams& PgParams::add(int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

PgParams& PgParams::add(const std::string& value) {
  values_.emplace_back(value);
  return *this;
}

PgParams& PgParams::add(const std::optional<int64_t>& value) {
  if (value) return add(*value);
  values_.emplace_back(std::nullopt);
  return *this;
}

PgParams& PgParams::add(const std::optional<std::string>& value) {
  values_.push_back(value);
  return *this;
}

std::vector<const char*> PgParams::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
  return out;
}

int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(r_.get());
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

std::string PgResult::text(int row, int column) const {
  const char* v = PQgetvalue(r_.get(), row, column);
  return std::string(v, static_cast<size_t>(PQgetlength(r_.get(), row, column)));
}

int64_t PgResult::int64(int row, int column) const {
  return std::strtoll(PQgetvalue(r_.get(), row, column), nullptr, 10);
}

std::optional<int64_t> PgResult::optional_int64(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return int64(row, column);
}

PgResult pg_exec(PGconn* c, const std::string& sql, const PgParams& params) {
  auto pointers = params.pointers();
  // Without parameters, the simple protocol: it also runs several
  // statements at once (the schema's migrations).
  PGresult* r = params.size() == 0
                    ? PQexec(c, sql.c_str())
                    : PQexecParams(c, sql.c_str(), params.size(), nullptr, pointers.data(), nullptr, nullptr, 0);
  ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(r);

  std::string sqlstate;
  std::string message;
  if (r) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (state) sqlstate = state;
    const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    message = primary ? primary : PQresultErrorMessage(r);
  }
  if (message.empty()) message = PQerrorMessage(c);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  PQclear(r);
  const bool lost = PQstatus(c) != CONNECTION_OK;
  if (lost) message = "connection to the server lost: " + message;
  throw PgFailure(sqlstate, lost, redact_password(message));
}

namespace {

// Replaces the value of every `password=` (a URL query parameter or a
// key=value setting, quoted or not) with ***.
std::string redact_password_settings(std::string text) {
  const std::string key = "password=";
  for (size_t pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + 1)) {
    size_t start = pos + key.size();
    size_t end = start;
    if (end < text.size() && text[end] == '\'') {
      for (++end; end < text.size() && text[end] != '\''; ++end)
        if (text[end] == '\\') ++end;
      if (end < text.size()) ++end;
    } else {
      while (end < text.size() && text[end] != '&' && text[end] != ' ' && text[end] != '"' &&
             text[end] != '\n')
        ++end;
    }
    text.replace(start, std::min(end, text.size()) - start, "***");
  }
  return text;
}

}  // namespace

std::string redact_password(const std::string& text) {
  std::string out = redact_password_settings(text);
  // scheme://user:password@host -- the user info ends at the last '@'
  // before the path (a password may itself contain '@' or '/', percent-
  // encoded or not; everything up to that '@' after the first ':' goes).
  for (size_t scheme = out.find("://"); scheme != std::string::npos; scheme = out.find("://", scheme + 3)) {
    size_t start = scheme + 3;
    size_t stop = out.find_first_of(" \n\"'?", start);
    if (stop == std::string::npos) stop = out.size();
    size_t at = out.rfind('@', stop);
    if (at == std::string::npos || at < start) continue;
    size_t colon = out.find(':', start);
    if (colon == std::string::npos || colon > at) continue;
    out.replace(colon + 1, at - colon - 1, "***");
  }
  return out;
}

}  // namespace xrun::store
