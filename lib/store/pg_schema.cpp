#include "store/pg_schema.h"

namespace xrun::store {

namespace {

// Version 1, the PostgreSQL twin of SQLite's version 1 (schema.cpp): the
// same tables, columns and meanings, so the two backends migrate in step.
// Differences, each for a guarantee:
// - events.seq is not a sequence: PostgreSQL sequences leave gaps and hand
//   out numbers in start order, not commit order, so a follower reading
//   `seq > N` could skip an event committed later with a smaller number.
//   Each event takes the next number from the one row of event_counter,
//   whose row lock is held until commit: numbers are gap-free and commit
//   in order.
// - Times in leases are the server's clock (hosts' clocks may disagree).
const char kVersion1[] = R"sql(
CREATE TABLE jobs (
  id            TEXT PRIMARY KEY NOT NULL,
  machine       TEXT NOT NULL,
  name          TEXT NOT NULL,
  state         INTEGER NOT NULL CHECK (state BETWEEN 0 AND 13),
  scheduler_id  TEXT NOT NULL DEFAULT '',
  exit_code     BIGINT,
  reason        TEXT NOT NULL DEFAULT '',
  spec_json     TEXT NOT NULL DEFAULT '',
  job_dir       TEXT NOT NULL DEFAULT '',
  result_json   TEXT NOT NULL DEFAULT '',
  created_ms    BIGINT NOT NULL,
  submitted_ms  BIGINT,
  started_ms    BIGINT,
  ended_ms      BIGINT,
  updated_ms    BIGINT NOT NULL,
  attempts      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX jobs_by_machine_state ON jobs (machine, state);
CREATE INDEX jobs_by_state ON jobs (state);
CREATE INDEX jobs_by_created ON jobs (created_ms, id);

CREATE TABLE events (
  seq      BIGINT PRIMARY KEY,
  time_ms  BIGINT NOT NULL,
  job_id   TEXT NOT NULL REFERENCES jobs (id),
  state    INTEGER NOT NULL,
  message  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_job ON events (job_id, seq);

CREATE TABLE event_counter (
  only_row  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
  last_seq  BIGINT NOT NULL
);
INSERT INTO event_counter (only_row, last_seq) VALUES (TRUE, 0);

-- Readers page through events by seq; a rewritten event would be missed.
CREATE FUNCTION xrun_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE ON events
  FOR EACH ROW EXECUTE FUNCTION xrun_events_append_only();

CREATE TABLE leases (
  name        TEXT PRIMARY KEY NOT NULL,
  owner       TEXT NOT NULL,
  expires_ms  BIGINT NOT NULL
);

CREATE TABLE polls (
  name     TEXT PRIMARY KEY NOT NULL,
  last_ms  BIGINT NOT NULL
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

// Version 2, the twin of SQLite's version 2: state 14 (waiting) joins the
// CHECK, and the columns for typed waiting. PostgreSQL changes a constraint
// and adds columns in place (no rebuild: the events' foreign keys are
// untouched). A v1 job that waited for room becomes waiting/room, as on
// SQLite; every other row and every event is kept as it was.
const char kVersion2[] = R"sql(
DROP VIEW jobs_named;
ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check CHECK (state BETWEEN 0 AND 14);
ALTER TABLE jobs
  ADD COLUMN waiting_for TEXT NOT NULL DEFAULT '',
  ADD COLUMN last_error  TEXT NOT NULL DEFAULT '',
  ADD COLUMN next_try_ms BIGINT NOT NULL DEFAULT 0;
UPDATE jobs SET state = 14, waiting_for = 'room'
WHERE state = 0 AND reason LIKE 'waiting for room on the scheduler: %';

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

// Version 3, the twin of SQLite's version 3: the attempts table.
const char kVersion3[] = R"sql(
CREATE TABLE attempts (
  job_id            TEXT NOT NULL REFERENCES jobs (id),
  number            BIGINT NOT NULL,
  scheduler_id      TEXT NOT NULL DEFAULT '',
  state             INTEGER NOT NULL,
  reason            TEXT NOT NULL DEFAULT '',
  exit_code         BIGINT,
  submitted_ms      BIGINT,
  started_ms        BIGINT,
  ended_ms          BIGINT,
  corrections_json  TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (job_id, number)
);
)sql";

// Version 4, the twin of SQLite's version 4: the caching columns and their
// partial index. The view is made again so that its jobs.* (expanded when
// PostgreSQL creates a view) shows the new columns, as SQLite's does.
const char kVersion4Caching[] = R"sql(
ALTER TABLE jobs
  ADD COLUMN content_hash TEXT NOT NULL DEFAULT '',
  ADD COLUMN cached_from  TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_by_content_hash ON jobs (content_hash) WHERE content_hash <> '';
DROP VIEW jobs_named;
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

}  // namespace

const std::vector<Migration>& pg_migrations() {
  static const std::vector<Migration> list = {
      {1, kVersion1},
      {2, kVersion2},
      {3, kVersion3},
      {4, kVersion4Caching},
  };
  return list;
}

}  // namespace xrun::store
