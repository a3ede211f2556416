// The job store's interface: what the rest of xrun may ask of the place
// where jobs, their events, poll leases and poll times are kept. Every
// implementation keeps the same guarantees; open_store() chooses one from
// the store's location: SQLite (sqlite_store.h, the embedded default, one
// file per user and host) or PostgreSQL (pg_store.h, one database shared
// by processes on any number of hosts). Only lib/store speaks SQL.
//
// Guarantees every implementation gives:
// - write-before-act: a call returns only once its change is durable;
// - transition() is a compare-and-set across processes and hosts, and a
//   state change and its event are committed together or not at all;
// - event seq numbers are handed out in commit order with no gaps (only
//   prune_jobs removes numbers, never reusing them), so a follower reading
//   `seq > N` never skips an event committed after it read;
// - leases and poll times are shared by every process using the store.
// Thread-safe: a Store may be used by several threads at once. A Store must
// not cross fork(): a child process opens its own.
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
  // Caching (job_cache.h): the job's content hash ("" unless its spec said
  // "cache": true), and the job whose result it took without running ("").
  std::string content_hash;
  std::string cached_from;
};

// One scheduler job of an xrun job: a job retried by its policy ("retry"
// in its spec) runs as several attempts, numbered from 1, each recorded
// when it ends (Store::transition with JobUpdate::add_attempt).
struct AttemptRecord {
  std::string job_id;
  int64_t number = 0;
  std::string scheduler_id;
  xrun_state state = XRUN_STATE_CREATED;  // how it ended
  std::string reason;
  std::optional<int64_t> exit_code;
  std::optional<int64_t> submitted_ms, started_ms, ended_ms;
  std::vector<std::string> corrections;  // what was changed for the NEXT attempt ("walltime 00:01:00 -> 00:02:00")
};

struct Event {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string job_id;
  xrun_state state = XRUN_STATE_CREATED;
  std::string message;
  // The job's previous event had the same state: only the reason (the
  // message) changed, e.g. "queued (Priority)" -> "queued (Resources)".
  // Computed when reading, from the states (XRUN_SQL_PREVIOUS_EVENT_STATE).
  bool reason_only = false;
};

// SQL (SQLite and PostgreSQL alike) for the state of the same job's event
// before the one being read from `events`; NULL for a job's first event.
#define XRUN_SQL_PREVIOUS_EVENT_STATE                                                                       \
  "(SELECT p.state FROM events p WHERE p.job_id = events.job_id AND p.seq < events.seq " \
  "ORDER BY p.seq DESC LIMIT 1)"

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
  // The ended attempt to record in the same transaction (only if the
  // transition takes place); a second record of one number is ignored.
  std::optional<AttemptRecord> add_attempt;
  // Replaces the job's stored spec (a retry's next attempt).
  std::optional<std::string> spec_json;
  // Forgets the ended attempt (a retry): scheduler_id "", exit_code,
  // submitted/started/ended NULL -- before the fields set above, so
  // e.g. a reason given here stays.
  bool clear_run = false;
};

class Store {
 public:
  // ReadOnly opens an existing store without any lock or write (Error
  // XRUN_E_NOT_FOUND if there is none, XRUN_E_STORE if its schema needs
  // migrating); writes then fail with XRUN_E_STORE.
  enum class Mode { ReadWrite, ReadOnly };

  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Where the store is, fit to show: a file path, or a URL without its
  // password.
  virtual const std::string& path() const = 0;
  virtual int schema_version() const = 0;
  // The schema version the store had before this Store migrated it.
  virtual int schema_version_at_open() const = 0;
  // The schema version this build creates and understands (the same
  // numbering on every backend).
  static int latest_schema_version();
  // "sqlite" or "postgresql".
  virtual const char* backend() const = 0;
  // How many jobs the store holds.
  virtual int64_t job_count() const = 0;

