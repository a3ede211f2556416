#!/usr/bin/env bash
# The xrun tool on a terminal and off one: the live progress line of
# `xrun wait` on several jobs (only when stderr is a terminal), tables cut
# to the terminal's width, `xrun list --watch`. A real terminal comes from
# util-linux `script` (a pty); the captured output is printed on failure.
set -u
X=${XRUN_TOOL:?run through ctest}
command -v script >/dev/null || { echo "util-linux script is needed"; exit 1; }
export XRUN_HOME=$(mktemp -d /tmp/xrun-terminal-test-XXXXXX)
trap 'rm -rf "$XRUN_HOME"' EXIT
pass=0 fail=0
check() {  # check "what" <command that must succeed>
  local what=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what" >&2; fi
}
# Runs a command line on a pseudo-terminal; its output (\r\n line ends) on stdout.
on_terminal() { script -qfec "$1" /dev/null; }

submit3() {
  "$X" submit -- sleep 0.5 | tail -1
  "$X" submit -- sleep 1 | tail -1
  "$X" submit -- sh -c 'exit 3' | tail -1
}

# --- xrun wait on several jobs
ids=$(submit3 | tr '\n' ' ')
"$X" wait --timeout 30 $ids >"$XRUN_HOME/out" 2>"$XRUN_HOME/err"; rc=$?
check "wait on 3 jobs exits with the first failure's code (3)" test $rc -eq 3
check "wait on 3 jobs prints one line per job" test "$(wc -l <"$XRUN_HOME/out")" -eq 3
check "wait prints the jobs in the order given" \
  test "$(awk '{print $1}' "$XRUN_HOME/out" | tr '\n' ' ')" = "$ids"
check "piped: no progress line on stderr" test ! -s "$XRUN_HOME/err"
check "piped: no carriage return anywhere" bash -c "! grep -q \$'\\r' '$XRUN_HOME/out' '$XRUN_HOME/err'"

ids=$(submit3 | tr '\n' ' ')
tty_out=$(on_terminal "'$X' wait --timeout 30 $ids")
check "terminal: the progress line ends at 3/3 done" grep -q $'\r\e\[K3/3 done | completed 2, failed 1 | ' <<<"$tty_out"
check "terminal: the line is rewritten in place (\\r, more than one draw)" \
  test "$(grep -o $'\r\e\[K[0-9]/3 done' <<<"$tty_out" | wc -l)" -ge 2
check "terminal: the results follow on their own lines" \
  test "$(grep -c -E '^[0-9A-Z]{26} (completed|failed)' <<<"$tty_out")" -eq 3
if ((fail)); then printf 'captured:\n%s\n' "$(cat -A <<<"$tty_out")" >&2; fi
id=$(tail -1 <<<"$(tr ' ' '\n' <<<"$ids" | sed '/^$/d')")
tty_out=$(on_terminal "'$X' wait --timeout 30 $id")
check "terminal: no progress line when waiting for one job" bash -c "! grep -q 'done |' <<<'$tty_out'"

# --- list and status fit the terminal's width
long="a job name far too long for a narrow terminal, longer than sixty columns by itself"
fid=$("$X" submit --name "$long" -- sh -c 'exit 4' | tail -1)
"$X" wait --timeout 30 "$fid" >/dev/null
rid=$("$X" submit --name "$long (running)" -- sleep 30 | tail -1)
# Longest line in columns (UTF-8 aware; \r of the pty dropped).
widest() { python3 -c 'import sys; print(max((len(l.rstrip("\r")) for l in sys.stdin.read().split("\n")), default=0))'; }
for cmd in "list" "status" "status $fid"; do
  tty_out=$(COLUMNS=60 on_terminal "'$X' $cmd")
  w=$(widest <<<"$tty_out")
  check "terminal, COLUMNS=60: no line of 'xrun $cmd' is over 60 columns (widest $w)" test "$w" -le 60
  check "terminal, COLUMNS=60: 'xrun $cmd' cuts the long name with an ellipsis" grep -q "a job.*…" <<<"$tty_out"
  check "terminal, COLUMNS=60: 'xrun $cmd' does not wrap the name" bash -c "! grep -q 'by itself' <<<\"\$1\"" _ "$tty_out"
done
tty_out=$(COLUMNS=60 on_terminal "'$X' list")
check "terminal, COLUMNS=60: list keeps the ids whole" grep -q "^$fid " <<<"$tty_out"
out=$("$X" list)
check "piped without COLUMNS: list is not cut" grep -q "$long" <<<"$out"
out=$(COLUMNS=60 "$X" list)
check "piped with COLUMNS=60: list fits 60 columns" test "$(widest <<<"$out")" -le 60
"$X" cancel "$rid" >/dev/null

# --- list --watch
err=$("$X" list --watch 2>&1 >/dev/null); rc=$?
check "list --watch off a terminal exits 2" test $rc -eq 2
check "list --watch off a terminal says it needs one" grep -q "needs a terminal" <<<"$err"
"$X" list --watch 1 --json >/dev/null 2>&1; rc=$?
check "list --watch --json is a usage error" test $rc -eq 2
"$X" list --watch=abc >/dev/null 2>&1; rc=$?
check "list --watch=abc is a usage error" test $rc -eq 2
tty_out=$(COLUMNS=60 on_terminal "timeout 3 '$X' list --watch 1")
draws=$(grep -o $'\e\[H\e\[2J' <<<"$tty_out" | wc -l)
check "terminal: list --watch 1 redraws (cleared $draws times in 3 s)" test "$draws" -ge 2
check "terminal: each redraw has the table" \
  test "$(grep -c "^ID  " <<<"$tty_out")" -ge 2
check "terminal: the watched table fits too" test "$(widest <<<"$tty_out")" -le 60

echo "$pass passed, $fail failed"
((fail == 0))
