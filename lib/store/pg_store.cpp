#include "store/pg_store.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <type_traits>

#include "store/pg_handle.h"
#include "store/pg_schema.h"
#include "store/transition_event.h"
#include "store/attempt_json.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/strings.h"

namespace xrun {

namespace {

using store::PgFailure;
using store::PgParams;
using store::PgResult;
using store::pg_exec;

// A transaction the server rolled back (deadlock, serialization failure) or
// that never reached the server (connection lost before COMMIT) is run
// again until this much time has passed.
constexpr int64_t kRetryBudgetMs = 60000;
// Bounds the wait for an unreachable server unless the URL sets its own.
constexpr const char* kConnectTimeoutS = "10";
// Serialises schema migrations of one database across processes and hosts
// (any constant unlikely to be used by another application: "xrunstor").
constexpr const char* kMigrationLockKey = "7842737308386094962";

// The server's clock in ms since the epoch: leases are judged by one clock
// even when the hosts that share the store disagree about the time.
constexpr const char* kServerNowMs = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

// The channel events are announced on: one per schema, so that stores kept
// in different schemas of one database do not wake each other (md5 keeps it
// within the 63 bytes of an identifier).
constexpr const char* kChannel = "('xrun_events_' || left(md5(current_schema()), 16))";

const char kJobColumns[] =
    "id, machine, name, state, scheduler_id, exit_code, reason, spec_json, job_dir, result_json, "
    "created_ms, submitted_ms, started_ms, ended_ms, updated_ms, attempts, waiting_for, last_error, "
    "next_try_ms, content_hash, cached_from";

JobRecord read_job(const PgResult& r, int row) {
  JobRecord j;
  j.id = r.text(row, 0);
  j.machine = r.text(row, 1);
  j.name = r.text(row, 2);
  j.state = static_cast<xrun_state>(r.int64(row, 3));
  j.scheduler_id = r.text(row, 4);
  j.exit_code = r.optional_int64(row, 5);
  j.reason = r.text(row, 6);
  j.spec_json = r.text(row, 7);
  j.job_dir = r.text(row, 8);
  j.result_json = r.text(row, 9);
  j.created_ms = r.int64(row, 10);
  j.submitted_ms = r.optional_int64(row, 11);
  j.started_ms = r.optional_int64(row, 12);
  j.ended_ms = r.optional_int64(row, 13);
  j.updated_ms = r.int64(row, 14);
  j.attempts = r.int64(row, 15);
  j.waiting_for = waiting_for_from_name(r.text(row, 16));
  j.last_error = r.text(row, 17);
  j.next_try_ms = r.int64(row, 18);
  j.content_hash = r.text(row, 19);
  j.cached_from = r.text(row, 20);
  return j;
}

std::vector<JobRecord> read_jobs(const PgResult& r) {
  std::vector<JobRecord> jobs;
  jobs.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) jobs.push_back(read_job(r, i));
  return jobs;
}

// Writes the fields `update` sets (and the state, if given) to job `id`;
// returns how many rows changed (0: no such job).
int64_t apply_update(PGconn* c, const std::string& id, std::optional<xrun_state> state,
                     const JobUpdate& update, int64_t now) {
  PgParams p;
  std::string sql = "UPDATE jobs SET updated_ms = " + p.next();
  p.add(now);
  auto set = [&](const char* column, const auto& value) {
    if (!value) return;
    sql += std::string(", ") + column + " = " + p.next();
    p.add(*value);
  };
  if (state) set("state", std::optional<int64_t>(static_cast<int64_t>(*state)));
  set("scheduler_id", update.scheduler_id);
  set("exit_code", update.exit_code);
  set("reason", update.reason);
  set("job_dir", update.job_dir);
  set("result_json", update.result_json);
  set("submitted_ms", update.submitted_ms);
  set("started_ms", update.started_ms);
  set("ended_ms", update.ended_ms);
  if (update.waiting_for) set("waiting_for", std::optional<std::string>(waiting_for_name(*update.waiting_for)));
  set("last_error", update.last_error);
  set("next_try_ms", update.next_try_ms);
  set("spec_json", update.spec_json);
  if (update.bump_attempts) sql += ", attempts = attempts + 1";
  if (update.clear_run) {
    if (!update.scheduler_id) sql += ", scheduler_id = ''";
    if (!update.exit_code) sql += ", exit_code = NULL";
    if (!update.submitted_ms) sql += ", submitted_ms = NULL";
    if (!update.started_ms) sql += ", started_ms = NULL";
    if (!update.ended_ms) sql += ", ended_ms = NULL";
  }
  sql += " WHERE id = " + p.next();
  p.add(id);
  return pg_exec(c, sql, p).affected();
}

void insert_attempt(PGconn* c, const AttemptRecord& a) {
  PgParams p;
  p.add(a.job_id).add(a.number).add(a.scheduler_id).add(static_cast<int64_t>(a.state));
  p.add(cap_text(a.reason, kMaxReasonBytes)).add(a.exit_code).add(a.submitted_ms).add(a.started_ms);
  p.add(a.ended_ms).add(attempt_corrections_to_json(a.corrections));
  pg_exec(c,
          "INSERT INTO attempts (job_id, number, scheduler_id, state, reason, exit_code, submitted_ms, "
          "started_ms, ended_ms, corrections_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
          "ON CONFLICT (job_id, number) DO NOTHING",
          p);
}

// Appends an event numbered from the counter row (locked until commit, see
// pg_schema.cpp) and tells listeners at commit.
void append_event(PGconn* c, int64_t now, const std::string& job_id, xrun_state state,
                  const std::string& message) {
  PgParams p;
  p.add(now).add(job_id).add(static_cast<int64_t>(state)).add(message);
  pg_exec(c,
          "WITH counter AS (UPDATE event_counter SET last_seq = last_seq + 1 RETURNING last_seq), "
          "added AS (INSERT INTO events (seq, time_ms, job_id, state, message) "
          "          SELECT last_seq, $1, $2, $3, $4 FROM counter RETURNING seq) "
          "SELECT pg_notify(" + std::string(kChannel) + ", seq::text) FROM added",
          p);
}

void insert_row(PGconn* c, const JobRecord& job, int64_t now) {
  PgParams p;
  p.add(job.id).add(job.machine).add(job.name).add(static_cast<int64_t>(job.state));
  p.add(job.scheduler_id).add(job.exit_code).add(job.reason).add(job.spec_json);
  p.add(job.job_dir).add(job.result_json).add(job.created_ms ? job.created_ms : now);
  p.add(job.submitted_ms).add(job.started_ms).add(job.ended_ms);
  p.add(job.updated_ms ? job.updated_ms : now).add(job.attempts);
  p.add(std::string(waiting_for_name(job.waiting_for))).add(job.last_error).add(job.next_try_ms);
  p.add(job.content_hash).add(job.cached_from);
  pg_exec(c,
          std::string("INSERT INTO jobs (") + kJobColumns +
              ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
          p);
  append_event(c, now, job.id, job.state, job.reason.empty() ? "created" : job.reason);
}

// The states a poll round has work for: active (submitted..running).
constexpr xrun_state kActiveStates[] = {XRUN_STATE_SUBMITTED, XRUN_STATE_QUEUED, XRUN_STATE_HELD,
                                        XRUN_STATE_RUNNING};

std::string percent_encoded(const std::string& text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : text) {
    if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

// "postgresql://user@host:port/dbname": the URL as shown in messages and
// logs, rebuilt from libpq's reading of it so that no password survives.
std::string shown_location(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (!options) {
    PQfreemem(error);
    return store::redact_password(url);
  }
  std::string user, host, port, dbname, server_options;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val) continue;
    std::string key = o->keyword;
    if (key == "user") user = o->val;
    else if (key == "host") host = o->val;
    else if (key == "hostaddr" && host.empty()) host = o->val;
    else if (key == "port") port = o->val;
    else if (key == "dbname") dbname = o->val;
    else if (key == "options") server_options = o->val;
  }
  PQconninfoFree(options);
  std::string shown = "postgresql://";
  if (!user.empty()) shown += user + "@";
  shown += host;
  if (!port.empty()) shown += ":" + port;
  shown += "/" + dbname;
  // Server options such as -csearch_path=... tell stores in one database
  // apart, so they are part of where the store is.
  if (!server_options.empty()) shown += "?options=" + percent_encoded(server_options);
  return shown;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

struct PgStore::Impl {
  std::string url;    // as given, perhaps with a password: only for libpq
  std::string shown;  // without any password: for messages
  int schema_version = 0;
  int schema_version_at_open = -1;
  bool read_only = false;
  mutable std::mutex mutex;  // guards conn: one connection, one user at a time
  mutable store::PgConnection conn;
  mutable std::minstd_rand jitter{static_cast<unsigned>(::getpid()) ^
                                  static_cast<unsigned>(monotonic_ms())};
  std::function<void()> write_listener;  // set before sharing, then read-only

