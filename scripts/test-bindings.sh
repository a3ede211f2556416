#!/usr/bin/env bash
# Builds and tests the language bindings against the real library:
#   scripts/test-bindings.sh BUILD_DIR
# Runs, in order: the C and Fortran binding tests and the Fortran driver
# example (ctest -L bindings), pytest for Python (including an offline
# `pip install` into a temporary venv), cargo test for the Rust crates and
# xrun-top (examples/xrun-top), xrun-top driven in tmux, a throw-away crate depending on `xrun` that must run
# without LD_LIBRARY_PATH, and the static Fortran vendor example. Every step
# runs even if an earlier one failed; the exit status is non-zero if any
# failed. Jobs run on this host through the built-in `local` machine, each
# test on a temporary XRUN_HOME.
set -uo pipefail

build=${1:?usage: scripts/test-bindings.sh BUILD_DIR}
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd) || { echo "test-bindings: no build dir $1" >&2; exit 2; }
logs=$(mktemp -d /tmp/xrun-test-bindings-XXXXXX)
trap 'rm -rf "$logs"' EXIT

# The shared corpus sits beside the checkout (or beside a worktree's parent).
if [[ -z "${XRUN_CORPUS_DIR:-}" ]]; then
  for c in "$repo/../shared/corpus" "$repo/../../shared/corpus"; do
    if [[ -d "$c" ]]; then XRUN_CORPUS_DIR=$(cd "$c" && pwd); break; fi
  done
fi
if [[ -z "${XRUN_CORPUS_DIR:-}" ]]; then
  echo "test-bindings: shared corpus not found; set XRUN_CORPUS_DIR" >&2
  exit 2
fi
export XRUN_CORPUS_DIR
# No test may touch the user's real store.
XRUN_HOME=$(mktemp -d /tmp/xrun-test-bindings-home-XXXXXX)
export XRUN_HOME
trap 'rm -rf "$logs" "$XRUN_HOME"' EXIT
unset XRUN_DEFAULT_MACHINE

python=/usr/bin/python3
cargo=$(command -v cargo || echo "$HOME/.cargo/bin/cargo")
[[ -x "$cargo" ]] || cargo=/root/.cargo/bin/cargo

declare -a summary=()
failed=0
record() { # name status detail
  if [[ $2 -eq 0 ]]; then summary+=("PASS  $1: $3"); else summary+=("FAIL  $1: $3"); failed=1; fi
}

echo "== build (library, Fortran binding, C/Fortran tests and examples)"
cmake --build "$build" -j2 --target xrun xrun_static xrun_tool xrun_fortran \
  test_fortran_binding fortran-driver test_binding_scenario
status=$?
record "cmake build" $status "targets for the bindings"
if [[ $status -ne 0 ]]; then
  printf '%s\n' "${summary[@]}"
  exit 1
fi

echo "== C and Fortran: ctest -L bindings"
ctest --test-dir "$build" -L bindings --output-on-failure 2>&1 | tee "$logs/ctest.log"
status=${PIPESTATUS[0]}
record "ctest -L bindings" $status "$(grep -E 'tests passed' "$logs/ctest.log" | tail -1)"

echo "== Python: pytest tests/bindings/python"
(cd "$repo" && XRUN_BINARY_DIR=$build "$python" -m pytest -q -p no:cacheprovider tests/bindings/python) \
  2>&1 | tee "$logs/pytest.log"
status=${PIPESTATUS[0]}
record "pytest" $status "$(grep -E '(passed|failed|error)' "$logs/pytest.log" | tail -1)"

# The same tests with the store on PostgreSQL (XRUN_STORE; each test gets an
# empty store of its own): the testbed server of scripts/testbed-postgres.sh,
# started and stopped here.
echo "== Python: pytest tests/bindings/python on a PostgreSQL store"
if "$repo/scripts/testbed-postgres.sh" up; then
  (cd "$repo" && XRUN_BINARY_DIR=$build "$repo/tests/store/with_pg_store.sh" "$python" -m pytest -q \
    -p no:cacheprovider tests/bindings/python) 2>&1 | tee "$logs/pytest-pg.log"
  status=${PIPESTATUS[0]}
  "$repo/scripts/testbed-postgres.sh" down
else
  status=1
  echo "the PostgreSQL testbed did not start" >"$logs/pytest-pg.log"
fi
record "pytest (PostgreSQL store)" $status "$(grep -E '(passed|failed|error|did not start)' "$logs/pytest-pg.log" | tail -1)"

# Both interpreters found here: Debian's (python3-cffi 1.15) and the
# default python3 on PATH (its own cffi 2.x), without pytest.
for py in "$python" "$(command -v python3 || echo "$python")"; do
  echo "== Python: $py tests/bindings/python/check_interpreter.py"
  XRUN_LIBRARY=$build/libxrun.so "$py" "$repo/tests/bindings/python/check_interpreter.py" 2>&1 | tee "$logs/interp.log"
  status=${PIPESTATUS[0]}
  record "python interpreter $py" $status "$(tail -1 "$logs/interp.log")"
done

# One target dir under the build dir: the crates build once for both runs.
export XRUN_LIB_DIR=$build CARGO_TARGET_DIR=$build/cargo
for manifest in bindings/rust/Cargo.toml examples/xrun-top/Cargo.toml; do
  echo "== Rust: cargo test --offline --manifest-path $manifest"
  # From the crate's folder: cargo reads its .cargo/config.toml (the offline Debian registry) from the working directory.
  (cd "$repo/$(dirname "$manifest")" && "$cargo" test --offline) 2>&1 | tee "$logs/cargo.log"
  status=${PIPESTATUS[0]}
  totals=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?/) p += $i; if ($(i+1) ~ /^failed;?/) f += $i } }
                END { printf "%d passed; %d failed", p, f }' "$logs/cargo.log")
  record "cargo test ($manifest)" $status "$totals"
done

echo "== xrun-top in tmux: keys in, screen out"
"$repo/tests/bindings/xrun-top/tmux-test.sh" "$build" "$CARGO_TARGET_DIR/debug/xrun-top" 2>&1 | tee "$logs/tmux.log"
status=${PIPESTATUS[0]}
record "xrun-top in tmux" $status "$(tail -1 "$logs/tmux.log")"

echo "== Rust: a crate outside the workspace that depends on xrun starts without LD_LIBRARY_PATH"
"$repo/tests/bindings/rust/dependent-crate.sh" "$build" 2>&1 | tee "$logs/dependent.log"
status=${PIPESTATUS[0]}
record "Rust dependent crate" $status "$(tail -1 "$logs/dependent.log")"

echo "== Fortran: static vendor example"
"$repo/examples/static-fortran/build-and-run.sh" "$build" "$XRUN_CORPUS_DIR/qe/generated/si_scf.out" \
  2>&1 | tee "$logs/static.log"
status=${PIPESTATUS[0]}
record "static Fortran vendor" $status "$(tail -1 "$logs/static.log")"

echo
echo "== bindings summary"
printf '%s\n' "${summary[@]}"
exit $failed
