#!/usr/bin/env bash
# Store-only commands (issue 11 #10, issue 10 #6): `xrun list` and `xrun
# events` open the store read-only -- another process holding the write
# lock does not delay them, a store file the user cannot write opens -- and
# a malformed machine file breaks neither them nor `xrun status`, while
# the error names the broken file.
set -u
X=${XRUN_TOOL:?run through ctest}
export XRUN_HOME=$(mktemp -d /tmp/xrun-tool-readonly-XXXXXX)
trap 'kill $holder 2>/dev/null; rm -rf "$XRUN_HOME"' EXIT
holder=
pass=0 fail=0
check() {  # check "what" <command that must succeed>
  local what=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what" >&2; fi
}
now_ms() { date +%s%3N; }

id=$("$X" submit --name ro -- true | tail -1)
"$X" wait --timeout 20 "$id" >/dev/null

# Another process holds the write lock for 8 s.
python3 - "$XRUN_HOME/xrun.db" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE leases SET expires_ms = expires_ms")
open(sys.argv[1] + ".locked", "w").close()
time.sleep(8)
db.execute("COMMIT")
PY
holder=$!
for _ in $(seq 1 50); do [[ -e "$XRUN_HOME/xrun.db.locked" ]] && break; sleep 0.1; done
start=$(now_ms)
out=$("$X" list); rc=$?
took=$(( $(now_ms) - start ))
check "list behind a writer succeeds ($rc)" test $rc -eq 0
check "list behind a writer shows the job" grep -q "$id" <<<"$out"
check "list behind a writer does not wait for its lock (${took} ms)" test $took -lt 3000
start=$(now_ms)
"$X" events >/dev/null; rc=$?
took=$(( $(now_ms) - start ))
check "events behind a writer returns at once (${took} ms, rc $rc)" test $rc -eq 0 -a $took -lt 3000
wait $holder; holder=

# A store file (and home) the user cannot write: another user reads it.
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
  chmod 0755 "$XRUN_HOME"; chmod 0444 "$XRUN_HOME"/xrun.db*
  out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups env XRUN_HOME="$XRUN_HOME" "$X" list 2>&1); rc=$?
  check "list on a read-only store file works ($rc: $out)" test $rc -eq 0
  check "list on a read-only store file shows the job" grep -q "$id" <<<"$out"
  chmod 0700 "$XRUN_HOME"; chmod 0600 "$XRUN_HOME"/xrun.db*
else
  chmod 0444 "$XRUN_HOME"/xrun.db*
  out=$("$X" list 2>&1); rc=$?
  check "list on a read-only store file works ($rc: $out)" test $rc -eq 0
  chmod 0600 "$XRUN_HOME"/xrun.db*
fi

# One malformed machine file.
mkdir -p "$XRUN_HOME/machines"
printf '{"host": "h", "bogus_key": 1' > "$XRUN_HOME/machines/broken.json"
out=$("$X" list 2>"$XRUN_HOME/err"); rc=$?
check "list works despite a broken machine file ($rc)" test $rc -eq 0
check "list still shows the job" grep -q "$id" <<<"$out"
check "list names the broken file" grep -q "broken.json" "$XRUN_HOME/err"
"$X" events >/dev/null 2>"$XRUN_HOME/err"; rc=$?
check "events works despite a broken machine file ($rc)" test $rc -eq 0
check "events names the broken file" grep -q "broken.json" "$XRUN_HOME/err"
out=$("$X" status "$id" 2>"$XRUN_HOME/err")
check "status shows the job despite a broken machine file" grep -q "completed" <<<"$out"
check "status names the broken file" grep -q "broken.json" "$XRUN_HOME/err"
"$X" submit -- true >/dev/null 2>"$XRUN_HOME/err"; rc=$?
check "submit still refuses a broken configuration ($rc)" test $rc -ne 0
check "submit names the broken file" grep -q "broken.json" "$XRUN_HOME/err"

echo "test_tool_readonly: $pass passed, $fail failed"
test $fail -eq 0
