#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <type_traits>

#include "store/schema.h"
#include "store/sqlite_handle.h"
#include "store/transition_event.h"
#include "store/attempt_json.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/strings.h"

namespace xrun {

namespace {

using store::SqliteFailure;
using store::Statement;

// SQLite's own busy handler waits this long for a lock on each statement...
constexpr int kBusyTimeoutMs = 10000;
// ...and when it still gives up (or returns BUSY without waiting, as it does
// for WAL recovery and some checkpoint races) the whole transaction is
// retried until this much time has passed. Only then does the caller see
// "database is locked": that is no longer normal contention.
constexpr int64_t kRetryBudgetMs = 60000;

const char kJobColumns[] =
    "id, machine, name, state, scheduler_id, exit_code, reason, spec_json, job_dir, result_json, "
    "created_ms, submitted_ms, started_ms, ended_ms, updated_ms, attempts, waiting_for, last_error, "
    "next_try_ms, content_hash, cached_from";

JobRecord read_job(const Statement& s) {
  JobRecord j;
  j.id = s.text(0);
  j.machine = s.text(1);
  j.name = s.text(2);
  j.state = static_cast<xrun_state>(s.int64(3));
  j.scheduler_id = s.text(4);
  j.exit_code = s.optional_int64(5);
  j.reason = s.text(6);
  j.spec_json = s.text(7);
  j.job_dir = s.text(8);
  j.result_json = s.text(9);
  j.created_ms = s.int64(10);
  j.submitted_ms = s.optional_int64(11);
  j.started_ms = s.optional_int64(12);
  j.ended_ms = s.optional_int64(13);
  j.updated_ms = s.int64(14);
  j.attempts = s.int64(15);
  j.waiting_for = waiting_for_from_name(s.text(16));
  j.last_error = s.text(17);
  j.next_try_ms = s.int64(18);
  j.content_hash = s.text(19);
  j.cached_from = s.text(20);
  return j;
}

std::vector<JobRecord> read_jobs(Statement& s) {
  std::vector<JobRecord> jobs;
  while (s.step()) jobs.push_back(read_job(s));
  return jobs;
}

// Writes the fields `update` sets (and the state, if given) to job `id`;
// returns how many rows changed (0: no such job).
int apply_update(sqlite3* db, const std::string& id, std::optional<xrun_state> state,
                 const JobUpdate& update, int64_t now) {
  std::string sql = "UPDATE jobs SET updated_ms = ?";
  auto add = [&sql](bool present, const char* column) {
    if (present) sql += std::string(", ") + column + " = ?";
  };
  add(state.has_value(), "state");
  add(update.scheduler_id.has_value(), "scheduler_id");
  add(update.exit_code.has_value(), "exit_code");
  add(update.reason.has_value(), "reason");
  add(update.job_dir.has_value(), "job_dir");
  add(update.result_json.has_value(), "result_json");
  add(update.submitted_ms.has_value(), "submitted_ms");
  add(update.started_ms.has_value(), "started_ms");
  add(update.ended_ms.has_value(), "ended_ms");
  add(update.waiting_for.has_value(), "waiting_for");
  add(update.last_error.has_value(), "last_error");
  add(update.next_try_ms.has_value(), "next_try_ms");
  add(update.spec_json.has_value(), "spec_json");
  if (update.bump_attempts) sql += ", attempts = attempts + 1";
  if (update.clear_run) {
    if (!update.scheduler_id) sql += ", scheduler_id = ''";
    if (!update.exit_code) sql += ", exit_code = NULL";
    if (!update.submitted_ms) sql += ", submitted_ms = NULL";
    if (!update.started_ms) sql += ", started_ms = NULL";
    if (!update.ended_ms) sql += ", ended_ms = NULL";
  }
  sql += " WHERE id = ?";

  Statement s(db, sql.c_str());
  s.bind(now);
  if (state) s.bind(static_cast<int64_t>(*state));
  if (update.scheduler_id) s.bind(*update.scheduler_id);
  if (update.exit_code) s.bind(*update.exit_code);
  if (update.reason) s.bind(*update.reason);
  if (update.job_dir) s.bind(*update.job_dir);
  if (update.result_json) s.bind(*update.result_json);
  if (update.submitted_ms) s.bind(*update.submitted_ms);
  if (update.started_ms) s.bind(*update.started_ms);
  if (update.ended_ms) s.bind(*update.ended_ms);
  if (update.waiting_for) s.bind(std::string(waiting_for_name(*update.waiting_for)));
  if (update.last_error) s.bind(*update.last_error);
  if (update.next_try_ms) s.bind(*update.next_try_ms);
  if (update.spec_json) s.bind(*update.spec_json);
  s.bind(id);
  s.run();
  return sqlite3_changes(db);
}

void insert_attempt(sqlite3* db, const AttemptRecord& a) {
  Statement s(db,
              "INSERT INTO attempts (job_id, number, scheduler_id, state, reason, exit_code, submitted_ms, "
              "started_ms, ended_ms, corrections_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
              "ON CONFLICT (job_id, number) DO NOTHING");
  s.bind(a.job_id).bind(a.number).bind(a.scheduler_id).bind(static_cast<int64_t>(a.state));
  s.bind(cap_text(a.reason, kMaxReasonBytes)).bind(a.exit_code).bind(a.submitted_ms).bind(a.started_ms);
  s.bind(a.ended_ms).bind(attempt_corrections_to_json(a.corrections));
  s.run();
}

void append_event(sqlite3* db, int64_t now, const std::string& job_id, xrun_state state,
                  const std::string& message) {
  Statement s(db, "INSERT INTO events (time_ms, job_id, state, message) VALUES (?, ?, ?, ?)");
  s.bind(now).bind(job_id).bind(static_cast<int64_t>(state)).bind(message);
  s.run();
}

// The database file is created by us, not by SQLite, so that it is never
// readable by others even for an instant (SQLite would use 0644 & ~umask).
void create_private_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    throw Error(XRUN_E_STORE, path + ": creating the database file: " + std::strerror(errno));
  ::close(fd);
}

// SQLite gives -wal and -shm the main file's mode, but files left by an
// older tool or a looser umask may be wider: tighten them. Failure (another
// user's file) is left for SQLite to report when it opens them.
void tighten_sidecar_modes(const std::string& path) {
  for (const char* suffix : {"-wal", "-shm"}) {
    std::string side = path + suffix;
    struct stat st;
    if (::stat(side.c_str(), &st) == 0 && (st.st_mode & 077) != 0) ::chmod(side.c_str(), 0600);
  }
}

}  // namespace

