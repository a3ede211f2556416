#include "store/schema.h"

namespace xrun::store {

namespace {

// Version 1: jobs, the append-only event journal, leases and poll times.
// States are the integer values of xrun_state; the jobs_named view gives
// them names for someone inspecting the file with the sqlite3 shell.
const char kVersion1[] = R"sql(
CREATE TABLE jobs (
  id            TEXT PRIMARY KEY NOT NULL,
  machine       TEXT NOT NULL,
  name          TEXT NOT NULL,
  state         INTEGER NOT NULL CHECK (state BETWEEN 0 AND 13),
  scheduler_id  TEXT NOT NULL DEFAULT '',
  exit_code     INTEGER,
  reason        TEXT NOT NULL DEFAULT '',
  spec_json     TEXT NOT NULL DEFAULT '',
  job_dir       TEXT NOT NULL DEFAULT '',
  result_json   TEXT NOT NULL DEFAULT '',
  created_ms    INTEGER NOT NULL,
  submitted_ms  INTEGER,
  started_ms    INTEGER,
  ended_ms      INTEGER,
  updated_ms    INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_by_machine_state ON jobs (machine, state);
CREATE INDEX jobs_by_state ON jobs (state);
CREATE INDEX jobs_by_created ON jobs (created_ms, id);

CREATE TABLE events (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms  INTEGER NOT NULL,
  job_id   TEXT NOT NULL REFERENCES jobs (id),
  state    INTEGER NOT NULL,
  message  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_job ON events (job_id, seq);
-- Readers page through events by seq; a rewritten event would be missed.
CREATE TRIGGER events_append_only BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TABLE leases (
  name        TEXT PRIMARY KEY NOT NULL,
  owner       TEXT NOT NULL,
  expires_ms  INTEGER NOT NULL
);

CREATE TABLE polls (
  name     TEXT PRIMARY KEY NOT NULL,
  last_ms  INTEGER NOT NULL
);

CREATE VIEW jobs_named AS
SELECT jobs.*,
       CASE state
         WHEN 0 THEN 'created' WHEN 1 THEN 'submitting' WHEN 2 THEN 'submitted'
         WHEN 3 THEN 'queued' WHEN 4 THEN 'held' WHEN 5 THEN 'running'
         WHEN 6 THEN 'completed' WHEN 7 THEN 'failed' WHEN 8 THEN 'cancelled'
         WHEN 9 THEN 'timeout' WHEN 10 THEN 'out_of_memory' WHEN 11 THEN 'node_fail'
         WHEN 12 THEN 'preempted' WHEN 13 THEN 'lost' ELSE 'unknown'
       END AS state_name
FROM jobs;
)sql";

// Version 2: typed waiting. State 14 (waiting) joins the CHECK, which
// SQLite can only change by rebuilding the table (its documented procedure,
// run with foreign keys off: see Store). New columns say what a waiting job
// waits for and how its sends went. A v1 job that waited for room (told then
// by its reason's prefix, the last time that prefix is read) becomes
// waiting/room; every other row and every event is kept as it was.
const char kVersion2[] = R"sql(
DROP VIEW jobs_named;
CREATE TABLE jobs_v2 (
  id            TEXT PRIMARY KEY NOT NULL,
  machine       TEXT NOT NULL,
  name          TEXT NOT NULL,
  state         INTEGER NOT NULL CHECK (state BETWEEN 0 AND 14),
  scheduler_id  TEXT NOT NULL DEFAULT '',
  exit_code     INTEGER,
  reason        TEXT NOT NULL DEFAULT '',
  spec_json     TEXT NOT NULL DEFAULT '',
  job_dir       TEXT NOT NULL DEFAULT '',
  result_json   TEXT NOT NULL DEFAULT '',
  created_ms    INTEGER NOT NULL,
  submitted_ms  INTEGER,
  started_ms    INTEGER,
  ended_ms      INTEGER,
  updated_ms    INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  waiting_for   TEXT NOT NULL DEFAULT '',
  last_error    TEXT NOT NULL DEFAULT '',
  next_try_ms   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO jobs_v2 (id, machine, name, state, scheduler_id, exit_code, reason, spec_json, job_dir,
                     result_json, created_ms, submitted_ms, started_ms, ended_ms, updated_ms, attempts)
SELECT id, machine, name, state, scheduler_id, exit_code, reason, spec_json, job_dir,
       result_json, created_ms, submitted_ms, started_ms, ended_ms, updated_ms, attempts
FROM jobs;
UPDATE jobs_v2 SET state = 14, waiting_for = 'room'
WHERE state = 0 AND reason LIKE 'waiting for room on the scheduler: %';
DROP TABLE jobs;
ALTER TABLE jobs_v2 RENAME TO jobs;
CREATE INDEX jobs_by_machine_state ON jobs (machine, state);
CREATE INDEX jobs_by_state ON jobs (state);
CREATE INDEX jobs_by_created ON jobs (created_ms, id);

CREATE VIEW jobs_named AS
SELECT jobs.*,
       CASE state
         WHEN 0 THEN 'created' WHEN 1 THEN 'submitting' WHEN 2 THEN 'submitted'
         WHEN 3 THEN 'queued' WHEN 4 THEN 'held' WHEN 5 THEN 'running'
         WHEN 6 THEN 'completed' WHEN 7 THEN 'failed' WHEN 8 THEN 'cancelled'
         WHEN 9 THEN 'timeout' WHEN 10 THEN 'out_of_memory' WHEN 11 THEN 'node_fail'
         WHEN 12 THEN 'preempted' WHEN 13 THEN 'lost' WHEN 14 THEN 'waiting' ELSE 'unknown'
       END AS state_name
FROM jobs;
)sql";

// Version 3: attempts. A job retried by its policy runs as several
// scheduler jobs; each ended attempt is a row (number from 1), kept with
// its job and pruned with it. Jobs and events are untouched.
const char kVersion3[] = R"sql(
CREATE TABLE attempts (
  job_id            TEXT NOT NULL REFERENCES jobs (id),
  number            INTEGER NOT NULL,
  scheduler_id      TEXT NOT NULL DEFAULT '',
  state             INTEGER NOT NULL,
  reason            TEXT NOT NULL DEFAULT '',
  exit_code         INTEGER,
  submitted_ms      INTEGER,
  started_ms        INTEGER,
  ended_ms          INTEGER,
  corrections_json  TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (job_id, number)
);
)sql";

// Version 4: result caching (core/job_cache.h). A job's content hash
// (only set for "cache": true jobs) and the job it took its result from.
// Indexed by hash for the lookup at submission; rows without a hash (every
// job recorded before, and every job that does not use the cache) stay out
// of the index. New columns only: no table is rebuilt, the view's jobs.*
// picks them up.
const char kVersion4Caching[] = R"sql(
ALTER TABLE jobs ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN cached_from  TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_by_content_hash ON jobs (content_hash) WHERE content_hash <> '';
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {1, kVersion1},
      {2, kVersion2},
      {3, kVersion3},
      {4, kVersion4Caching},
  };
  return list;
}

int latest_schema_version() { return migrations().back().version; }

}  // namespace xrun::store
