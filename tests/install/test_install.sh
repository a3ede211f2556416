#!/usr/bin/env bash
# cmake --install into a temporary prefix, then:
#  1. a vendor C program links libxrun.a with `pkg-config --static` flags
#     (the shared library is removed first, so nothing else can satisfy it)
#     and runs a real job;
#  2. a CMake project finds the installed package with find_package(xrun
#     CONFIG) and runs the same program against libxrun.so.
set -euo pipefail
: "${XRUN_BINARY_DIR:?run through ctest}" "${XRUN_SOURCE_DIR:?}"
work=$(mktemp -d /tmp/xrun-install-test-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$XRUN_BINARY_DIR" --prefix "$prefix" >/dev/null
for schema in machines.schema.json jobspec.schema.json; do
  python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$prefix/share/xrun/$schema" ||
    { echo "FAIL: share/xrun/$schema is not installed as JSON" >&2; exit 1; }
done
for f in share/man/man1/xrun.1 share/bash-completion/completions/xrun; do
  [[ -s "$prefix/$f" ]] || { echo "FAIL: $f is not installed" >&2; exit 1; }
done
export XRUN_HOME=$work/home

# 1. Static.
static_prefix=$work/static
cp -a "$prefix" "$static_prefix"
rm -f "$static_prefix"/lib*/libxrun.so*
pcdir=$(dirname "$(find "$static_prefix" -name xrun.pc)")
sed -i "s|^prefix=.*|prefix=$static_prefix|" "$pcdir/xrun.pc"
flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --static --cflags --libs xrun)
echo "pkg-config --static: $flags"
cc -std=c99 -Wall -Wextra -Werror "$XRUN_SOURCE_DIR/examples/static-c/vendor.c" $flags -o "$work/vendor"
if ldd "$work/vendor" | grep -q libxrun; then echo "FAIL: vendor links libxrun.so" >&2; exit 1; fi
out=$("$work/vendor")
echo "$out"
[ "$out" = "completed: embedded xrun works" ] || { echo "FAIL: unexpected output" >&2; exit 1; }

# 2. find_package.
cmake -S "$XRUN_SOURCE_DIR/tests/install/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
out=$(LD_LIBRARY_PATH=$(dirname "$(find "$prefix" -name 'libxrun.so' | head -1)") "$work/consumer/consumer")
[ "$out" = "completed: embedded xrun works" ] || { echo "FAIL: consumer output: $out" >&2; exit 1; }
echo "static vendor and find_package consumer both ran a job"