struct SqliteStore::Impl {
  std::string path;
  int schema_version = 0;
  int schema_version_at_open = -1;
  mutable std::mutex mutex;  // guards db: one connection, one user at a time
  store::Connection db;
  std::function<void()> write_listener;  // set before sharing, then read-only
  mutable std::minstd_rand jitter{static_cast<unsigned>(::getpid()) ^
                          static_cast<unsigned>(monotonic_ms())};

  Error failure(const std::string& what, const std::exception& e) const {
    return Error(XRUN_E_STORE, path + ": " + what + ": " + e.what());
  }

  void rollback_if_open() const {
    if (db && !sqlite3_get_autocommit(db.get()))
      sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  // Runs `body` (in a BEGIN IMMEDIATE transaction when `write`), retrying
  // the whole of it on lock contention. Caller holds `mutex`.
  template <class Body>
  auto attempt(const std::string& what, bool write, Body&& body) const -> decltype(body()) {
    const int64_t deadline = monotonic_ms() + kRetryBudgetMs;
    for (int tries = 0;; ++tries) {
      try {
        if (!write) return body();
        // IMMEDIATE takes the write lock up front: a deferred transaction
        // that reads then writes can fail with BUSY_SNAPSHOT, which no
        // amount of waiting fixes.
        store::exec(db.get(), "BEGIN IMMEDIATE");
        if constexpr (std::is_void_v<decltype(body())>) {
          body();
          store::exec(db.get(), "COMMIT");
          return;
        } else {
          auto result = body();
          store::exec(db.get(), "COMMIT");
          return result;
        }
      } catch (const SqliteFailure& e) {
        rollback_if_open();
        if (!e.is_contention() || monotonic_ms() >= deadline) throw failure(what, e);
        // Jittered backoff so that processes woken together do not collide again.
        int cap = std::min(100, 2 << std::min(tries, 6));
        std::this_thread::sleep_for(std::chrono::milliseconds(1 + jitter() % cap));
      } catch (...) {
        rollback_if_open();
        throw;
      }
    }
  }

  template <class Body>
  auto read(const std::string& what, Body&& body) const {
    std::lock_guard<std::mutex> lock(mutex);
    return attempt(what, false, std::forward<Body>(body));
  }

  template <class Body>
  auto write(const std::string& what, Body&& body) {
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

  // Read-only: no file is created, no lock is taken to open, the schema is
  // only checked (a store that needs migrating is refused: open it once
  // for writing). The file itself may be read-only.
  void open_read_only() {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
      throw Error(XRUN_E_NOT_FOUND, path + ": no job store here (" + std::strerror(errno) + ")");
    try {
      connect_read_only(path, SQLITE_OPEN_READONLY);
    } catch (const Error&) {
      // A WAL store needs its -shm file; a user who cannot create it (a
      // store file and directory they may not write) reads the file as an
      // immutable snapshot instead.
      if (::access(path.c_str(), W_OK) == 0) throw;
      connect_read_only("file:" + uri_path(path) + "?immutable=1", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
    }
    if (schema_version != store::latest_schema_version())
      throw Error(XRUN_E_STORE, path + ": schema version " + std::to_string(schema_version) + " is not " +
                                    std::to_string(store::latest_schema_version()) +
                                    ": open the store for writing once to migrate it");
  }

  // The path for a file: URI ('%', '?' and '#' escaped).
  static std::string uri_path(const std::string& p) {
    std::string out;
    for (char c : p) {
      if (c == '%') out += "%25";
      else if (c == '?') out += "%3f";
      else if (c == '#') out += "%23";
      else out += c;
    }
    return out;
  }

  void connect_read_only(const std::string& name, int flags) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(name.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    db.reset(raw);
    if (rc != SQLITE_OK) {
      std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
      throw Error(XRUN_E_STORE, path + ": opening the database read-only: " + message);
    }
    sqlite3_extended_result_codes(db.get(), 1);
    sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
    std::lock_guard<std::mutex> lock(mutex);
    attempt("reading the schema version", false, [&] {
      Statement v(db.get(), "PRAGMA user_version");
      schema_version = v.step() ? static_cast<int>(v.int64(0)) : 0;
      schema_version_at_open = schema_version;
    });
  }

  void open() {
    create_private_file(path);
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    db.reset(raw);
    if (rc != SQLITE_OK) {
      std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
      throw Error(XRUN_E_STORE, path + ": opening the database: " + message);
    }
    sqlite3_extended_result_codes(db.get(), 1);
    sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);

    std::lock_guard<std::mutex> lock(mutex);
    // Switching to WAL needs an exclusive lock once per file; later opens
    // find it already set. Retried like any other contention.
    attempt("setting WAL mode", false, [&] {
      Statement s(db.get(), "PRAGMA journal_mode = WAL");
      std::string mode = s.step() ? s.text(0) : "";
      if (mode != "wal")
        throw Error(XRUN_E_STORE, path + ": setting WAL mode: journal mode stayed '" + mode + "'");
    });
    // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on a
    // power cut or kernel crash. A job is recorded *before* it is sent to a
    // cluster precisely so that it can be found again after a crash; losing
    // that record would orphan a job that is burning allocation. The cost is
    // one fsync of the WAL per transaction, and xrun writes a few per job.
    attempt("configuring the connection", false, [&] {
      store::exec(db.get(), "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF");
    });
    tighten_sidecar_modes(path);
    // Migrations run with foreign keys off (it cannot change inside a
    // transaction): rebuilding a table that others reference is SQLite's
    // documented way to change a constraint, and it must not cascade.
    migrate();
    attempt("configuring the connection", false, [&] { store::exec(db.get(), "PRAGMA foreign_keys = ON"); });
  }

  void migrate() {
    const int latest = store::latest_schema_version();
    for (;;) {
      bool done = attempt("migrating the schema", true, [&] {
        int current = 0;
        {
          // Finished before any migration runs: DROP TABLE fails with
          // "database table is locked" while a statement is still open.
          Statement v(db.get(), "PRAGMA user_version");
          current = v.step() ? static_cast<int>(v.int64(0)) : 0;
        }
        if (current > latest)
          throw Error(XRUN_E_STORE, path + ": schema version " + std::to_string(current) +
                                        " is newer than this xrun supports (" +
                                        std::to_string(latest) + ")");
        schema_version = current;
        if (schema_version_at_open < 0) schema_version_at_open = current;
        if (current == latest) return true;
        // Another process may be migrating the same file: reading the
        // version inside the write transaction makes exactly one of us apply
        // each step.
        for (const auto& m : store::migrations()) {
          if (m.version <= current) continue;
          store::exec(db.get(), m.sql);
          store::exec(db.get(), ("PRAGMA user_version = " + std::to_string(m.version)).c_str());
          schema_version = m.version;
          break;
        }
        return false;
      });
      if (done) return;
    }
  }
};

SqliteStore::SqliteStore(const std::string& path, Mode mode) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  if (mode == Mode::ReadOnly) impl_->open_read_only();
  else impl_->open();
}

SqliteStore::~SqliteStore() = default;

const std::string& SqliteStore::path() const { return impl_->path; }
int SqliteStore::schema_version() const { return impl_->schema_version; }
int SqliteStore::schema_version_at_open() const { return impl_->schema_version_at_open; }
const char* SqliteStore::backend() const { return "sqlite"; }

int64_t SqliteStore::job_count() const {
  return impl_->read("counting jobs", [&] {
    Statement s(impl_->db.get(), "SELECT count(*) FROM jobs");
    return s.step() ? s.int64(0) : int64_t{0};
  });
}

namespace {

void insert_row(sqlite3* db, const JobRecord& job, int64_t now) {
  Statement s(db,
              "INSERT INTO jobs (id, machine, name, state, scheduler_id, exit_code, reason, "
              "spec_json, job_dir, result_json, created_ms, submitted_ms, started_ms, ended_ms, "
              "updated_ms, attempts, waiting_for, last_error, next_try_ms, content_hash, cached_from) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind(job.id).bind(job.machine).bind(job.name).bind(static_cast<int64_t>(job.state));
  s.bind(job.scheduler_id).bind(job.exit_code).bind(job.reason).bind(job.spec_json);
  s.bind(job.job_dir).bind(job.result_json).bind(job.created_ms ? job.created_ms : now);
  s.bind(job.submitted_ms).bind(job.started_ms).bind(job.ended_ms);
  s.bind(job.updated_ms ? job.updated_ms : now).bind(job.attempts);
  s.bind(std::string(waiting_for_name(job.waiting_for))).bind(job.last_error).bind(job.next_try_ms);
  s.bind(job.content_hash).bind(job.cached_from);
  s.run();
  append_event(db, now, job.id, job.state, job.reason.empty() ? "created" : job.reason);
}

}  // namespace

void SqliteStore::insert_job(const JobRecord& job) {
  impl_->write("inserting job " + job.id, [&] { insert_row(impl_->db.get(), job, wall_ms()); });
}

void SqliteStore::insert_jobs(const std::vector<JobRecord>& jobs) {
  if (jobs.empty()) return;
  impl_->write("inserting " + std::to_string(jobs.size()) + " jobs", [&] {
    const int64_t now = wall_ms();
    for (const auto& job : jobs) insert_row(impl_->db.get(), job, now);
  });
}

int64_t SqliteStore::delete_unsent_jobs(const std::vector<std::string>& ids) {
  if (ids.empty()) return 0;
  return impl_->write("deleting " + std::to_string(ids.size()) + " unsent jobs", [&] {
    sqlite3* db = impl_->db.get();
    int64_t deleted = 0;
    // In parts: one statement's parameters stay few whatever the array's size.
    constexpr size_t kPart = 500;
    for (size_t first = 0; first < ids.size(); first += kPart) {
      const size_t last = std::min(ids.size(), first + kPart);
      std::string in;
      for (size_t i = first; i < last; ++i) in += i == first ? "?" : ", ?";
      const std::string unsent = "SELECT id FROM jobs WHERE id IN (" + in + ") AND state = " +
                                 std::to_string(static_cast<int>(XRUN_STATE_CREATED));
      Statement events(db, ("DELETE FROM events WHERE job_id IN (" + unsent + ")").c_str());
      for (size_t i = first; i < last; ++i) events.bind(ids[i]);
      events.run();
      Statement jobs(db, ("DELETE FROM jobs WHERE id IN (" + unsent + ")").c_str());
      for (size_t i = first; i < last; ++i) jobs.bind(ids[i]);
      jobs.run();
      deleted += sqlite3_changes(db);
    }
    return deleted;
  });
}

std::optional<JobRecord> SqliteStore::get_job(const std::string& id) const {
  return impl_->read("reading job " + id, [&]() -> std::optional<JobRecord> {
    Statement s(impl_->db.get(), (std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?").c_str());
    s.bind(id);
    if (!s.step()) return std::nullopt;
    return read_job(s);
  });
}

std::vector<JobRecord> SqliteStore::list_jobs(const std::string& machine, int state, int64_t limit) const {
  return impl_->read("listing jobs", [&] {
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE 1";
    if (!machine.empty()) sql += " AND machine = ?";
    if (state >= 0) sql += " AND state = ?";
    sql += " ORDER BY created_ms DESC, id DESC LIMIT ?";
    Statement s(impl_->db.get(), sql.c_str());
    if (!machine.empty()) s.bind(machine);
    if (state >= 0) s.bind(static_cast<int64_t>(state));
    s.bind(limit > 0 ? limit : int64_t{-1});
    return read_jobs(s);
  });
}

std::vector<JobRecord> SqliteStore::active_jobs(const std::string& machine) const {
  return impl_->read("listing active jobs", [&] {
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE state IN (?, ?, ?, ?)";
    if (!machine.empty()) sql += " AND machine = ?";
    sql += " ORDER BY created_ms, id";
    Statement s(impl_->db.get(), sql.c_str());
    for (xrun_state st : {XRUN_STATE_SUBMITTED, XRUN_STATE_QUEUED, XRUN_STATE_HELD, XRUN_STATE_RUNNING})
      s.bind(static_cast<int64_t>(st));
    if (!machine.empty()) s.bind(machine);
    return read_jobs(s);
  });
}

std::vector<JobRecord> SqliteStore::unsent_jobs() const {
  return impl_->read("listing unsent jobs", [&] {
    Statement s(impl_->db.get(), (std::string("SELECT ") + kJobColumns +
                                  " FROM jobs WHERE state IN (?, ?) ORDER BY created_ms, id")
                                     .c_str());
    s.bind(static_cast<int64_t>(XRUN_STATE_CREATED)).bind(static_cast<int64_t>(XRUN_STATE_SUBMITTING));
    return read_jobs(s);
  });
}

std::vector<JobRecord> SqliteStore::waiting_jobs(const std::string& machine) const {
  return impl_->read("listing waiting jobs", [&] {
    std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE state = ?";
    if (!machine.empty()) sql += " AND machine = ?";
    sql += " ORDER BY created_ms, id";
    Statement s(impl_->db.get(), sql.c_str());
    s.bind(static_cast<int64_t>(XRUN_STATE_WAITING));
    if (!machine.empty()) s.bind(machine);
    return read_jobs(s);
  });
}

std::optional<JobRecord> SqliteStore::cache_source(const std::string& content_hash) const {
  if (content_hash.empty()) return std::nullopt;
  return impl_->read("looking up the cache", [&]() -> std::optional<JobRecord> {
    Statement s(impl_->db.get(), (std::string("SELECT ") + kJobColumns +
                                  " FROM jobs WHERE content_hash = ? AND state = ? AND cached_from = '' "
                                  "ORDER BY ended_ms DESC, id DESC LIMIT 1")
                                     .c_str());
    s.bind(content_hash).bind(static_cast<int64_t>(XRUN_STATE_COMPLETED));
    if (!s.step()) return std::nullopt;
    return read_job(s);
  });
}

std::vector<std::string> SqliteStore::machines_with_work() const {
  return impl_->read("listing machines with work", [&] {
    Statement s(impl_->db.get(), "SELECT DISTINCT machine FROM jobs WHERE state IN (?, ?, ?, ?, ?) ORDER BY machine");
    for (xrun_state st : {XRUN_STATE_SUBMITTED, XRUN_STATE_QUEUED, XRUN_STATE_HELD, XRUN_STATE_RUNNING,
                          XRUN_STATE_WAITING})
      s.bind(static_cast<int64_t>(st));
    std::vector<std::string> names;
    while (s.step()) names.push_back(s.text(0));
    return names;
  });
}

bool SqliteStore::transition(const std::string& id, const std::vector<xrun_state>& allowed_from,
                       xrun_state to, const JobUpdate& update_in, const std::string& message_in) {
  const std::string what = "moving job " + id + " to state " + std::to_string(to);
  // Reasons and messages can carry a remote's output: capped, so a 100 MB
  // scheduler message cannot grow the store by its size.
  JobUpdate update = update_in;
  if (update.reason) update.reason = cap_text(*update.reason, kMaxReasonBytes);
  const std::string message = cap_text(message_in, kMaxReasonBytes);
  return impl_->write(what, [&] {
    sqlite3* db = impl_->db.get();
    // Reading and writing in one IMMEDIATE transaction makes this a
    // compare-and-set across processes: nobody can change the state between.
    Statement current(db, "SELECT state, reason FROM jobs WHERE id = ?");
    current.bind(id);
    if (!current.step()) throw Error(XRUN_E_NOT_FOUND, impl_->path + ": " + what + ": no such job");
    const auto from = static_cast<xrun_state>(current.int64(0));
    const std::string old_reason = current.text(1);
    if (!allowed_from.empty() &&
        std::find(allowed_from.begin(), allowed_from.end(), from) == allowed_from.end())
      return false;

    const int64_t now = wall_ms();
    apply_update(db, id, to, update, now);
    if (update.add_attempt) insert_attempt(db, *update.add_attempt);
    if (auto text = transition_event_text(from, to, old_reason, update, message))
      append_event(db, now, id, to, *text);
    return true;
  });
}

void SqliteStore::update(const std::string& id, const JobUpdate& update_in) {
  const std::string what = "updating job " + id;
  JobUpdate update = update_in;
  if (update.reason) update.reason = cap_text(*update.reason, kMaxReasonBytes);
  impl_->write(what, [&] {
    if (apply_update(impl_->db.get(), id, std::nullopt, update, wall_ms()) == 0)
      throw Error(XRUN_E_NOT_FOUND, impl_->path + ": " + what + ": no such job");
  });
}

std::vector<Event> SqliteStore::events_since(int64_t after_seq, int64_t max) const {
  return impl_->read("reading events", [&] {
    Statement s(impl_->db.get(),
                "SELECT seq, time_ms, job_id, state, message, " XRUN_SQL_PREVIOUS_EVENT_STATE
                " FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
    s.bind(after_seq).bind(max > 0 ? max : int64_t{-1});
    std::vector<Event> events;
    while (s.step()) {
      Event e;
      e.seq = s.int64(0);
      e.time_ms = s.int64(1);
      e.job_id = s.text(2);
      e.state = static_cast<xrun_state>(s.int64(3));
      e.message = s.text(4);
      e.reason_only = s.optional_int64(5) == s.int64(3);
      events.push_back(std::move(e));
    }
    return events;
  });
}

std::vector<AttemptRecord> SqliteStore::attempts(const std::string& job_id) const {
  return impl_->read("reading the attempts of job " + job_id, [&] {
    Statement s(impl_->db.get(),
                "SELECT number, scheduler_id, state, reason, exit_code, submitted_ms, started_ms, ended_ms, "
                "corrections_json FROM attempts WHERE job_id = ? ORDER BY number");
    s.bind(job_id);
    std::vector<AttemptRecord> out;
    while (s.step()) {
      AttemptRecord a;
      a.job_id = job_id;
      a.number = s.int64(0);
      a.scheduler_id = s.text(1);
      a.state = static_cast<xrun_state>(s.int64(2));
      a.reason = s.text(3);
      a.exit_code = s.optional_int64(4);
      a.submitted_ms = s.optional_int64(5);
      a.started_ms = s.optional_int64(6);
      a.ended_ms = s.optional_int64(7);
      a.corrections = attempt_corrections_from_json(s.text(8));
      out.push_back(std::move(a));
    }
    return out;
  });
}

int64_t SqliteStore::last_event_seq() const {
  return impl_->read("reading the last event", [&] {
    Statement s(impl_->db.get(), "SELECT COALESCE(MAX(seq), 0) FROM events");
    return s.step() ? s.int64(0) : int64_t{0};
  });
}

Store::PruneCounts SqliteStore::prune_jobs(const std::vector<int>& states, int64_t before_ms) {
  return impl_->write("pruning old jobs", [&] {
    sqlite3* db = impl_->db.get();
    std::string in;
    for (int state : states) in += (in.empty() ? "" : ", ") + std::to_string(state);
    if (in.empty()) return PruneCounts{};
    const std::string old_jobs =
        "SELECT id FROM jobs WHERE state IN (" + in + ") AND COALESCE(ended_ms, updated_ms) < ?";
    PruneCounts counts;
    Statement events(db, ("DELETE FROM events WHERE job_id IN (" + old_jobs + ")").c_str());
    events.bind(before_ms);
    events.run();
    counts.events = sqlite3_changes(db);
    Statement attempts(db, ("DELETE FROM attempts WHERE job_id IN (" + old_jobs + ")").c_str());
    attempts.bind(before_ms);
    attempts.run();
    Statement jobs(db, ("DELETE FROM jobs WHERE id IN (" + old_jobs + ")").c_str());
    jobs.bind(before_ms);
    jobs.run();
    counts.jobs = sqlite3_changes(db);
    return counts;
  });
}

void SqliteStore::set_write_listener(std::function<void()> listener) {
  impl_->write_listener = std::move(listener);
}

int64_t SqliteStore::data_version() const {
  return impl_->read("reading the data version", [&] {
    Statement s(impl_->db.get(), "PRAGMA data_version");
    return s.step() ? s.int64(0) : int64_t{0};
  });
}

bool SqliteStore::acquire_lease(const std::string& name, const std::string& owner, int64_t ttl_ms) {
  return impl_->write("acquiring lease " + name, [&] {
    sqlite3* db = impl_->db.get();
    const int64_t now = wall_ms();
    // One statement decides: a new lease, a renewal by its owner, or a
    // takeover of an expired one all write the row; anything else leaves
    // it alone, and the change count says which happened.
    Statement s(db,
                "INSERT INTO leases (name, owner, expires_ms) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_ms = excluded.expires_ms "
                "WHERE leases.owner = excluded.owner OR leases.expires_ms <= ?");
    s.bind(name).bind(owner).bind(now + ttl_ms).bind(now);
    s.run();
    return sqlite3_changes(db) > 0;
  });
}

void SqliteStore::release_lease(const std::string& name, const std::string& owner) {
  impl_->write("releasing lease " + name, [&] {
    Statement s(impl_->db.get(), "DELETE FROM leases WHERE name = ? AND owner = ?");
    s.bind(name).bind(owner);
    s.run();
  });
}

std::string SqliteStore::lease_owner(const std::string& name) const {
  return impl_->read("reading lease " + name, [&] {
    Statement s(impl_->db.get(), "SELECT owner FROM leases WHERE name = ?");
    s.bind(name);
    return s.step() ? s.text(0) : std::string();
  });
}

int64_t SqliteStore::last_poll_ms(const std::string& name) const {
  return impl_->read("reading poll time " + name, [&] {
    Statement s(impl_->db.get(), "SELECT last_ms FROM polls WHERE name = ?");
    s.bind(name);
    return s.step() ? s.int64(0) : int64_t{0};
  });
}

void SqliteStore::set_last_poll_ms(const std::string& name, int64_t ms) {
  impl_->write("recording poll time " + name, [&] {
    Statement s(impl_->db.get(),
                "INSERT INTO polls (name, last_ms) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET last_ms = excluded.last_ms");
    s.bind(name).bind(ms);
    s.run();
  });
}

}  // namespace xrun
