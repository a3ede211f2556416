#!/usr/bin/env bash
# Parser throughput, side by side: xrun, ASE's reader (python3-ase) and
# `grep -c` (the I/O floor), on the largest corpus file and on a 500 MB file
# made by concatenating real pw.x outputs (built in $TMPDIR, deleted after).
#   bench/parse/run.sh [CORPUS_DIR]
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${1:-${XRUN_CORPUS_DIR:-$here/../shared/corpus}}
build=${BUILD_DIR:-$here/build-release}
tmp=${TMPDIR:-/tmp}
large="$corpus/qe/generated/si8_md_large.out"
[[ -f "$large" ]] || { echo "run.sh: no $large" >&2; exit 1; }

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target bench_parse -j2 >/dev/null

big=$(mktemp "$tmp/xrun-bench-500mb-XXXXXX.out")
trap 'rm -f "$big"' EXIT
# Whole pw.x runs back to back, as in a log of many jobs. Only copies of the
# MD run: ASE's reader fails on a file whose runs have different atom counts.
while (( $(stat -c %s "$big") < 500000000 )); do
  cat "$large" >> "$big"
done

grep_rate() {  # best of 3, MB/s
  local f=$1 best="" t0 t1 dt
  for _ in 1 2 3; do
    t0=$EPOCHREALTIME
    # Through a pipe: GNU grep stops at the first match when writing to /dev/null.
    LC_ALL=C grep -c '!    total energy' "$f" | cat >/dev/null
    t1=$EPOCHREALTIME
    dt=$(python3 -c "print($t1 - $t0)")
    if [[ -z "$best" ]] || python3 -c "import sys; sys.exit(0 if $dt < $best else 1)"; then best=$dt; fi
  done
  python3 -c "import os; s=$best; mb=os.path.getsize('$f')/1e6; print(f'{mb/s:.1f} MB/s  ({mb:.1f} MB in {s:.3f} s, best of 3)')"
}

for f in "$large" "$big"; do
  cat "$f" > /dev/null  # warm the page cache for every reader alike
  echo "== $(basename "$f") ($(( $(stat -c %s "$f") / 1000000 )) MB)"
  printf '  %-8s %s\n' "xrun" "$("$build/bench/parse/bench_parse" "$f" qe 10)"
  printf '  %-8s %s\n' "ASE" "$(/usr/bin/python3 "$here/bench/parse/ase_read.py" "$f" espresso-out 2>&1 | tail -1)"
  printf '  %-8s %s\n' "grep -c" "$(grep_rate "$f")"
done
