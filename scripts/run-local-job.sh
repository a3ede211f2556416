#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run a
# real job through the library on the default machine (the built-in
# `local` machine when nothing is configured in ~/.xrun).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DXRUN_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
echo "+ build/release/xrun run -- sh -c 'echo \"hello from xrun job \$XRUN_JOB_ID on \$(hostname)\"; uname -sr'"
exec build/release/xrun run -- sh -c 'echo "hello from xrun job $XRUN_JOB_ID on $(hostname)"; uname -sr'
