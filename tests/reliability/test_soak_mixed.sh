#!/usr/bin/env bash
# Mixed processes on ONE store for XRUN_SOAK_SECONDS (default 60): the C
# tool (submit / poll / list), a Python process through the binding
# (submit / poll / events), a Python events follower (read-only), and the
# Rust monitor example (read-only; built here with cargo --offline, as
# scripts/test-bindings.sh does). All submit local jobs that append their id
# to a run log. Then every job must be in the store and completed, have run
# exactly once, and have exactly the events created, submitting, submitted,
# running, completed; the journal's seqs must be 1..N without gaps, every
# follower must have seen exactly the journal, and no process may have seen
# "database is locked" or any XRUN_E_STORE.
set -u
X=${XRUN_TOOL:?run through ctest}
SRC=${XRUN_SOURCE_DIR:?run through ctest}
BIN=${XRUN_BINARY_DIR:?run through ctest}
SECS=${XRUN_SOAK_SECONDS:-${XRUN_SOAK_DEFAULT_SECONDS:-60}}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)

export XRUN_HOME=$(mktemp -d /tmp/xrun-soak-XXXXXX)
unset XRUN_DEFAULT_MACHINE
logs=$XRUN_HOME/logs
mkdir -p "$logs"
runlog=$XRUN_HOME/runlog
: >"$runlog"
keep=0
cleanup() {
  for p in ${pids:-}; do kill "$p" 2>/dev/null; done
  if [[ $keep == 0 ]]; then rm -rf "$XRUN_HOME"; else echo "kept $XRUN_HOME for inspection" >&2; fi
}
trap cleanup EXIT

export PYTHONPATH=$SRC/bindings/python/src XRUN_LIBRARY=$BIN/libxrun.so
# Under ASan the interpreter and the monitor need the runtime preloaded; the
# jobs they start must not get it (see tests/bindings/python/conftest.py).
preload=""
if ldd "$BIN/libxrun.so" | grep -q libasan; then
  # libstdc++ too: ASan's __cxa_throw interceptor must find it at start.
  preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libstdc++.so)"
fi
# The interpreter's own allocations at exit are not ours to report: leak
# checking is off in the preloaded processes whatever the caller set (a
# later ASAN_OPTIONS entry wins). The C tool keeps the caller's setting.
with_preload() {
  if [[ -n $preload ]]; then
    LD_PRELOAD=$preload ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"
  else
    "$@"
  fi
}

with_preload "$PY" -c "import xrun" || { echo "FAIL: the Python binding does not import" >&2; exit 1; }

# The Rust monitor. Without cargo the check falls back to a second Python
# reader, and says so.
monitor=""
cargo=$(command -v cargo || echo /root/.cargo/bin/cargo)
if [[ -x $cargo ]]; then
  # From inside the crate: cargo finds the crate's .cargo/config.toml (the
  # offline Debian registry) from the working directory, not the manifest.
  if (cd "$SRC/examples/xrun-top" && XRUN_LIB_DIR=$BIN CARGO_TARGET_DIR=$BIN/cargo "$cargo" build --offline -q) \
       >"$logs/cargo.log" 2>&1; then
    monitor=$BIN/cargo/debug/xrun-top
  else
    echo "FAIL: cannot build examples/xrun-top:" >&2
    cat "$logs/cargo.log" >&2
    exit 1
  fi
else
  echo "NOTE: no cargo: a second Python follower replaces the Rust monitor" >&2
fi

deadline=$(($(date +%s) + SECS))
echo "soak: $SECS s on $XRUN_HOME"

# 1. The C tool: a submission each turn, a poll and a list every third.
c_worker() {
  local i=0 out rc
  while (($(date +%s) < deadline)); do
    out=$("$X" submit --name "c-$i" -- sh -c 'echo "$XRUN_JOB_ID" >> "$1"' _ "$runlog" 2>>"$logs/c.err")
    rc=$?
    if [[ $rc -ne 0 ]]; then echo "ERROR c submit exit $rc" >>"$logs/c.err"; else tail -1 <<<"$out" >>"$logs/c.ids"; fi
    if ((i % 3 == 2)); then
      "$X" poll >/dev/null 2>>"$logs/c.err" || echo "ERROR c poll exit $?" >>"$logs/c.err"
      "$X" list --json --limit 20 >/dev/null 2>>"$logs/c.err" || echo "ERROR c list exit $?" >>"$logs/c.err"
    fi
    i=$((i + 1))
  done
  echo "c tool: $i submissions"
}
# 3. The Rust monitor, read-only, restarted every 40 frames.
rust_monitor() {
  local n=0
  while (($(date +%s) < deadline)); do
    with_preload "$monitor" --home "$XRUN_HOME" --interval 100 --iterations 40 --no-colour >/dev/null \
      2>>"$logs/rust.err" || echo "ERROR rust monitor exit $?" >>"$logs/rust.err"
    n=$((n + 1))
  done
  echo "rust monitor: $n runs"
}

: >"$logs/c.ids" >"$logs/py.ids"
c_worker >"$logs/c.out" &
workers="$!"
with_preload "$PY" "$HERE/soak_python.py" worker "$deadline" "$runlog" "$logs/py.ids" >"$logs/py.out" 2>"$logs/py.err" &
workers="$workers $!"
with_preload "$PY" "$HERE/soak_python.py" follow "$logs/stop" "$logs/seen1" >"$logs/follow1.out" 2>"$logs/follow1.err" &
follower_pids="$!"
if [[ -n $monitor ]]; then
  rust_monitor >"$logs/rust.out" &
  workers="$workers $!"
  processes=4
else
  with_preload "$PY" "$HERE/soak_python.py" follow "$logs/stop" "$logs/seen2" >"$logs/follow2.out" 2>"$logs/follow2.err" &
  follower_pids="$follower_pids $!"
  processes=4
fi
pids="$workers $follower_pids"

fail=0
for p in $workers; do wait "$p" || fail=1; done
# Every job to a terminal state, then the followers drain and stop.
with_preload "$PY" "$HERE/soak_python.py" settle 60 2>"$logs/settle.err" || fail=1
touch "$logs/stop"
for p in $follower_pids; do wait "$p" || fail=1; done
pids=""

cat "$logs"/*.out
seen=("$logs"/seen*)
with_preload "$PY" "$HERE/soak_python.py" verify "$runlog" "${seen[@]}" -- "$logs/c.ids" "$logs/py.ids" \
  2>"$logs/verify.err" || fail=1

errors=$(cat "$logs"/*.err | grep -c -E 'ERROR|XRUN_E_|Traceback|panicked|error:' || true)
locked=$(cat "$logs"/*.err "$logs"/*.out | grep -c -i -E 'database is locked|XRUN_E_STORE|StoreError' || true)
echo "soak summary: $processes processes for $SECS s, errors $errors, store errors (database is locked / XRUN_E_STORE) $locked"
if [[ $errors -ne 0 || $locked -ne 0 ]]; then
  cat "$logs"/*.err | grep -E 'ERROR|XRUN_E_|Traceback|panicked|error:|locked' | sort | uniq -c | head -20
  fail=1
fi
if [[ $fail -ne 0 ]]; then
  keep=1
  echo "FAIL" >&2
  exit 1
fi
echo "PASS"
