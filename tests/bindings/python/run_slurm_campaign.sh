#!/usr/bin/env bash
# Runs check_slurm_campaign.py (issue 13's caching and pw.x-retry scenarios
# on the real Slurm and sshd testbeds) with each interpreter the bindings are
# tested with: Debian's /usr/bin/python3 (python3-cffi) and the default
# python3 on PATH (its own cffi), once when they are the same. Every
# interpreter runs even if an earlier one failed; any failure fails.
# In a sanitizer build the interpreter needs the ASan runtime preloaded (the
# library links it); the script drops it for the commands the library starts.
#   XRUN_LIBRARY=build/libxrun.so run_slurm_campaign.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lib=${XRUN_LIBRARY:?XRUN_LIBRARY must name libxrun.so}
if [[ $(ldd "$lib") == *libasan* ]]; then  # not `| grep -q`: under pipefail its early exit fails ldd
  # libstdc++ too: ASan's __cxa_throw interceptor must find it at start.
  export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libstdc++.so)"
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi
interpreters=(/usr/bin/python3)
default=$(command -v python3 || true)
[[ -n $default && $(realpath "$default") != $(realpath /usr/bin/python3) ]] && interpreters+=("$default")
# A pyenv shim resolves to itself, not to the interpreter: compare what runs.
if ((${#interpreters[@]} == 2)) &&
   [[ $("${interpreters[1]}" -c 'import sys; print(sys.executable)') == \
      $(/usr/bin/python3 -c 'import sys; print(sys.executable)') ]]; then
  interpreters=(/usr/bin/python3)
fi
failed=0
for py in "${interpreters[@]}"; do
  echo "== $py $("$py" -c 'import sys, cffi; print("%d.%d.%d" % sys.version_info[:3], "cffi", cffi.__version__)')"
  "$py" "$here/check_slurm_campaign.py" || failed=1
done
exit $failed
