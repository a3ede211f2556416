#!/usr/bin/env bash
# Proves that check-abi.sh enforces docs/ABI.md's rule, on small libraries
# built here from variants of one header: additions pass (function, enum
# value appended, field appended to an options struct), removals and
# changes fail (function removed, parameter changed, field inserted in the
# middle, enum value renumbered, SONAME moved).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
work=$(mktemp -d /tmp/xrun-abi-selftest-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

header() { # DIR [sed expression]
  mkdir -p "$1"
  cat > "$1/xrun.h" <<'H'
typedef enum xrun_kind { XRUN_KIND_A = 0, XRUN_KIND_B = 1 } xrun_kind;
typedef struct xrun_options { unsigned int version; const char *home; } xrun_options;
typedef struct xrun_ctx xrun_ctx;
int xrun_open(xrun_ctx **out, const xrun_options *opts);
int xrun_scale(int value);
int xrun_kind_code(xrun_kind kind);
H
  if [[ -n "${2:-}" ]]; then sed -i "$2" "$1/xrun.h"; fi
}
source_with() { # extra C text appended to the base definitions
  cat <<C
#include <xrun.h>
struct xrun_ctx { int internal; };
int xrun_open(xrun_ctx **out, const xrun_options *opts) { (void)out; return (int)opts->version; }
int xrun_kind_code(xrun_kind kind) { return (int)kind; }
$1
C
}
build() { # NAME HEADER_DIR C_TEXT [SONAME]
  source_with "$3" > "$1.c"
  "$cc" -g -shared -fPIC -I"$2" -Wl,-soname,"${4:-libtoy.so.1}" -o "$1.so" "$1.c"
}

scale='int xrun_scale(int value) { return 2 * value; }'
header base
build base base "$scale"
"$here/check-abi.sh" dump base.so base base.abi

failures=0
expect() { # pass|fail NAME HEADER_DIR
  local want=$1 name=$2 dir=$3 got=pass
  "$here/check-abi.sh" compare base.abi "$name.so" "$dir" >"$name.log" 2>&1 || got=fail
  if [[ $got == "$want" ]]; then
    echo "ok: $name -> $got"
  else
    echo "WRONG: $name -> $got, expected $want"; cat "$name.log"; failures=$((failures + 1))
  fi
}

expect pass base base
build added base "$scale int xrun_new_call(void) { return 3; }";           expect pass added base
header enum_appended 's/XRUN_KIND_B = 1 }/XRUN_KIND_B = 1, XRUN_KIND_C = 2 }/'
build enum_appended enum_appended "$scale";                                 expect pass enum_appended enum_appended
header field_appended 's/const char \*home; }/const char *home; int extra; }/'
build field_appended field_appended "$scale";                              expect pass field_appended field_appended
build removed base "";                                                      expect fail removed base
header changed 's/int xrun_scale(int value);/int xrun_scale(long value, int by);/'
build changed changed 'int xrun_scale(long value, int by) { return (int)value * by; }'; expect fail changed changed
header field_inserted 's/unsigned int version; const char/unsigned int version; int flags; const char/'
build field_inserted field_inserted "$scale";                              expect fail field_inserted field_inserted
header enum_renumbered 's/XRUN_KIND_A = 0, XRUN_KIND_B = 1/XRUN_KIND_A = 1, XRUN_KIND_B = 0/'
build enum_renumbered enum_renumbered "$scale";                            expect fail enum_renumbered enum_renumbered
build soname_moved base "$scale" libtoy.so.2;                              expect fail soname_moved base

if (( failures )); then echo "ABI self-test: $failures case(s) judged wrongly"; exit 1; fi
echo "ABI self-test: every case judged as docs/ABI.md says"
