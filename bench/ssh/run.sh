#!/usr/bin/env bash
# Builds and runs the SSH benchmarks against the testbed sshd: per-command
# latency, the files of 1,000 finished jobs in one stream vs one by one, and
# 8 threads x 200 commands over one pooled transport beside a plain libssh
# client with 8 channels on one session.
#   bench/ssh/run.sh [build-dir] [N_pooled N_fresh N_cm]
#   BENCH_SSH_MUX_ARGS="threads per_thread n_sequential" scales the last one.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build-bench}
shift || true
"$here/scripts/testbed-sshd.sh" up
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target bench_ssh_latency bench_ssh_bulk bench_ssh_mux >/dev/null
"$build/bench/ssh/bench_ssh_latency" "$@"
"$build/bench/ssh/bench_ssh_bulk"
# shellcheck disable=SC2086 # a list of numbers, split on purpose
"$build/bench/ssh/bench_ssh_mux" ${BENCH_SSH_MUX_ARGS:-}
