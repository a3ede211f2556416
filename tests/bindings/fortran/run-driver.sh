#!/bin/sh
# Runs the Fortran driver example on a throw-away XRUN_HOME (never ~/.xrun),
# on a copy of the QE output whose path holds a quote, double quotes, a
# backslash and spaces: the driver builds its specs with the xrun_spec_*
# setters, so the path reaches `cat` unchanged (hand-made JSON broke here).
#   run-driver.sh FORTRAN_DRIVER QE_OUTPUT
set -u
driver=$1
output=$2
XRUN_HOME=$(mktemp -d) || exit 1
export XRUN_HOME
odd="$XRUN_HOME/it's a \"quoted\" \\ dir"
mkdir "$odd" && cp "$output" "$odd/si scf.out" || { rm -rf "$XRUN_HOME"; exit 1; }
"$driver" "$odd/si scf.out" 3
status=$?
rm -rf "$XRUN_HOME"
exit $status
