#!/usr/bin/env bash
# The xrun tool end to end on the built-in local machine: exit codes,
# output, --json keys, clear errors for bad arguments and bad config.
set -u
X=${XRUN_TOOL:?run through ctest}
export XRUN_HOME=$(mktemp -d /tmp/xrun-tool-test-XXXXXX)
pass=0 fail=0
check() {  # check "what" <command that must succeed>
  local what=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what" >&2; fi
}

out=$("$X" run -q -- echo "hello world"); rc=$?
check "run prints the job's output" test "$out" = "hello world"
check "run exits 0 on success" test $rc -eq 0

"$X" run -q -- sh -c 'exit 3'; rc=$?
check "run exits with the job's exit code (3)" test $rc -eq 3

id=$("$X" submit --name "my job" -- sh -c 'sleep 0.2; echo done' | tail -1)
check "submit prints a 26-character id on its last line" test ${#id} -eq 26
"$X" wait --timeout 20 "$id" >/dev/null; rc=$?
check "wait exits 0 for a completed job" test $rc -eq 0
json=$("$X" status --json "$id")
for key in id machine state scheduler_id exit_code created_at submitted_at started_at ended_at; do
  check "status --json has \"$key\"" grep -q "\"$key\":" <<<"$json"
done
check "status --json says completed" grep -q '"state":[[:space:]]*"completed"' <<<"$json"

list=$("$X" list --json --state completed)
check "list --json --state completed has the job" grep -q "$id" <<<"$list"
check "list table has a header" grep -q "^ID " <<<"$("$X" list)"

id=$("$X" submit -- sleep 30 | tail -1)
"$X" cancel "$id" >/dev/null; rc=$?
check "cancel succeeds" test $rc -eq 0
check "cancelled job shows as cancelled" grep -q '"state":[[:space:]]*"cancelled"' <<<"$("$X" status --json "$id")"
"$X" cancel "$id" 2>/dev/null; rc=$?
check "cancel of a finished job fails" test $rc -ne 0
err=$("$X" send "$id" 2>&1 >/dev/null); rc=$?
check "send of a cancelled job fails" test $rc -eq 1
check "send names the job's state" grep -q "XRUN_E_STATE.*cancelled" <<<"$err"
"$X" send 2>/dev/null; rc=$?
check "send without ids or --all-created is a usage error" test $rc -eq 2
id=$("$X" submit --defer -- echo deferred | tail -1)
# `list` reads the store only (`status` would poll, and the round sends it).
waiting=$("$X" list --json --state waiting)
check "submit --defer records the job as waiting" grep -q "$id" <<<"$waiting"
check "a deferred job says what it waits for" grep -q '"waiting_for":[[:space:]]*"deferred"' <<<"$waiting"
out=$("$X" send "$id"); rc=$?
check "send of a deferred job succeeds" test $rc -eq 0
check "send prints the id and the new state" grep -q "^$id running$" <<<"$out"
"$X" wait --timeout 20 "$id" >/dev/null; rc=$?
check "the sent job completes" test $rc -eq 0

printf '[{"command": "echo a"}, {"command": "echo b"}, {"command": "echo c"}]' > "$XRUN_HOME/batch.json"
ids=$("$X" submit --spec "$XRUN_HOME/batch.json")
check "a batch spec prints one id per job" test "$(wc -l <<<"$ids")" -eq 3
last=$(tail -1 <<<"$ids")
"$X" wait --timeout 20 "$last" >/dev/null
check "the last batch job ran" grep -q '"state":[[:space:]]*"completed"' <<<"$("$X" status --json "$last")"

events=$("$X" events)
check "events lists transitions" grep -q "completed" <<<"$events"
check "machines list shows local" grep -q "local" <<<"$("$X" machines list)"
check "machines show local is JSON" grep -q '"scheduler":[[:space:]]*"direct"' <<<"$("$X" machines show local)"
"$X" machines check local >/dev/null; rc=$?
check "machines check local passes" test $rc -eq 0

err=$("$X" run 2>&1); rc=$?
check "run without a command exits 2" test $rc -eq 2
check "run without a command says why" grep -q "nothing to run" <<<"$err"
err=$("$X" frobnicate 2>&1); rc=$?
check "unknown command exits 2" test $rc -eq 2
err=$("$X" list --bogus 2>&1); rc=$?
check "unknown option exits 2 and names it" bash -c "[ $rc -eq 2 ] && grep -q -- --bogus <<<'$err'"
err=$("$X" status 01ARZ3NDEKTSV4RRFFQ69G5FAV 2>&1); rc=$?
check "unknown job id fails with NOT_FOUND" bash -c "[ $rc -ne 0 ] && grep -q XRUN_E_NOT_FOUND <<<'$err'"

# Issue 10 #6: a command's --help prints its usage (exit 0), not "unknown option".
for c in run submit status list wait cancel send poll events recover tail prune machines parse store; do
  out=$("$X" $c --help 2>&1); rc=$?
  check "$c --help prints its usage" bash -c "[ $rc -eq 0 ] && grep -q '^usage: xrun $c' <<<\"\$1\"" _ "$out"
done
# --json on the commands that print something (issue 15): each output is JSON.
jid=$("$X" submit -q -- sleep 30 | tail -1)
for c in "cancel $jid" "poll" "recover" "version"; do
  out=$("$X" $c --json 2>/dev/null)
  check "$c --json prints JSON" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$out"
done
did=$("$X" submit -q --defer -- echo sent | tail -1)
out=$("$X" send --json "$did" 2>/dev/null)
check "send --json prints the job's record" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["id"]==sys.argv[2] and d["state"]!="waiting"' "$out" "$did"
out=$("$X" run -- echo --help 2>/dev/null)
check "--help after -- is the job's argument" test "$out" = "--help"
check "machines show local names the workdir jobs go to" \
  grep -qF "\"$XRUN_HOME/jobs\"" <<<"$("$X" machines show local --json 2>&1)"

printf '{"machines": {"c1": {"execution": "remote", "host": "h", "remot_auth": {}}}}' > "$XRUN_HOME/machines.json"
err=$("$X" machines list 2>&1); rc=$?
check "malformed machines.json fails" test $rc -ne 0
check "message names the file" grep -qF "$XRUN_HOME/machines.json" <<<"$err"
check "message names the JSON path" grep -qF '$.machines.c1.remot_auth' <<<"$err"
check "message suggests the key" grep -qF 'did you mean "auth"' <<<"$err"

rm -rf "$XRUN_HOME"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
