#!/usr/bin/env bash
# Builds and runs the SSH benchmarks against the testbed sshd: per-command
# latency, and the files of 1,000 finished jobs in one stream vs one by one.
#   bench/ssh/run.sh [build-dir] [N_pooled N_fresh N_cm]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build-bench}
shift || true
"$here/scripts/testbed-sshd.sh" up
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target bench_ssh_latency bench_ssh_bulk >/dev/null
"$build/bench/ssh/bench_ssh_latency" "$@"
"$build/bench/ssh/bench_ssh_bulk"
