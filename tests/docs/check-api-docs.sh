#!/usr/bin/env bash
# The HTML API reference builds from include/xrun.h without one Doxygen
# warning (issue 15): every function, parameter, return value, type, field
# and enum value documented, and no malformed comment.
#   check-api-docs.sh DOXYGEN DOXYFILE
# DOXYFILE is the `docs` target's configuration (docs/api/Doxyfile.in as
# configured by CMake); this runs it with warnings as errors into a
# temporary directory, whatever XRUN_DOCS_WERROR says, and on failure lists
# every warning as file:line: text.
set -uo pipefail

doxygen=${1:?usage: check-api-docs.sh DOXYGEN DOXYFILE}
doxyfile=${2:?usage: check-api-docs.sh DOXYGEN DOXYFILE}
if ! command -v "$doxygen" >/dev/null 2>&1; then
  echo "check-api-docs: doxygen not found ($doxygen): install Debian's doxygen (scripts/install-deps.sh --test) and re-run cmake" >&2
  exit 1
fi
if [[ ! -f "$doxyfile" ]]; then
  echo "check-api-docs: no Doxyfile at $doxyfile (docs/CMakeLists.txt writes it when Doxygen is found): re-run cmake" >&2
  exit 1
fi

out=$(mktemp -d /tmp/xrun-api-docs-XXXXXX)
trap 'rm -rf "$out"' EXIT

# Later settings override earlier ones; `doxygen -` reads the configuration
# from stdin.
{
  cat "$doxyfile"
  echo "OUTPUT_DIRECTORY = $out"
  echo "WARN_AS_ERROR = FAIL_ON_WARNINGS"
  echo "WARN_LOGFILE = $out/warnings.log"
} | "$doxygen" - >"$out/doxygen.log" 2>&1
status=$?

warnings=0
if [[ -s "$out/warnings.log" ]]; then
  # With WARN_AS_ERROR each warning is printed as "file:line: error: text".
  warnings=$(grep -cE ': (warning|error): ' "$out/warnings.log")
fi
if [[ $status -ne 0 || -s "$out/warnings.log" ]]; then
  echo "check-api-docs: $warnings Doxygen warning(s) in the API reference, each an error (doxygen exited with $status):"
  cat "$out/warnings.log" 2>/dev/null
  [[ -s "$out/doxygen.log" ]] && { echo "--- doxygen output:"; cat "$out/doxygen.log"; }
  exit 1
fi
echo "check-api-docs: no Doxygen warning (doxygen $("$doxygen" --version))"
