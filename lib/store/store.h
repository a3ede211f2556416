// The job store: one SQLite file (WAL, busy timeout, schema migrations,
// mode 0600) shared by every process of one user. Jobs are written before
// they are sent; every state change appends an event in the same
// transaction. Only this module opens SQLite. Thread-safe: one connection
// per Store guarded by a mutex; several processes coordinate through
// SQLite's locking (busy timeout + retry, never a "database is locked"
// error surfacing to the caller under normal contention).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xrun.h"

namespace xrun {

// What a job in XRUN_STATE_WAITING waits for before xrun sends it by
// itself. A column, never a prefix of the reason: behaviour must not depend
// on the wording of a message.
enum class WaitingFor {
  Nothing,       // not waiting
  Room,          // the scheduler's per-user cap refused it; resent when room frees up
  Connection,    // the send failed for a transport reason; resent with backoff
  Dependencies,  // parents not finished yet
  RetryBackoff,  // a retry waits out its backoff
  Deferred,      // recorded only ("defer": true); the next poll round sends it
};
// "" for Nothing, else "room", "connection", ...
const char* waiting_for_name(WaitingFor w);
// Unknown text (a newer xrun's value) reads as Nothing.
WaitingFor waiting_for_from_name(const std::string& name);

struct JobRecord {
  std::string id;               // xrun id (ULID)
  std::string machine;
  std::string name;
  xrun_state state = XRUN_STATE_CREATED;
  std::string scheduler_id;     // "" until submitted
  std::optional<int64_t> exit_code;
  std::string reason;           // why it is in this state
  std::string spec_json;        // the normalised job spec
  std::string job_dir;          // absolute on the machine
  std::string result_json;      // parsed result, "" if none
  int64_t created_ms = 0;
  std::optional<int64_t> submitted_ms, started_ms, ended_ms;
  int64_t updated_ms = 0;
  int64_t attempts = 0;         // submission attempts
  WaitingFor waiting_for = WaitingFor::Nothing;
  std::string last_error;       // the last failed send, "" if none
  int64_t next_try_ms = 0;      // when a poll round may send it again (0: at once)
};

struct Event {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string job_id;
  xrun_state state = XRUN_STATE_CREATED;
  std::string message;
};

// A change to apply to a job together with its state transition.
// Reasons and event messages are kept up to this many bytes (cap_text).
constexpr size_t kMaxReasonBytes = 4096;

struct JobUpdate {
  std::optional<std::string> scheduler_id;
  std::optional<int64_t> exit_code;
  std::optional<std::string> reason;
  std::optional<std::string> job_dir;
  std::optional<std::string> result_json;
  std::optional<int64_t> submitted_ms, started_ms, ended_ms;
  std::optional<WaitingFor> waiting_for;
  std::optional<std::string> last_error;
  std::optional<int64_t> next_try_ms;
  bool bump_attempts = false;
};

class Store {
 public:
  // Opens or creates the database at `path` (parent directory must exist),
  // migrating the schema to the current version. Throws Error(XRUN_E_STORE)
  // naming the path, or if the file's schema is newer than this build.
  // A Store must not cross fork(): a child process opens its own.
  // ReadOnly opens an existing store without any lock or write (Error
  // XRUN_E_NOT_FOUND if there is none, XRUN_E_STORE if its schema needs
  // migrating); writes then fail with XRUN_E_STORE.
  enum class Mode { ReadWrite, ReadOnly };
  explicit Store(const std::string& path, Mode mode = Mode::ReadWrite);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const;
  int schema_version() const;
  // The schema version this build creates and understands.
  static int latest_schema_version();

  // Inserts a new job (normally state CREATED) and its first event, in one
  // transaction. created_ms/updated_ms of 0 mean "now". A duplicate id
  // throws Error(XRUN_E_STORE).
  void insert_job(const JobRecord& job);
  // Inserts several jobs, each with its first event, in ONE transaction
  // (one fsync for all: a driver may record thousands at once).
  void insert_jobs(const std::vector<JobRecord>& jobs);
  std::optional<JobRecord> get_job(const std::string& id) const;
  // Newest first. machine "" = all; state < 0 = all; limit <= 0 = all.
  std::vector<JobRecord> list_jobs(const std::string& machine, int state, int64_t limit) const;
  // Jobs in a non-terminal state past CREATED (submitted..running), oldest
  // first. machine "" = all.
  std::vector<JobRecord> active_jobs(const std::string& machine) const;
  // Jobs in CREATED or SUBMITTING (for crash recovery).
  std::vector<JobRecord> unsent_jobs() const;
  // Jobs in WAITING, oldest first. machine "" = all.
  std::vector<JobRecord> waiting_jobs(const std::string& machine) const;
  // Machines with jobs a poll round has work for: active (submitted..
  // running) or waiting to be sent.
  std::vector<std::string> machines_with_work() const;

  // Atomically: if the job's current state is one of `allowed_from` (empty:
  // any), set it to `to`, apply `update`, and append an event with
  // `message`. Returns false (and changes nothing) if the current state
  // was not allowed -- another process got there first. A transition to the
  // state the job is already in only updates fields, with no event, unless
  // the reason changed: then one event (text `message`, or the new reason if
  // `message` is empty). Throws Error(XRUN_E_NOT_FOUND) for an unknown id.
  bool transition(const std::string& id, const std::vector<xrun_state>& allowed_from,
                  xrun_state to, const JobUpdate& update, const std::string& message);
  // Applies `update` without a state change or event. Throws
  // Error(XRUN_E_NOT_FOUND) if there is no such job (as does transition).
  void update(const std::string& id, const JobUpdate& update);

  std::vector<Event> events_since(int64_t after_seq, int64_t max) const;
  int64_t last_event_seq() const;

  // Deletes the jobs whose state is one of `states` and that ended (or,
  // without an end time, were last updated) before `before_ms`, with all
  // their events, in one transaction. Event sequence numbers are never
  // reused, so followers are not confused.
  struct PruneCounts {
    int64_t jobs = 0;
    int64_t events = 0;
  };
  PruneCounts prune_jobs(const std::vector<int>& states, int64_t before_ms);

  // Called after every write transaction of THIS Store ends (committed or
  // not; a spurious call is harmless), outside the store's lock, so that
  // same-process waiters for new events wake at once. Set it before the
  // Store is shared between threads.
  void set_write_listener(std::function<void()> listener);
  // SQLite's PRAGMA data_version: it changes when ANOTHER connection (any
  // process) commits -- a cheap test of whether re-reading is worth it.
  int64_t data_version() const;

  // A named lease shared across processes (e.g. "poll:host:user"): returns
  // true if `owner` now holds it until now + ttl_ms (acquired, renewed, or
  // taken over after expiry).
  bool acquire_lease(const std::string& name, const std::string& owner, int64_t ttl_ms);
  void release_lease(const std::string& name, const std::string& owner);
  // Who holds the named lease ("" if nobody), expired or not.
  std::string lease_owner(const std::string& name) const;
  // When the named poll last completed (ms since the epoch), 0 if never;
  // lets processes share min_poll_interval.
  int64_t last_poll_ms(const std::string& name) const;
  void set_last_poll_ms(const std::string& name, int64_t ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xrun
