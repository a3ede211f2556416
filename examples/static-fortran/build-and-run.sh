#!/usr/bin/env bash
# Proves a Fortran vendor code can embed xrun statically:
#   1. cmake --install the build into a temporary prefix;
#   2. drop the shared library from that prefix, so only libxrun.a can
#      satisfy -lxrun;
#   3. compile the installed module source and vendor.f90 with gfortran and
#      `pkg-config --static --libs xrun`;
#   4. check the program does not load libxrun.so, run it on a throw-away
#      XRUN_HOME, and check its output.
#   examples/static-fortran/build-and-run.sh BUILD_DIR [QE_OUTPUT]
set -euo pipefail
build=${1:?usage: build-and-run.sh BUILD_DIR [QE_OUTPUT]}
qe_output=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/xrun-static-fortran-XXXXXX)
trap 'rm -rf "$work"' EXIT

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
rm -f "$prefix"/lib*/libxrun.so*
pcdir=$(dirname "$(find "$prefix" -name xrun.pc | head -1)")
# The .pc names the configured prefix; point it at this one.
sed -i "s|^prefix=.*|prefix=$prefix|" "$pcdir/xrun.pc"
module_src=$prefix/share/xrun/fortran/xrun.f90
[ -f "$module_src" ] || { echo "FAIL: $module_src not installed" >&2; exit 1; }
libs=$(PKG_CONFIG_PATH=$pcdir pkg-config --static --libs xrun)
echo "pkg-config --static --libs xrun: $libs"

cd "$work"
gfortran -Wall -Wextra -std=f2018 "$module_src" "$here/vendor.f90" $libs -o vendor
if ldd ./vendor | grep -q libxrun; then echo "FAIL: vendor loads libxrun.so" >&2; exit 1; fi

out=$(XRUN_HOME=$work/home ./vendor $qe_output)
echo "$out"
first=$(printf '%s\n' "$out" | head -1)
[ "$first" = "completed (exit 0): embedded xrun works from Fortran" ] ||
  { echo "FAIL: unexpected output: $first" >&2; exit 1; }
if [ -n "$qe_output" ]; then
  printf '%s\n' "$out" | grep -q '^parsed qe: total energy (eV) -' ||
    { echo "FAIL: no parsed energy" >&2; exit 1; }
fi
echo "static Fortran vendor: OK"
