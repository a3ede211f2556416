#!/usr/bin/env bash
# Slurm submission and polling, side by side (root; ~2 minutes):
#   raw local `sbatch` loop | `sbatch` through an OpenSSH ControlMaster |
#   xrun over the libssh pool (1 and 8 threads) | xrun on a local machine;
#   then one poll round over 200 and 2,000 held jobs (scheduler calls, wall
#   ms, our own ms). Every figure is printed with the command that made it.
#   bench/slurm/bench-slurm.sh [BUILD_DIR]     (default: build-rel, Release)
# The Slurm testbed is restarted before each poll figure: finished jobs
# stay in slurmctld's memory for MinJobAge and slow every squeue down.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build-rel}
N=${BENCH_JOBS:-200}
BIG=${BENCH_BIG:-2000}
if [[ ! -x $BUILD/bench/slurm/bench_slurm ]]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" --target bench_slurm -j2 >/dev/null
fi
B=$BUILD/bench/slurm/bench_slurm
export TESTBED_DIR=${TESTBED_DIR:-/tmp/xrun-testbed}
fresh_slurm() { "$ROOT/scripts/testbed-slurm.sh" down 2>/dev/null; "$ROOT/scripts/testbed-slurm.sh" up 2>/dev/null; sleep 3; }
"$ROOT/scripts/testbed-sshd.sh" up 2>/dev/null
fresh_slurm
source "$TESTBED_DIR/slurm/env.sh"
source "$TESTBED_DIR/env.sh"
CP=$(mktemp -d /tmp/xrun-bench-cm-XXXXXX)
CMO=(-F "$TESTBED_SSH_CONFIG" -o ControlMaster=auto -o "ControlPath=$CP/%C" -o ControlPersist=300)
trap 'ssh "${CMO[@]}" -O exit xrun-testbed 2>/dev/null || true; rm -rf "$CP"' EXIT

loop() {  # loop LABEL COMMAND...: N sequential submissions, jobs/s
  local label=$1; shift
  local t0=$EPOCHREALTIME j
  for ((i = 0; i < N; i++)); do
    j=$("$@") || { echo "bench: $label failed" >&2; exit 1; }
    [[ ${j%%;*} =~ ^[0-9]+$ ]] || { echo "bench: $label: bad job id '$j'" >&2; exit 1; }
  done
  awk -v n="$N" -v a="$t0" -v b="$EPOCHREALTIME" -v l="$label" \
    'BEGIN{printf "%-44s %6.2f s  %6.1f jobs/s  (%.2f ms/job)\n", l, b-a, n/(b-a), (b-a)*1000/n}'
}

echo "== submission of $N held jobs ($(date -u +%FT%TZ), $(nproc) CPUs, Slurm $(sinfo -V | cut -d' ' -f2))"
echo "   raw: sbatch --parsable -o /dev/null --hold --wrap true"
loop "raw local sbatch loop" sbatch --parsable -o /dev/null --hold --wrap true
ssh "${CMO[@]}" -fN xrun-testbed
loop "sbatch through OpenSSH ControlMaster" ssh "${CMO[@]}" xrun-testbed sbatch --parsable -o /dev/null --hold --wrap true
echo "   xrun: xrun_job_submit {\"command\":\"true\",\"hold\":true} per job (script written, sbatch run, store updated)"
"$B" submit ssh "$N" 1
"$B" submit ssh "$N" 8
"$B" submit local "$N" 1
echo "   xrun batched: submit_batch_program (mkdir, scripts, $N sbatch) as ONE command through the same transports"
"$B" batch ssh "$N"
"$B" batch local "$N"
scancel -u xruntest; scancel -u root

echo "== one poll round (xrun_poll) over held jobs; own = round wall - the same squeue alone"
fresh_slurm; "$B" poll ssh "$N"
fresh_slurm; "$B" poll ssh "$BIG"
fresh_slurm; "$B" poll local "$BIG"
scancel -u xruntest; scancel -u root
