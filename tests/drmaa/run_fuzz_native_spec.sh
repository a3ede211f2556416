#!/usr/bin/env bash
# Builds the native-specification fuzz target with clang (libFuzzer,
# ASan+UBSan) from drmaa/src/native_spec.cpp and runs it for a bounded time
# from its seeds. Fails on any crash, leak, hang (>5 s on one input) or
# memory blow-up (>1 GiB).
#   run_fuzz_native_spec.sh SECONDS
set -euo pipefail
seconds=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${XRUN_BINARY_DIR:-$src/build}/fuzz
mkdir -p "$out/corpus-native_spec"
CXX=${CLANGXX:-clang++}
command -v "$CXX" >/dev/null || { echo "FAIL: $CXX not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
binary=$out/fuzz_native_spec
echo "building $binary"
"$CXX" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$src/drmaa/src" $(pkg-config --cflags libcjson) \
  "$src/tests/drmaa/fuzz_native_spec.cpp" "$src/drmaa/src/native_spec.cpp" $(pkg-config --libs libcjson) -o "$binary"
echo "running native_spec for $seconds s"
"$binary" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -max_len=8192 -print_final_stats=1 \
  -dict="$src/tests/drmaa/native_spec.dict" "$out/corpus-native_spec" "$src/tests/drmaa/seeds" 2>&1 | tail -25
echo "fuzz native_spec: no crash in $seconds s"
