#!/usr/bin/env bash
# Fuzzes every output parser with libFuzzer (clang, ASan + UBSan) for a
# bounded time each, starting from the real outputs of the corpus plus a
# 0-byte file, binary garbage and a 10 MB line. Fails on any crash, leak,
# hang (> 5 s per input) or memory above 1 GB (256 MB in one allocation).
#   scripts/fuzz-parsers.sh [SECONDS_PER_PARSER] [CORPUS_DIR]
set -euo pipefail

seconds=${1:-7}
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${2:-${XRUN_CORPUS_DIR:-$here/../shared/corpus}}
cxx=${CLANGXX:-$(command -v clang++-14 || command -v clang++ || true)}
if [[ -z "$cxx" ]]; then
  echo "fuzz-parsers: clang++ not found (install clang and libclang-rt-14-dev)" >&2
  exit 1
fi
if [[ ! -f "$corpus/expected.json" ]]; then
  echo "fuzz-parsers: no corpus at $corpus" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/xrun-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT

# The parser sources and the one util file they use, built with the fuzzer.
sources=("$here"/lib/parse/*.cpp "$here"/lib/util/json.cpp "$here"/tests/parse/fuzz_parsers.cpp)
"$cxx" -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$here/include" -I"$here/lib" $(pkg-config --cflags libcjson) \
  "${sources[@]}" $(pkg-config --libs libcjson) -o "$work/fuzz_parsers"

# Seeds: the head of every corpus output (libFuzzer mutates small inputs
# best), plus the hostile inputs the issue names.
seeds="$work/seeds"
mkdir -p "$seeds"
i=0
while IFS= read -r -d '' f; do
  head -c 65536 "$f" > "$seeds/seed_$i"
  i=$((i + 1))
done < <(find "$corpus" -type f \( -name '*.out' -o -name '*OUTCAR*' -o -name '*OSZICAR*' -o -name '*.xml*' \
         -o -name '*.err' -o -name '*.CRASH' -o -name '*.txt*' \) -print0)
: > "$seeds/empty"
cp "$here"/tests/parse/fuzz_regressions/* "$seeds/"  # inputs that once failed
head -c 200000 /dev/urandom > "$seeds/garbage"

special="$work/special"
mkdir -p "$special"
: > "$special/empty"
head -c 10000000 /dev/zero | tr '\0' 'x' > "$special/line_10mb"
{ head -c 3000 "$corpus/qe/generated/si_scf.out"; head -c 10000000 /dev/zero | tr '\0' '!'; echo; tail -c 3000 "$corpus/qe/generated/si_scf.out"; } > "$special/qe_with_10mb_line"
head -c 10000000 /dev/urandom > "$special/garbage_10mb"

status=0
for parser in auto qe vasp-outcar vasp-oszicar vasp-xml vasp-log crystal; do
  echo "fuzz-parsers: $parser, ${seconds}s"
  # The hostile inputs once each, at full size.
  if ! FUZZ_PARSER=$parser "$work/fuzz_parsers" -rss_limit_mb=1024 -malloc_limit_mb=256 -timeout=5 "$special"/* > "$work/special_$parser.log" 2>&1; then
    echo "fuzz-parsers: $parser FAILED on the special inputs:" >&2
    tail -40 "$work/special_$parser.log" >&2
    status=1
    continue
  fi
  mkdir -p "$work/corpus_$parser"
  if ! FUZZ_PARSER=$parser "$work/fuzz_parsers" -max_total_time="$seconds" -rss_limit_mb=1024 -malloc_limit_mb=256 -timeout=5 \
      -max_len=65536 -print_final_stats=0 -artifact_prefix="$work/crash_${parser}_" \
      "$work/corpus_$parser" "$seeds" > "$work/fuzz_$parser.log" 2>&1; then
    echo "fuzz-parsers: $parser FAILED:" >&2
    # The report, not the progress lines before it.
    sed -n '/==[0-9]*==\|^SUMMARY\|deadly signal\|ERROR: libFuzzer/,$p' "$work/fuzz_$parser.log" | head -80 >&2
    for c in "$work"/crash_"${parser}"_*; do
      [[ -e "$c" ]] && cp "$c" "${TMPDIR:-/tmp}/" && echo "fuzz-parsers: kept ${TMPDIR:-/tmp}/$(basename "$c")" >&2
    done
    status=1
  else
    grep -E "^#[0-9]+.*(DONE|pulse)" "$work/fuzz_$parser.log" | tail -1 || true
  fi
done
exit $status
