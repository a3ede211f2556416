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
# straight into the store file (sending 300 jobs would take a minute).
id=$("$X" run -q -- true >/dev/null; "$X" list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
total=$(python3 - "$XRUN_HOME/xrun.db" "$id" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executemany("INSERT INTO events (time_ms, job_id, state, message) VALUES (?, ?, 6, ?)",
               [(1700000000000 + i, sys.argv[2], "filler %d" % i) for i in range(1500)])
db.commit()
print(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
PY
)
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

echo "test_tool_streams: $pass passed, $fail failed"
test $fail -eq 0
