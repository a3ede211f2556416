#!/usr/bin/env bash
# Builds one libFuzzer target with clang (ASan+UBSan) from the lib/ sources
# it needs and runs it for a bounded time from its seed corpus. Fails on any
# crash, leak, hang (>5 s on one input) or memory blow-up (>1 GiB).
#   run_fuzzer.sh TARGET SECONDS
set -euo pipefail
target=$1 seconds=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${XRUN_BINARY_DIR:-$src/build}/fuzz
mkdir -p "$out/corpus-$target"
CXX=${CLANGXX:-clang++}
command -v "$CXX" >/dev/null || { echo "FAIL: $CXX not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

# What each target links: only the folders it exercises.
case $target in
  machine_config)    dirs="util machine" ;;
  job_spec)          dirs="util machine core/job_spec" ;;
  scheduler_outputs) dirs="util machine scheduler" ;;
  *) sources_file="$src/tests/fuzz/$target.sources"
     [[ -f $sources_file ]] || { echo "FAIL: unknown fuzz target $target" >&2; exit 1; }
     dirs=$(cat "$sources_file") ;;
esac
sources=()
for d in $dirs; do
  if [[ -f $src/lib/$d.cpp ]]; then sources+=("$src/lib/$d.cpp"); else sources+=("$src"/lib/$d/*.cpp); fi
done
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$src/include" -I"$src/lib" $(pkg-config --cflags libcjson))
binary=$out/fuzz_$target
echo "building $binary"
"$CXX" "${flags[@]}" "$src/tests/fuzz/fuzz_$target.cpp" "${sources[@]}" $(pkg-config --libs libcjson) -o "$binary"
echo "running $target for $seconds s"
"$binary" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
  "$out/corpus-$target" "$src/tests/fuzz/seeds/$target" 2>&1 | tail -25
echo "fuzz $target: no crash in $seconds s"
