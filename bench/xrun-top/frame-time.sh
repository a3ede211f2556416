#!/usr/bin/env bash
# Frame time of xrun-top with a large store: fills a store with N finished
# local jobs (default 10,000; batches of 500, each followed by a poll), starts
# xrun-top in a tmux pane, sends keys that redraw (move, sort, filter) and
# reads the frame time xrun-top prints in its title. Prints the figure for
# N jobs beside the same run's figure for 100 jobs and the 16.7 ms budget
# of a 60 Hz redraw.
#   bench/xrun-top/frame-time.sh BUILD_DIR XRUN_TOP_BINARY [N]
#   XRUN_TOP_BENCH_HOME=DIR reuses a store of N jobs instead of filling one.
set -euo pipefail
build=$(cd "${1:?usage: frame-time.sh BUILD_DIR XRUN_TOP_BINARY [N]}" && pwd)
top=${2:?usage: frame-time.sh BUILD_DIR XRUN_TOP_BINARY [N]}
n=${3:-10000}
work=$(mktemp -d /tmp/xrun-top-bench-XXXXXX)
socket=xrun-top-bench-$$
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

# Batches of 500: one batch of 10,000 on the direct scheduler outlives the
# local command timeout (120 s) on a loaded 2-core host. A poll after each
# batch: the direct scheduler's status query for 10,000 active jobs is one
# `sh -c` argument over Linux's 128 KiB limit ("Argument list too long"),
# so a single poll at the end never ends them.
fill() { # HOME COUNT
  mkdir -p "$1"
  local t0=$SECONDS done=0 chunk active
  while ((done < $2)); do
    chunk=$(($2 - done < 500 ? $2 - done : 500))
    python3 -c "import json; print(json.dumps([{'name': 'j%06d' % i, 'command': 'true'} for i in range($done, $done + $chunk)]))" >"$1/specs.json"
    XRUN_HOME=$1 "$build/xrun" submit --spec "$1/specs.json" >/dev/null
    done=$((done + chunk))
    XRUN_HOME=$1 "$build/xrun" poll >/dev/null
  done
  # Until every job has ended: the figure is for a store of finished jobs.
  for _ in $(seq 30); do
    active=$(active_jobs "$1")
    ((active == 0)) && break
    sleep 1
    XRUN_HOME=$1 "$build/xrun" poll >/dev/null
  done
  ((active == 0)) || { echo "frame-time: $active of $2 jobs still active after the fill" >&2; exit 1; }
  echo "store of $2 finished jobs filled in $((SECONDS - t0)) s" >&2
}

active_jobs() { # HOME -> how many jobs have not ended
  XRUN_HOME=$1 "$build/xrun" list --json |
    python3 -c "import json, sys; print(sum(1 for j in json.load(sys.stdin) if not j['terminal']))"
}

measure() { # HOME -> median frame ms over 21 redraws
  local home=$1 samples=()
  tmux -L "$socket" new-session -d -s b -x 200 -y 50 "env XRUN_HOME=$home $top --interval 500"
  for _ in $(seq 50); do
    tmux -L "$socket" capture-pane -p -t b | grep -q "jobs [1-9]" && break
    sleep 0.2
  done
  for key in Down Down Down o o o O f f x PageDown PageDown End Home Down Down o f x Down Up; do
    tmux -L "$socket" send-keys -t b "$key"
    sleep 0.4
    # The title shows the frame before the current one: both are redraws.
    samples+=("$(tmux -L "$socket" capture-pane -p -t b | head -1 | grep -o 'frame [0-9.]* ms' | awk '{print $2}')")
  done
  tmux -L "$socket" kill-session -t b
  printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

fill "$work/small" 100
if [[ -n "${XRUN_TOP_BENCH_HOME:-}" ]]; then
  large_home=$XRUN_TOP_BENCH_HOME   # an existing store of N jobs, filled earlier
else
  large_home=$work/large
  fill "$large_home" "$n"
fi
small=$(measure "$work/small")
large=$(measure "$large_home")
echo "xrun-top frame time (median of 21 redraws, 200x50 terminal, $top)"
printf '  %6d jobs: %s ms\n' 100 "$small"
printf '  %6d jobs: %s ms\n' "$n" "$large"
echo "  reference: 16.7 ms (one frame at 60 Hz)"