  // Pushed events: a second connection LISTENs on a thread of its own,
  // started by the first data_version() call.
  mutable std::once_flag listen_once;
  mutable std::thread listener;
  mutable std::atomic<int64_t> notifications{0};
  mutable int stop_pipe[2] = {-1, -1};

  ~Impl() {
    if (listener.joinable()) {
      (void)!::write(stop_pipe[1], "x", 1);
      listener.join();
    }
    for (int fd : stop_pipe)
      if (fd >= 0) ::close(fd);
  }

  void changed() const {
    notifications.fetch_add(1);
    if (write_listener) write_listener();
  }

  // The listening connection: LISTEN on this schema's channel. nullptr if
  // the server cannot be reached (the thread tries again).
  store::PgConnection listen() const {
    try {
      store::PgConnection c = connect(true);
      std::string channel = pg_exec(c.get(), std::string("SELECT ") + kChannel).text(0, 0);
      char* quoted = PQescapeIdentifier(c.get(), channel.c_str(), channel.size());
      if (!quoted) return nullptr;
      std::string sql = std::string("LISTEN ") + quoted;
      PQfreemem(quoted);
      pg_exec(c.get(), sql);
      return c;
    } catch (const std::exception&) {
      return nullptr;
    }
  }

  void listen_loop(store::PgConnection c) const {
    for (;;) {
      if (!c) {
        // Lost: waiters fall back to reading now and again until it is back.
        changed();
        pollfd stop = {stop_pipe[0], POLLIN, 0};
        if (::poll(&stop, 1, 1000) > 0) return;
        c = listen();
        continue;
      }
      pollfd fds[2] = {{PQsocket(c.get()), POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents & POLLIN) return;
      if (!PQconsumeInput(c.get())) {
        c.reset();
        continue;
      }
      bool any = false;
      while (PGnotify* n = PQnotifies(c.get())) {
        PQfreemem(n);
        any = true;
      }
      if (any) changed();
    }
  }

  void start_listening() const {
    if (::pipe2(stop_pipe, O_CLOEXEC) != 0) return;
    listener = std::thread([this, c = listen()]() mutable { listen_loop(std::move(c)); });
  }

  Error failure(const std::string& what, const std::exception& e) const {
    return Error(XRUN_E_STORE, shown + ": " + what + ": " + e.what());
  }

  // A read-only store's connections refuse writes (the server says so, and
  // the write fails with XRUN_E_STORE), except the listening one, which
  // only LISTENs.
  store::PgConnection connect(bool for_listening = false) const {
    const char* keywords[] = {"connect_timeout", "dbname", "fallback_application_name", nullptr};
    const char* values[] = {kConnectTimeoutS, url.c_str(), "xrun", nullptr};
    // connect_timeout comes before dbname so that the URL's own wins.
    store::PgConnection c(PQconnectdbParams(keywords, values, 1));
    if (!c) throw Error(XRUN_E_NOMEM, shown + ": out of memory connecting to the server");
    if (PQstatus(c.get()) != CONNECTION_OK) {
      std::string message = shown + ": cannot connect to the PostgreSQL server: " +
                            store::redact_password(trimmed(PQerrorMessage(c.get())));
      if (PQconnectionNeedsPassword(c.get()))
        message += " (the server asks for a password: put it in ~/.pgpass or the file $PGPASSFILE names)";
      throw Error(XRUN_E_STORE, message);
    }
    // libpq prints server notices to stderr; a library must stay quiet.
    PQsetNoticeProcessor(c.get(), [](void*, const char*) {}, nullptr);
    if (read_only && !for_listening) pg_exec(c.get(), "SET default_transaction_read_only = on");
    return c;
  }

  void rollback_if_open() const {
    if (!conn) return;
    PGTransactionStatusType t = PQtransactionStatus(conn.get());
    if (t == PQTRANS_INTRANS || t == PQTRANS_INERROR) PQclear(PQexec(conn.get(), "ROLLBACK"));
  }

  // Runs `body` (in a transaction when `write`, else as single statements
  // in autocommit -- reads, and writes that are idempotent), running it
  // again when the server rolled it back for a retryable reason or the
  // connection was lost before COMMIT was sent (nothing was committed
  // then). A connection lost while COMMIT was under way is reported:
  // whether it committed is unknown. A lost connection is re-opened on the
  // next call (a server restart costs one error at most). Caller holds
  // `mutex`.
  template <class Body>
  auto attempt(const std::string& what, bool write, Body&& body) const -> decltype(body()) {
    const int64_t deadline = monotonic_ms() + kRetryBudgetMs;
    for (int tries = 0;; ++tries) {
      bool commit_sent = false;
      try {
        if (!conn || PQstatus(conn.get()) != CONNECTION_OK) conn = connect();
        if (!write) return body();
        pg_exec(conn.get(), "BEGIN");
        if constexpr (std::is_void_v<decltype(body())>) {
          body();
          commit_sent = true;
          pg_exec(conn.get(), "COMMIT");
          return;
        } else {
          auto result = body();
          commit_sent = true;
          pg_exec(conn.get(), "COMMIT");
          return result;
        }
      } catch (const PgFailure& e) {
        rollback_if_open();
        const bool again = e.is_retryable() || (e.connection_lost() && !commit_sent);
        if (!again || monotonic_ms() >= deadline) throw failure(what, e);
        int cap = std::min(1000, 2 << std::min(tries, 9));
        std::this_thread::sleep_for(std::chrono::milliseconds(1 + jitter() % cap));
      } catch (...) {
        rollback_if_open();
        throw;
      }
    }
  }

  // One statement (or several reads), each in autocommit.
  template <class Body>
  auto single(const std::string& what, Body&& body) const {
    std::lock_guard<std::mutex> lock(mutex);
    return attempt(what, false, std::forward<Body>(body));
  }

  template <class Body>
  auto transaction(const std::string& what, Body&& body) const {
    // Declared before the lock, so it runs after the lock is released.
    struct Notify {
      const std::function<void()>& listener;
      ~Notify() {
        if (listener) listener();
      }
    } notify{write_listener};
    std::lock_guard<std::mutex> lock(mutex);
    return attempt(what, true, std::forward<Body>(body));
  }

  void open() {
    std::lock_guard<std::mutex> lock(mutex);
    conn = connect();
    if (read_only) check_schema();
    else migrate();
  }

  // Read-only: the schema is only read. A database without it holds no
  // store; one that needs migrating is refused (open it for writing once).
  void check_schema() {
    attempt("reading the schema version", false, [&] {
      if (pg_exec(conn.get(), "SELECT to_regclass('xrun_schema') IS NULL").text(0, 0) == "t")
        throw Error(XRUN_E_NOT_FOUND, shown + ": no job store here (no xrun schema in this database)");
      schema_version = static_cast<int>(pg_exec(conn.get(), "SELECT version FROM xrun_schema").int64(0, 0));
      schema_version_at_open = schema_version;
    });
    const int latest = store::pg_migrations().back().version;
    if (schema_version > latest)
      throw Error(XRUN_E_STORE, shown + ": schema version " + std::to_string(schema_version) +
                                    " is newer than this xrun supports (" + std::to_string(latest) + ")");
    if (schema_version != latest)
      throw Error(XRUN_E_STORE, shown + ": schema version " + std::to_string(schema_version) + " is not " +
                                    std::to_string(latest) + ": open the store for writing once to migrate it");
  }

  void migrate() {
    const auto& list = store::pg_migrations();
    const int latest = list.back().version;
    for (;;) {
      bool done = attempt("migrating the schema", true, [&] {
        // One migrator at a time per database, even across hosts; the lock
        // ends with the transaction.
        pg_exec(conn.get(), std::string("SELECT pg_advisory_xact_lock(") + kMigrationLockKey + ")");
        pg_exec(conn.get(),
                "CREATE TABLE IF NOT EXISTS xrun_schema ("
                "  only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),"
                "  version INTEGER NOT NULL)");
        pg_exec(conn.get(), "INSERT INTO xrun_schema (only_row, version) VALUES (TRUE, 0) ON CONFLICT DO NOTHING");
        const int current = static_cast<int>(pg_exec(conn.get(), "SELECT version FROM xrun_schema").int64(0, 0));
        if (current > latest)
          throw Error(XRUN_E_STORE, shown + ": schema version " + std::to_string(current) +
                                        " is newer than this xrun supports (" + std::to_string(latest) + ")");
        schema_version = current;
        if (schema_version_at_open < 0) schema_version_at_open = current;
        if (current == latest) return true;
        for (const auto& m : list) {
          if (m.version <= current) continue;
          pg_exec(conn.get(), m.sql);
          PgParams p;
          p.add(int64_t{m.version});
          pg_exec(conn.get(), "UPDATE xrun_schema SET version = $1", p);
          schema_version = m.version;
          break;
        }
        return false;
      });
      if (done) return;
    }
  }
};

PgStore::PgStore(const std::string& url, Mode mode) : impl_(std::make_unique<Impl>()) {
  impl_->url = url;
  impl_->read_only = mode == Mode::ReadOnly;
  impl_->shown = shown_location(url);
  impl_->open();
}

PgStore::~PgStore() = default;

const std::string& PgStore::path() const { return impl_->shown; }
int PgStore::schema_version() const { return impl_->schema_version; }
int PgStore::schema_version_at_open() const { return impl_->schema_version_at_open; }
const char* PgStore::backend() const { return "postgresql"; }

int64_t PgStore::job_count() const {
  return impl_->single("counting jobs",
                       [&] { return pg_exec(impl_->conn.get(), "SELECT count(*) FROM jobs").int64(0, 0); });
}

void PgStore::insert_job(const JobRecord& job) {
  impl_->transaction("inserting job " + job.id, [&] { insert_row(impl_->conn.get(), job, wall_ms()); });
}

void PgStore::insert_jobs(const std::vector<JobRecord>& jobs) {
  if (jobs.empty()) return;
  impl_->transaction("inserting " + std::to_string(jobs.size()) + " jobs", [&] {
    const int64_t now = wall_ms();
    for (const auto& job : jobs) insert_row(impl_->conn.get(), job, now);
  });
}

int64_t PgStore::delete_unsent_jobs(const std::vector<std::string>& ids) {
  if (ids.empty()) return 0;
  return impl_->transaction("deleting " + std::to_string(ids.size()) + " unsent jobs", [&] {
    PGconn* c = impl_->conn.get();
    int64_t deleted = 0;
    // In parts: one statement's parameters stay few whatever the array's size.
    constexpr size_t kPart = 500;
    for (size_t first = 0; first < ids.size(); first += kPart) {
      PgParams p;
      p.add(int64_t{XRUN_STATE_CREATED});
      std::string in;
      for (size_t i = first; i < std::min(ids.size(), first + kPart); ++i) {
        in += (in.empty() ? "" : ", ") + p.next();
        p.add(ids[i]);
      }
      PgResult r = pg_exec(c,
                           "WITH gone AS (SELECT id FROM jobs WHERE id IN (" + in +
                               ") AND state = $1 FOR UPDATE), "
                               "gone_events AS (DELETE FROM events WHERE job_id IN (SELECT id FROM gone)), "
                               "gone_jobs AS (DELETE FROM jobs WHERE id IN (SELECT id FROM gone) RETURNING 1) "
                               "SELECT count(*) FROM gone_jobs",
                           p);
      deleted += r.int64(0, 0);
    }
    return deleted;
  });
}

std::optional<JobRecord> PgStore::get_job(const std::string& id) const {
  return impl_->single("reading job " + id, [&]() -> std::optional<JobRecord> {
    PgParams p;
    p.add(id);
    PgResult r = pg_exec(impl_->conn.get(), std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = $1", p);
    if (r.rows() == 0) return std::nullopt;
    return read_job(r, 0);
  });
}

std::vector<JobRecord> PgStore::list_jobs(const std::string& machine, int state, int64_t limit) const {
  return impl_->single("listing jobs", [&] {
    PgParams p;
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE TRUE";
    if (!machine.empty()) {
      sql += " AND machine = " + p.next();
      p.add(machine);
    }
    if (state >= 0) {
      sql += " AND state = " + p.next();
      p.add(int64_t{state});
    }
    sql += " ORDER BY created_ms DESC, id DESC";
    if (limit > 0) {
      sql += " LIMIT " + p.next();
      p.add(limit);
    }
    return read_jobs(pg_exec(impl_->conn.get(), sql, p));
  });
}

std::vector<JobRecord> PgStore::active_jobs(const std::string& machine) const {
  return impl_->single("listing active jobs", [&] {
    PgParams p;
    for (xrun_state st : kActiveStates) p.add(static_cast<int64_t>(st));
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE state IN ($1, $2, $3, $4)";
    if (!machine.empty()) {
      sql += " AND machine = " + p.next();
      p.add(machine);
    }
    sql += " ORDER BY created_ms, id";
    return read_jobs(pg_exec(impl_->conn.get(), sql, p));
  });
}

std::vector<JobRecord> PgStore::unsent_jobs() const {
  return impl_->single("listing unsent jobs", [&] {
    PgParams p;
    p.add(static_cast<int64_t>(XRUN_STATE_CREATED)).add(static_cast<int64_t>(XRUN_STATE_SUBMITTING));
    return read_jobs(pg_exec(impl_->conn.get(),
                             std::string("SELECT ") + kJobColumns +
                                 " FROM jobs WHERE state IN ($1, $2) ORDER BY created_ms, id",
                             p));
  });
}

std::vector<JobRecord> PgStore::waiting_jobs(const std::string& machine) const {
  return impl_->single("listing waiting jobs", [&] {
    PgParams p;
    p.add(static_cast<int64_t>(XRUN_STATE_WAITING));
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE state = $1";
    if (!machine.empty()) {
      sql += " AND machine = " + p.next();
      p.add(machine);
    }
    sql += " ORDER BY created_ms, id";
    return read_jobs(pg_exec(impl_->conn.get(), sql, p));
  });
}

std::optional<JobRecord> PgStore::cache_source(const std::string& content_hash) const {
  if (content_hash.empty()) return std::nullopt;
  return impl_->single("looking up the cache", [&]() -> std::optional<JobRecord> {
    PgParams p;
    p.add(content_hash).add(static_cast<int64_t>(XRUN_STATE_COMPLETED));
    PgResult r = pg_exec(impl_->conn.get(),
                         std::string("SELECT ") + kJobColumns +
                             " FROM jobs WHERE content_hash = $1 AND state = $2 AND cached_from = '' "
                             "ORDER BY ended_ms DESC NULLS LAST, id DESC LIMIT 1",
                         p);
    if (r.rows() == 0) return std::nullopt;
    return read_job(r, 0);
  });
}

std::vector<std::string> PgStore::machines_with_work() const {
  return impl_->single("listing machines with work", [&] {
    PgParams p;
    for (xrun_state st : kActiveStates) p.add(static_cast<int64_t>(st));
    p.add(static_cast<int64_t>(XRUN_STATE_WAITING));
    PgResult r = pg_exec(impl_->conn.get(),
                         "SELECT DISTINCT machine FROM jobs WHERE state IN ($1, $2, $3, $4, $5) ORDER BY machine", p);
    std::vector<std::string> names;
    for (int i = 0; i < r.rows(); ++i) names.push_back(r.text(i, 0));
    return names;
  });
}

bool PgStore::transition(const std::string& id, const std::vector<xrun_state>& allowed_from, xrun_state to,
                         const JobUpdate& update_in, const std::string& message_in) {
  const std::string what = "moving job " + id + " to state " + std::to_string(to);
  // Capped as on SQLite: a remote's 100 MB message must not grow the store by its size.
  JobUpdate update = update_in;
  if (update.reason) update.reason = cap_text(*update.reason, kMaxReasonBytes);
  const std::string message = cap_text(message_in, kMaxReasonBytes);
  return impl_->transaction(what, [&] {
    PGconn* c = impl_->conn.get();
    // FOR UPDATE locks the job's row until commit: a compare-and-set across
    // processes and hosts -- nobody can change the state in between.
    PgParams p;
    p.add(id);
    PgResult current = pg_exec(c, "SELECT state, reason FROM jobs WHERE id = $1 FOR UPDATE", p);
    if (current.rows() == 0) throw Error(XRUN_E_NOT_FOUND, impl_->shown + ": " + what + ": no such job");
    const auto from = static_cast<xrun_state>(current.int64(0, 0));
    const std::string old_reason = current.text(0, 1);
    if (!allowed_from.empty() &&
        std::find(allowed_from.begin(), allowed_from.end(), from) == allowed_from.end())
      return false;

    const int64_t now = wall_ms();
    apply_update(c, id, to, update, now);
    if (update.add_attempt) insert_attempt(c, *update.add_attempt);
    if (auto text = transition_event_text(from, to, old_reason, update, message))
      append_event(c, now, id, to, *text);
    return true;
  });
}

void PgStore::update(const std::string& id, const JobUpdate& update_in) {
  const std::string what = "updating job " + id;
  JobUpdate update = update_in;
  if (update.reason) update.reason = cap_text(*update.reason, kMaxReasonBytes);
  impl_->transaction(what, [&] {
    if (apply_update(impl_->conn.get(), id, std::nullopt, update, wall_ms()) == 0)
      throw Error(XRUN_E_NOT_FOUND, impl_->shown + ": " + what + ": no such job");
  });
}

std::vector<Event> PgStore::events_since(int64_t after_seq, int64_t max) const {
  return impl_->single("reading events", [&] {
    PgParams p;
    p.add(after_seq);
    std::string sql = "SELECT seq, time_ms, job_id, state, message, " XRUN_SQL_PREVIOUS_EVENT_STATE
                      " FROM events WHERE seq > $1 ORDER BY seq";
    if (max > 0) {
      sql += " LIMIT $2";
      p.add(max);
    }
    PgResult r = pg_exec(impl_->conn.get(), sql, p);
    std::vector<Event> events;
    events.reserve(static_cast<size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      Event e;
      e.seq = r.int64(i, 0);
      e.time_ms = r.int64(i, 1);
      e.job_id = r.text(i, 2);
      e.state = static_cast<xrun_state>(r.int64(i, 3));
      e.message = r.text(i, 4);
      e.reason_only = !r.is_null(i, 5) && r.int64(i, 5) == r.int64(i, 3);
      events.push_back(std::move(e));
    }
    return events;
  });
}

int64_t PgStore::last_event_seq() const {
  return impl_->single("reading the last event", [&] {
    // The counter only moves with a committed event, so it is the newest
    // committed seq.
    return pg_exec(impl_->conn.get(), "SELECT last_seq FROM event_counter").int64(0, 0);
  });
}

Store::PruneCounts PgStore::prune_jobs(const std::vector<int>& states, int64_t before_ms) {
  return impl_->transaction("pruning old jobs", [&] {
    PGconn* c = impl_->conn.get();
    PgParams p;
    p.add(before_ms);
    std::string in;
    for (int state : states) {
      in += (in.empty() ? "" : ", ") + p.next();
      p.add(int64_t{state});
    }
    if (in.empty()) return PruneCounts{};
    // One statement: the rows are locked (FOR UPDATE), so a job another
    // host moves out of these states meanwhile is not taken; the events'
    // foreign key is checked at the statement's end, when both are gone.
    PgResult r = pg_exec(c,
                         "WITH old AS (SELECT id FROM jobs WHERE state IN (" + in +
                             ") AND COALESCE(ended_ms, updated_ms) < $1 FOR UPDATE), "
                             "gone_events AS (DELETE FROM events WHERE job_id IN (SELECT id FROM old) RETURNING 1), "
                             "gone_attempts AS (DELETE FROM attempts WHERE job_id IN (SELECT id FROM old) RETURNING 1), "
                             "gone_jobs AS (DELETE FROM jobs WHERE id IN (SELECT id FROM old) RETURNING 1) "
                             "SELECT (SELECT count(*) FROM gone_jobs), (SELECT count(*) FROM gone_events)",
                         p);
    PruneCounts counts;
    counts.jobs = r.int64(0, 0);
    counts.events = r.int64(0, 1);
    return counts;
  });
}

std::vector<AttemptRecord> PgStore::attempts(const std::string& job_id) const {
  return impl_->single("reading the attempts of job " + job_id, [&] {
    PgParams p;
    p.add(job_id);
    PgResult r = pg_exec(impl_->conn.get(),
                         "SELECT number, scheduler_id, state, reason, exit_code, submitted_ms, started_ms, "
                         "ended_ms, corrections_json FROM attempts WHERE job_id = $1 ORDER BY number",
                         p);
    std::vector<AttemptRecord> out;
    for (int row = 0; row < r.rows(); ++row) {
      AttemptRecord a;
      a.job_id = job_id;
      a.number = r.int64(row, 0);
      a.scheduler_id = r.text(row, 1);
      a.state = static_cast<xrun_state>(r.int64(row, 2));
      a.reason = r.text(row, 3);
      a.exit_code = r.optional_int64(row, 4);
      a.submitted_ms = r.optional_int64(row, 5);
      a.started_ms = r.optional_int64(row, 6);
      a.ended_ms = r.optional_int64(row, 7);
      a.corrections = attempt_corrections_from_json(r.text(row, 8));
      out.push_back(std::move(a));
    }
    return out;
  });
}

void PgStore::set_write_listener(std::function<void()> listener) {
  impl_->write_listener = std::move(listener);
}

int64_t PgStore::data_version() const {
  std::call_once(impl_->listen_once, [this] { impl_->start_listening(); });
  // Without a listener (no pipe for it), every check says "maybe changed".
  if (!impl_->listener.joinable()) return impl_->notifications.fetch_add(1) + 1;
  return impl_->notifications.load();
}

bool PgStore::acquire_lease(const std::string& name, const std::string& owner, int64_t ttl_ms) {
  return impl_->single("acquiring lease " + name, [&] {
    // One statement decides (see SqliteStore::acquire_lease), by the
    // server's clock.
    PgParams p;
    p.add(name).add(owner).add(ttl_ms);
    return pg_exec(impl_->conn.get(),
                   std::string("INSERT INTO leases (name, owner, expires_ms) VALUES ($1, $2, ") + kServerNowMs +
                       " + $3) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_ms = "
                       "excluded.expires_ms WHERE leases.owner = excluded.owner OR leases.expires_ms <= " +
                       kServerNowMs,
                   p)
               .affected() > 0;
  });
}

void PgStore::release_lease(const std::string& name, const std::string& owner) {
  impl_->single("releasing lease " + name, [&] {
    PgParams p;
    p.add(name).add(owner);
    pg_exec(impl_->conn.get(), "DELETE FROM leases WHERE name = $1 AND owner = $2", p);
  });
}

std::string PgStore::lease_owner(const std::string& name) const {
  return impl_->single("reading lease " + name, [&] {
    PgParams p;
    p.add(name);
    PgResult r = pg_exec(impl_->conn.get(), "SELECT owner FROM leases WHERE name = $1", p);
    return r.rows() ? r.text(0, 0) : std::string();
  });
}

int64_t PgStore::last_poll_ms(const std::string& name) const {
  return impl_->single("reading poll time " + name, [&] {
    PgParams p;
    p.add(name);
    PgResult r = pg_exec(impl_->conn.get(), "SELECT last_ms FROM polls WHERE name = $1", p);
    return r.rows() ? r.int64(0, 0) : int64_t{0};
  });
}

void PgStore::set_last_poll_ms(const std::string& name, int64_t ms) {
  impl_->single("recording poll time " + name, [&] {
    PgParams p;
    p.add(name).add(ms);
    pg_exec(impl_->conn.get(),
            "INSERT INTO polls (name, last_ms) VALUES ($1, $2) "
            "ON CONFLICT (name) DO UPDATE SET last_ms = excluded.last_ms",
            p);
  });
}

}  // namespace xrun
