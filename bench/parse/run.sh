#!/usr/bin/env bash
# Parser throughput, side by side in one run:
#   pw.x stdout: xrun beside `grep -c` (the I/O floor) on the largest corpus
#     file and on a 500 MB file of whole pw.x runs back to back; ASE's reader
#     on the corpus file (on 500 MB it needs minutes and gigabytes).
#   OUTCAR and vasprun.xml: xrun beside pymatgen (Outcar, Vasprun) and ASE
#     (vasp-out, vasp-xml) on files grown from corpus runs by repeating
#     their ionic steps.
# Big inputs are made in $TMPDIR at bench time and deleted after. Figures are
# wall and CPU (user + system) throughput; on a shared machine the CPU
# figure is the comparable one.
#   bench/parse/run.sh [CORPUS_DIR]      (BUILD_DIR=... to reuse a build)
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${1:-${XRUN_CORPUS_DIR:-$here/../shared/corpus}}
build=${BUILD_DIR:-$here/build-release}
tmp=${TMPDIR:-/tmp}
py=/usr/bin/python3
large="$corpus/qe/generated/si8_md_large.out"
outcar="$corpus/vasp/custodian_postprocess_OUTCAR"
vasprun="$corpus/vasp/custodian_postprocess_vasprun.xml"
for f in "$large" "$outcar" "$vasprun"; do [[ -f "$f" ]] || { echo "run.sh: no $f" >&2; exit 1; }; done

if [[ ! -f "$build/CMakeCache.txt" ]]; then cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null; fi
cmake --build "$build" --target bench_parse -j2 >/dev/null
bench="$build/bench/parse/bench_parse"

work=$(mktemp -d "$tmp/xrun-bench-parse-XXXXXX")
trap 'rm -rf "$work"' EXIT

# Whole pw.x runs back to back, as in a log of many jobs.
big="$work/pw-500mb.out"
: > "$big"
while (( $(stat -c %s "$big") < 500000000 )); do cat "$large" >> "$big"; done

# An OUTCAR / vasprun.xml of many ionic steps: the corpus run's steps
# repeated between its own header and its closing part.
"$py" - "$outcar" "$work/OUTCAR" "$vasprun" "$work/vasprun.xml" 30000000 <<'EOF'
import re
import sys
outcar, outcar_big, vasprun, vasprun_big, target = sys.argv[1:6]
target = int(target)

def grow(src, dst, first, last):
    """Repeats lines[a:b]: from the first line where first() holds to the
    last line where last() holds, excluded."""
    lines = open(src, encoding="latin-1").read().splitlines(keepends=True)
    a = next(i for i, l in enumerate(lines) if first(l))
    b = max(i for i, l in enumerate(lines) if last(l))
    head, body, tail = lines[:a], "".join(lines[a:b]), lines[b:]
    with open(dst, "w", encoding="latin-1") as f:
        f.writelines(head)
        size = 0
        while size < target:
            f.write(body)
            size += len(body)
        f.writelines(tail)

# OUTCAR: whole ionic steps 1..N-1 (each starts at its "Iteration  k(   1)").
step_start = re.compile(r"-+ Iteration\s+\d+\(\s*1\)")
grow(outcar, outcar_big, lambda l: step_start.search(l), lambda l: step_start.search(l))
# vasprun.xml: whole <calculation> blocks but the last.
grow(vasprun, vasprun_big, lambda l: l.strip().startswith("<calculation>"),
     lambda l: l.strip().startswith("<calculation>"))
EOF

grep_rate() {  # best of 3: wall and CPU MB/s
  local f=$1 best="" best_cpu="" t0 t1 dt cpu out
  for _ in 1 2 3; do
    t0=$EPOCHREALTIME
    # Through a pipe: GNU grep stops at the first match when writing to /dev/null.
    out=$( { LC_ALL=C /usr/bin/time -f "%U %S" grep -c '!    total energy' "$f" | cat >/dev/null; } 2>&1 )
    t1=$EPOCHREALTIME
    dt=$("$py" -c "print($t1 - $t0)")
    cpu=$("$py" -c "u, s = '$out'.split()[-2:]; print(max(float(u) + float(s), 0.01))")
    if [[ -z "$best" ]] || "$py" -c "import sys; sys.exit(0 if $dt < $best else 1)"; then best=$dt; fi
    if [[ -z "$best_cpu" ]] || "$py" -c "import sys; sys.exit(0 if $cpu < $best_cpu else 1)"; then best_cpu=$cpu; fi
  done
  "$py" -c "import os; mb=os.path.getsize('$f')/1e6; print(f'{mb/$best:.1f} MB/s wall, {mb/$best_cpu:.1f} MB/s CPU  ({mb:.1f} MB in {$best:.3f} s, best of 3)')"
}

row() { printf '  %-9s %s\n' "$1" "$2"; }

echo "== pw.x stdout"
for f in "$large" "$big"; do
  cat "$f" > /dev/null  # warm the page cache for every reader alike
  echo "-- $(basename "$f") ($(( $(stat -c %s "$f") / 1000000 )) MB)"
  row "xrun" "$("$bench" "$f" qe 5)"
  row "grep -c" "$(grep_rate "$f")"
  if [[ "$f" == "$large" ]]; then
    row "ASE" "$("$py" "$here/bench/parse/py_read.py" ase "$f" espresso-out 2>&1 | tail -1)"
  fi
done

for pair in "OUTCAR:vasp-out" "vasprun.xml:vasp-xml"; do
  name=${pair%%:*} fmt=${pair##*:} f="$work/${pair%%:*}"
  cat "$f" > /dev/null
  echo "== $name ($(( $(stat -c %s "$f") / 1000000 )) MB, grown from the corpus run)"
  row "xrun" "$("$bench" "$f" vasp 3)"
  row "pymatgen" "$("$py" "$here/bench/parse/py_read.py" pymatgen "$f" "$fmt" 2>&1 | tail -1)"
  row "ASE" "$("$py" "$here/bench/parse/py_read.py" ase "$f" "$fmt" 2>&1 | tail -1)"
done
