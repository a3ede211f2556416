#!/usr/bin/env bash
# A full disk and an unwritable job directory: submission fails with a clear
# error naming the path, the job stays in the store as `created` with the
# reason (nothing lost), and no half-made job directory is left.
set -u
X=${XRUN_TOOL:?run through ctest}
export XRUN_HOME=$(mktemp -d /tmp/xrun-diskfull-XXXXXX)
tiny=$XRUN_HOME/tiny
mkdir -p "$tiny"
if ! mount -t tmpfs -o size=64k,mode=0755 tmpfs "$tiny"; then
  echo "FAIL: cannot mount a 64 KiB tmpfs at $tiny (needs root)" >&2
  exit 1
fi
trap 'umount "$tiny" 2>/dev/null; rm -rf "$XRUN_HOME"' EXIT
pass=0 fail=0
check() { local what=$1; shift; if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what" >&2; fi; }

mkdir -p "$tiny/jobs"
dd if=/dev/zero of="$tiny/filler" bs=4k count=100 2>/dev/null   # fills it: dd stops at ENOSPC
cat > "$XRUN_HOME/machines.json" <<JSON
{"machines": {
  "full": {"execution": "local", "scheduler": "direct", "workdir": "$tiny/jobs"},
  "notadir": {"execution": "local", "scheduler": "direct", "workdir": "/etc/hostname/jobs"}}}
JSON

err=$("$X" submit -m full -- echo hi 2>&1); rc=$?
check "submit on a full disk fails" test $rc -ne 0
check "the error is an I/O error" grep -q XRUN_E_IO <<<"$err"
check "the error names the path" grep -qF "$tiny/jobs" <<<"$err"
echo "$err"
list=$("$X" list --json -m full)
check "the job is kept, as created" grep -q '"state":[[:space:]]*"created"' <<<"$list"
check "with the reason" grep -q 'not submitted' <<<"$list"
check "no half-made job directory is left" test -z "$(ls -A "$tiny/jobs")"

err=$("$X" submit -m notadir -- echo hi 2>&1); rc=$?
check "submit under a file fails" test $rc -ne 0
check "the error names /etc/hostname" grep -qF "/etc/hostname" <<<"$err"
echo "$err"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
