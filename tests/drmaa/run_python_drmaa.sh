#!/usr/bin/env bash
# Runs test_python_drmaa.py KIND with Debian's /usr/bin/python3 and its
# python3-drmaa. In a sanitizer build the interpreter needs the ASan runtime
# preloaded (the library links it); leak checking is off for the interpreter's
# own allocations. Jobs run over SSH, so they never inherit the preload.
#   run_python_drmaa.sh slurm|direct
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lib=${DRMAA_LIBRARY_PATH:?DRMAA_LIBRARY_PATH must name libxrun-drmaa.so}
if [[ $(ldd "$lib") == *libasan* ]]; then  # not `| grep -q`: under pipefail its early exit fails ldd
  # libstdc++ too: ASan's __cxa_throw interceptor must find it at start.
  export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libstdc++.so)"
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi
# After the preload: importing the package loads the library.
/usr/bin/python3 -c 'import drmaa.const' 2>/dev/null || {
  echo "FAIL: Debian's python3-drmaa is not installed (scripts/install-deps.sh --test)" >&2; exit 1; }
exec /usr/bin/python3 "$here/test_python_drmaa.py" "$@"
