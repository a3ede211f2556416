#!/usr/bin/env bash
# xrun-top tested as a person uses it: in a tmux pane (Debian's tmux, on a
# private server socket), against a store with real local jobs. Keys go in
# with send-keys, the screen comes back with capture-pane, and each step
# asserts on it: rows appear, a job's end shows when a driver polls, the
# state filter hides rows, cancel asks (n keeps the job), then cancels (y);
# send asks, then sends a deferred job (waiting -> running/completed); hold
# on a direct job shows the library's refusal in the status line;
# --read-only offers no action keys. Every captured screen is printed.
#   tests/bindings/xrun-top/tmux-test.sh BUILD_DIR XRUN_TOP_BINARY
set -euo pipefail
build=$(cd "${1:?usage: tmux-test.sh BUILD_DIR XRUN_TOP_BINARY}" && pwd)
top=${2:?usage: tmux-test.sh BUILD_DIR XRUN_TOP_BINARY}
xrun=$build/xrun
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed (Debian package tmux)" >&2; exit 1; }

home=$(mktemp -d /tmp/xrun-top-tmux-XXXXXX)
socket=xrun-top-test-$$
tmux_() { tmux -L "$socket" "$@"; }
cleanup() {
  tmux_ kill-server 2>/dev/null || true
  XRUN_HOME=$home "$xrun" list --state running --json 2>/dev/null | grep -o '"id":[^,]*' | cut -d'"' -f4 |
    while read -r id; do XRUN_HOME=$home "$xrun" cancel "$id" >/dev/null 2>&1 || true; done
  rm -rf "$home"
}
trap cleanup EXIT
export XRUN_HOME=$home
unset XRUN_DEFAULT_MACHINE

submit() { "$xrun" submit --name "$1" -- sh -c "$2" | tail -1; }
done_id=$(submit quick-job 'echo quick')
"$xrun" wait --timeout 30 "$done_id" >/dev/null
sleeper=$(submit sleeper-job 'sleep 300')
ender=$(submit ender-job 'sleep 2')

screen() { tmux_ capture-pane -p -t "$1"; }
show() { echo "----- screen: $2"; screen "$1"; echo "-----"; }
# wait_for PANE WHAT TEST...: re-captures until `TEST` (a bash test on
# $text) holds, for at most 20 s.
wait_for() {
  local pane=$1 what=$2; shift 2
  local deadline=$((SECONDS + 20))
  while ((SECONDS < deadline)); do
    text=$(screen "$pane")
    if eval "$*"; then show "$pane" "$what"; return 0; fi
    sleep 0.2
  done
  show "$pane" "TIMEOUT waiting for: $what"
  echo "FAIL: $what" >&2
  exit 1
}
line_of() { grep -F -- "$1" <<<"$text" || true; }

# The session's shell runs xrun-top directly; the pane closes when it quits.
tmux_ new-session -d -s top -x 200 -y 24 \
  "env XRUN_HOME=$home LD_PRELOAD=${XRUN_TOP_PRELOAD:-} $top --interval 200"
wait_for top "rows appear" '[[ $(line_of quick-job) == *completed* && $(line_of sleeper-job) == *running* && $(line_of ender-job) == *running* ]]'

late=$(submit late-job 'sleep 300')
wait_for top "a job submitted meanwhile appears" '[[ -n $(line_of late-job) ]]'

# The end of a job reaches the store when a driver polls; xrun-top shows it.
sleep 2.5
"$xrun" poll >/dev/null
wait_for top "ender-job changes to completed on screen" '[[ $(line_of ender-job) == *completed* ]]'

tmux_ send-keys -t top f   # state filter: active jobs only
wait_for top "the state filter hides ended jobs" \
  '[[ $text == *"state active"* && -z $(line_of quick-job) && -z $(line_of ender-job) && -n $(line_of sleeper-job) ]]'
tmux_ send-keys -t top x   # clear the filters
wait_for top "clearing the filter shows them again" '[[ -n $(line_of quick-job) && $text == *"state all"* ]]'

# Select the sleeper: newest first, so late-job is on top and the sleeper
# comes after it; move down until the sleeper's row is highlighted.
for _ in 1 2 3 4 5 6; do
  text=$(screen top)
  [[ $(line_of sleeper-job) == ">"* || $(line_of sleeper-job) == *"> $sleeper"* ]] && break
  tmux_ send-keys -t top Down
  sleep 0.3
