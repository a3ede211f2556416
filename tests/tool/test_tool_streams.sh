#!/usr/bin/env bash
# The xrun tool's streams on the built-in local machine: `xrun run` prints
# ALL of a job's output (past the old 16 MiB cut), `xrun events` pages
# through the whole store (past the old 1000-event page) in text and JSON,
# and `events --follow` wakes for new events without a sleep loop.
set -u
X=${XRUN_TOOL:?run through ctest}
export XRUN_HOME=$(mktemp -d /tmp/xrun-tool-streams-XXXXXX)
trap 'kill $follow_pid 2>/dev/null; rm -rf "$XRUN_HOME"' EXIT
follow_pid=
pass=0 fail=0
check() {  # check "what" <command that must succeed>
  local what=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what" >&2; fi
}

# 20,000,015 bytes: over 16 MiB, and not a multiple of any chunk size.
bytes=$("$X" run -q -- sh -c 'head -c 20000015 /dev/zero | tr "\0" x' | wc -c); rc=$?
check "run exits 0 for a large output" test $rc -eq 0
check "run streams all 20000015 bytes (got $bytes)" test "$bytes" -eq 20000015

# > 1000 events: one real job, then 1500 more events for it written
# straight into the store (sending 300 jobs would take a minute).
id=$("$X" run -q -- true >/dev/null; "$X" list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
if [[ ${XRUN_STORE:-} == postgresql://* ]]; then
  # On PostgreSQL, events take their numbers from the counter row.
  total=$(psql -X -q -t -A -v ON_ERROR_STOP=1 "$XRUN_STORE" -c "
    WITH c AS (UPDATE event_counter SET last_seq = last_seq + 1500 RETURNING last_seq)
    INSERT INTO events (seq, time_ms, job_id, state, message)
    SELECT c.last_seq - 1500 + g, 1700000000000 + g, '$id', 6, 'filler ' || g FROM c, generate_series(1, 1500) g;
    SELECT count(*) FROM events;" | tail -1)
else
total=$(python3 - "$XRUN_HOME/xrun.db" "$id" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executemany("INSERT INTO events (time_ms, job_id, state, message) VALUES (?, ?, 6, ?)",
               [(1700000000000 + i, sys.argv[2], "filler %d" % i) for i in range(1500)])
db.commit()
print(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
PY
)
fi
check "the store holds over 1000 events ($total)" test "$total" -gt 1000
lines=$("$X" events | wc -l)
check "events prints every event ($lines of $total)" test "$lines" -eq "$total"
json_count=$("$X" events --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "events --json is one array of every event ($json_count of $total)" test "$json_count" -eq "$total"
after=$("$X" events --after 1000 | wc -l)
check "events --after 1000 keeps working ($after)" test "$after" -eq $((total - 1000))
first=$("$X" events --after 1000 | head -1 | awk '{print $1}')
check "events --after 1000 starts at 1001 ($first)" test "$first" -eq 1001

# --follow prints a new event within a second of its commit.
"$X" events --follow --after "$total" > "$XRUN_HOME/follow.out" &
follow_pid=$!
sleep 0.5
id=$("$X" submit -- true | tail -1)
for _ in $(seq 1 20); do grep -q "$id" "$XRUN_HOME/follow.out" && break; sleep 0.1; done
check "events --follow shows a new job's event" grep -q "$id" "$XRUN_HOME/follow.out"
kill $follow_pid; wait $follow_pid 2>/dev/null; follow_pid=

# xrun tail: the last lines, a named file, and -f following a running job
# to its end (each line once).
id=$("$X" submit -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line$i; done; echo oops >&2' | tail -1)
"$X" wait --timeout 20 "$id" >/dev/null
check "tail prints the last 10 lines" test "$("$X" tail "$id" | tr '\n' ' ')" = "line3 line4 line5 line6 line7 line8 line9 line10 line11 line12 "
check "tail -n 2" test "$("$X" tail -n 2 "$id" | tr '\n' ' ')" = "line11 line12 "
check "tail of a named file" test "$("$X" tail "$id" stderr)" = "oops"
"$X" tail "$id" nosuchfile 2>/dev/null; rc=$?
check "tail of a missing file fails" test $rc -ne 0
id=$("$X" submit -- sh -c 'for i in 1 2 3 4 5; do echo tick$i; sleep 0.3; done' | tail -1)
followed=$(timeout 30 "$X" tail -f -n 0 "$id"); rc=$?
check "tail -f ends with the job ($rc)" test $rc -eq 0
check "tail -f prints every line once" test "$(tr '\n' ' ' <<<"$followed")" = "tick1 tick2 tick3 tick4 tick5 "

# xrun prune: finished jobs (and their events) go, the store stays usable.
jobs_before=$("$X" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
"$X" prune 2>/dev/null; rc=$?
check "prune without --older-than is a usage error" test $rc -eq 2
out=$("$X" prune --older-than 30d)
check "prune --older-than 30d keeps recent jobs ($out)" test "$out" = "pruned 0 jobs and 0 events"
out=$("$X" prune --older-than 0 --json)
pruned=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["jobs"])' "$out")
check "prune --older-than 0 removes every finished job ($pruned of $jobs_before)" test "$pruned" -eq "$jobs_before"
check "list is empty after pruning" test "$("$X" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -eq 0

echo "test_tool_streams: $pass passed, $fail failed"
test $fail -eq 0
