#!/bin/sh
# Runs a test unchanged on "transport": "openssh" (the test's machines file
# reads XRUN_TEST_TRANSPORT), with a ControlMaster directory of its own,
# and stops the masters it left: nothing outlives the test.
#   tests/ssh/with_openssh.sh TEST [ARGS...]
set -u
dir=$(mktemp -d /tmp/xcm-XXXXXX) || exit 1
XRUN_SSH_CONTROL_DIR=$dir XRUN_TEST_TRANSPORT=openssh "$@"
rc=$?
for socket in "$dir"/cm-*; do
  [ -S "$socket" ] && ssh -o ControlPath="$socket" -O exit placeholder >/dev/null 2>&1
done
rm -rf "$dir"
exit $rc
