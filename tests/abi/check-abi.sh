#!/usr/bin/env bash
# The ABI check of docs/ABI.md, with libabigail (Debian abigail-tools).
#   check-abi.sh dump    LIB HEADERS_DIR OUT.abi    describe LIB's public ABI
#   check-abi.sh compare BASELINE.abi LIB HEADERS_DIR
# `compare` describes LIB the same way the baseline was described (only the
# exported symbols and the types reachable from them that are defined in
# HEADERS_DIR; opaque handles stay opaque) and fails when anything in the
# baseline was removed or changed. Additions pass: new functions, enum
# values appended, fields appended to an options struct (xrun.abignore).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

dump() { # LIB HEADERS_DIR OUT
  abidw --no-show-locs --no-corpus-path --exported-interfaces-only \
    --headers-dir "$(cd "$2" && pwd)" --drop-private-types "$1" --out-file "$3"
}

case "${1:-}" in
  dump)
    dump "$2" "$3" "$4"
    ;;
  compare)
    baseline=$2 lib=$3 headers=$4
    current=$(mktemp /tmp/xrun-abi-XXXXXX.abi)
    trap 'rm -f "$current"' EXIT
    dump "$lib" "$headers" "$current"
    status=0
    abidiff --no-added-syms --suppressions "$here/xrun.abignore" "$baseline" "$current" || status=$?
    # abidiff's status is a bit set: 1 tool error, 2 usage error, 4 an ABI
    # change, 8 an incompatible change. Additions are filtered out above,
    # so any bit left set is a failure.
    if (( status != 0 )); then
      echo "ABI check FAILED: $lib differs from $baseline (abidiff status $status)." >&2
      echo "Removing or changing a function, a type or an enum value breaks every program built" >&2
      echo "against the library; see docs/ABI.md for what may change and how." >&2
      exit 1
    fi
    echo "ABI check passed: $lib keeps every symbol and type of $(basename "$baseline")"
    ;;
  *)
    echo "usage: check-abi.sh dump LIB HEADERS_DIR OUT | compare BASELINE LIB HEADERS_DIR" >&2
    exit 2
    ;;
esac