  // Inserts a new job (normally state CREATED) and its first event, in one
  // transaction. created_ms/updated_ms of 0 mean "now". A duplicate id
  // throws Error(XRUN_E_STORE).
  virtual void insert_job(const JobRecord& job) = 0;
  // Inserts several jobs, each with its first event, in ONE transaction
  // (one commit for all: a driver may record thousands at once).
  virtual void insert_jobs(const std::vector<JobRecord>& jobs) = 0;
  // Deletes those of `ids` that are still in XRUN_STATE_CREATED (never
  // sent), with their events, in one transaction; returns how many. For
  // the tasks of an array the scheduler refused: they are made again when
  // the array is sent again.
  virtual int64_t delete_unsent_jobs(const std::vector<std::string>& ids) = 0;
  virtual std::optional<JobRecord> get_job(const std::string& id) const = 0;
  // Newest first. machine "" = all; state < 0 = all; limit <= 0 = all.
  virtual std::vector<JobRecord> list_jobs(const std::string& machine, int state, int64_t limit) const = 0;
  // Jobs in a non-terminal state past CREATED (submitted..running), oldest
  // first. machine "" = all.
  virtual std::vector<JobRecord> active_jobs(const std::string& machine) const = 0;
  // Jobs in CREATED or SUBMITTING (for crash recovery).
  virtual std::vector<JobRecord> unsent_jobs() const = 0;
  // Jobs in WAITING, oldest first. machine "" = all.
  virtual std::vector<JobRecord> waiting_jobs(const std::string& machine) const = 0;
  // The job a "cache": true job with this content hash may take its result
  // from: the newest completed job with the hash that ran itself (not one
  // that was itself served from the cache), or nullopt.
  virtual std::optional<JobRecord> cache_source(const std::string& content_hash) const = 0;
  // Machines with jobs a poll round has work for: active (submitted..
  // running) or waiting to be sent.
  virtual std::vector<std::string> machines_with_work() const = 0;

  // Atomically: if the job's current state is one of `allowed_from` (empty:
  // any), set it to `to`, apply `update`, and append an event with
  // `message`. Returns false (and changes nothing) if the current state
  // was not allowed -- another process got there first. A transition to the
  // state the job is already in only updates fields, with no event, unless
  // the reason changed: then one event (text `message`, or the new reason if
  // `message` is empty). Reasons and messages are capped (kMaxReasonBytes).
  // Throws Error(XRUN_E_NOT_FOUND) for an unknown id.
  virtual bool transition(const std::string& id, const std::vector<xrun_state>& allowed_from,
                          xrun_state to, const JobUpdate& update, const std::string& message) = 0;
  // Applies `update` without a state change or event. Throws
  // Error(XRUN_E_NOT_FOUND) if there is no such job (as does transition).
  virtual void update(const std::string& id, const JobUpdate& update) = 0;

  // The job's recorded attempts, by number (empty for a job never retried
  // and not yet ended, or recorded before schema version 3).
  virtual std::vector<AttemptRecord> attempts(const std::string& job_id) const = 0;

  virtual std::vector<Event> events_since(int64_t after_seq, int64_t max) const = 0;
  virtual int64_t last_event_seq() const = 0;

  // Deletes the jobs whose state is one of `states` and that ended (or,
  // without an end time, were last updated) before `before_ms`, with all
  // their events and attempts, in one transaction. Event sequence numbers are never
  // reused, so followers are not confused.
  struct PruneCounts {
    int64_t jobs = 0;
    int64_t events = 0;
  };
  virtual PruneCounts prune_jobs(const std::vector<int>& states, int64_t before_ms) = 0;

  // Called after every write transaction of THIS Store ends (committed or
  // not; a spurious call is harmless), outside the store's lock, so that
  // same-process waiters for new events wake at once. A store whose server
  // pushes changes (PostgreSQL: LISTEN/NOTIFY) also calls it, from its
  // listening thread, when another process or host commits an event. Set
  // it before the Store is shared between threads.
  virtual void set_write_listener(std::function<void()> listener) = 0;
  // Changes when ANOTHER connection (any process) may have committed -- a
  // cheap test of whether re-reading is worth it. SQLite: PRAGMA
  // data_version. PostgreSQL: how many notifications arrived (the first
  // call starts listening; a lost listening connection also counts).
  virtual int64_t data_version() const = 0;

  // A named lease shared across processes and hosts (e.g.
  // "poll:host:user"): returns true if `owner` now holds it until now +
  // ttl_ms (acquired, renewed, or taken over after expiry).
  virtual bool acquire_lease(const std::string& name, const std::string& owner, int64_t ttl_ms) = 0;
  virtual void release_lease(const std::string& name, const std::string& owner) = 0;
  // Who holds the named lease ("" if nobody), expired or not.
  virtual std::string lease_owner(const std::string& name) const = 0;
  // When the named poll last completed (ms since the epoch), 0 if never;
  // lets processes share min_poll_interval.
  virtual int64_t last_poll_ms(const std::string& name) const = 0;
  virtual void set_last_poll_ms(const std::string& name, int64_t ms) = 0;

 protected:
  Store() = default;
};

// Opens (creating and migrating as needed, unless `mode` is ReadOnly) the
// store at `location`: a "postgresql://" or "postgres://" URL selects
// PostgreSQL, anything else is the path of a SQLite file (its parent
// directory must exist). Throws Error(XRUN_E_STORE) naming the location
// (never a password) when it cannot be opened or its schema is newer than
// this build.
std::unique_ptr<Store> open_store(const std::string& location, Store::Mode mode = Store::Mode::ReadWrite);

// Whether `location` names a PostgreSQL store ("postgresql://", "postgres://").
bool is_postgresql_url(const std::string& location);

}  // namespace xrun