done
tmux_ send-keys -t top c
wait_for top "cancel asks first" '[[ $text == *"cancel job $sleeper? y / n"* ]]'
tmux_ send-keys -t top n
wait_for top "n leaves the job alone" '[[ $text == *"cancel $sleeper: not done"* && $(line_of sleeper-job) == *running* ]]'
tmux_ send-keys -t top c
wait_for top "cancel asks again" '[[ $text == *"cancel job $sleeper? y / n"* ]]'
tmux_ send-keys -t top y
wait_for top "y cancels: the row shows cancelled" '[[ $(line_of sleeper-job) == *cancelled* && $text == *"now cancelled"* ]]'
state=$("$xrun" status --json "$sleeper" | grep -o '"state":[^,]*')
[[ $state == *cancelled* ]] || { echo "FAIL: the store says $state for the cancelled job" >&2; exit 1; }
[[ $(line_of late-job) == *running* ]] || { echo "FAIL: cancel touched another job" >&2; exit 1; }

# select_row NAME: moves the highlight ("> ") onto NAME's row, from the top.
select_row() {
  tmux_ send-keys -t top g
  for _ in 1 2 3 4 5 6 7 8; do
    sleep 0.3
    text=$(screen top)
    [[ $(line_of "$1") == *"> "* ]] && return 0
    tmux_ send-keys -t top Down
  done
  show top "selecting $1"; echo "FAIL: could not select $1" >&2; exit 1
}

# Send: a deferred job is only recorded (waiting); the s key sends it.
deferred=$("$xrun" submit --defer --name deferred-job -- sh -c 'echo sent-by-key' | tail -1)
wait_for top "a deferred job appears, waiting" '[[ $(line_of deferred-job) == *waiting* ]]'
select_row deferred-job
tmux_ send-keys -t top s
wait_for top "send asks first" '[[ $text == *"send job $deferred? y / n"* ]]'
tmux_ send-keys -t top n
wait_for top "n leaves it waiting" '[[ $text == *"send $deferred: not done"* && $(line_of deferred-job) == *waiting* ]]'
tmux_ send-keys -t top s
wait_for top "send asks again" '[[ $text == *"send job $deferred? y / n"* ]]'
tmux_ send-keys -t top y
wait_for top "y sends it: the row leaves waiting" \
  '[[ $text == *"send $deferred: now "* && ( $(line_of deferred-job) == *running* || $(line_of deferred-job) == *completed* ) ]]'
sleep 0.5
"$xrun" poll >/dev/null
wait_for top "the sent job completes on screen" '[[ $(line_of deferred-job) == *completed* ]]'
state=$("$xrun" status --json "$deferred" | grep -o '"state":[^,]*')
[[ $state == *completed* ]] || { echo "FAIL: the store says $state for the sent job" >&2; exit 1; }

# Hold on a direct job: the library refuses; the status line says why and
# xrun-top keeps running.
select_row late-job
tmux_ send-keys -t top h
wait_for top "hold asks first" '[[ $text == *"hold job $late? y / n"* ]]'
tmux_ send-keys -t top y
wait_for top "the refusal is in the status line" \
  '[[ $text == *"hold $late failed: XRUN_E_UNSUPPORTED: the direct scheduler"*"cannot hold"* && $(line_of late-job) == *running* ]]'
if [[ $(tmux_ list-panes -t top -F '#{pane_dead}') == 1 ]]; then echo "FAIL: xrun-top died on a refused hold" >&2; exit 1; fi
state=$("$xrun" status --json "$late" | grep -o '"state":[^,]*')
[[ $state == *running* ]] || { echo "FAIL: the store says $state for the job whose hold was refused" >&2; exit 1; }

tmux_ send-keys -t top Enter
wait_for top "the detail pane shows the selected job's events" '[[ $text == *"detail $late"* && $text == *events* ]]'
tmux_ send-keys -t top Tab
wait_for top "the machines pane lists the built-in machine" '[[ $text == *MACHINE* && $(line_of "local/direct") == *local* ]]'
tmux_ send-keys -t top q
sleep 0.5
if tmux_ has-session -t top 2>/dev/null && [[ $(tmux_ list-panes -t top -F '#{pane_dead}') != 1 ]]; then
  show top "after q"; echo "FAIL: q did not quit" >&2; exit 1
fi

tmux_ new-session -d -s ro -x 200 -y 24 \
  "env XRUN_HOME=$home LD_PRELOAD=${XRUN_TOP_PRELOAD:-} $top --read-only --interval 200"
wait_for ro "--read-only starts and says so" '[[ $text == *READ-ONLY* && -n $(line_of late-job) ]]'
for k in c h r s; do
  tmux_ send-keys -t ro $k
  sleep 0.5
  text=$(screen ro)
  if [[ $text == *"? y / n"* || $text == *"c cancel"* || $text == *"h hold"* || $text == *"r release"* || $text == *"s send"* ]]; then
    show ro "read-only"; echo "FAIL: --read-only offers an action ($k)" >&2; exit 1
  fi
done
echo "PASS: xrun-top in tmux: rows, live state change, filter, cancel/send with confirmation, refused hold in the status line, read-only"
