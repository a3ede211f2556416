#!/usr/bin/env bash
# The bash completion (tools/completion/xrun.bash) completes commands,
# states, machine names from the configured machines and job ids from the
# store; the man page (docs/man/xrun.1) renders without warnings and lists
# every command of `xrun --help` and the exit codes, which `xrun --help`
# lists too.
set -euo pipefail
X=${XRUN_TOOL:?XRUN_TOOL names the built xrun}
SRC=${XRUN_SOURCE_DIR:?}
export XRUN_HOME=$(mktemp -d /tmp/xrun-completion-XXXXXX)
trap 'rm -rf "$XRUN_HOME"' EXIT
mkdir -p "$XRUN_HOME/bin" && ln -s "$X" "$XRUN_HOME/bin/xrun"
export PATH=$XRUN_HOME/bin:$PATH
printf '{"machines": {"cluster9": {"host": "h.example.org", "scheduler": "slurm"}}}' >"$XRUN_HOME/machines.json"
id=$(xrun submit -m local --name c -- true | tail -1)

# shellcheck source=/dev/null
source "$SRC/tools/completion/xrun.bash"
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _xrun; echo "${COMPREPLY[*]}"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $(complete_words xrun mach) == machines ]] || fail "command: $(complete_words xrun mach)"
[[ $(complete_words xrun list --state runn) == running ]] || fail "state"
[[ $(complete_words xrun submit -m clu) == cluster9 ]] || fail "machine: $(complete_words xrun submit -m clu)"
[[ " $(complete_words xrun machines show "") " == *" local "* ]] || fail "machines show"
[[ $(complete_words xrun wait "${id:0:10}") == "$id" ]] || fail "job id: $(complete_words xrun wait "${id:0:10}")"
echo "ok: completion of commands, states, machines, job ids"

page=$(MANWIDTH=100 man --warnings -l "$SRC/docs/man/xrun.1" 2>"$XRUN_HOME/man.err")
[[ ! -s $XRUN_HOME/man.err ]] || fail "man page warnings: $(cat "$XRUN_HOME/man.err")"
for cmd in $("$X" --help | awk '/^  [a-z]/ {print $1}'); do
  grep -q "^ *$cmd\b" <<<"$page" || fail "the man page does not describe '$cmd'"
done
for code in 124 125 130; do grep -q "^ *$code\b" <<<"$page" || fail "exit code $code missing"; done
echo "ok: man page renders and covers every command and exit code"
help=$("$X" --help)
for code in 0 1 2 124 125 130; do grep -q "^  $code\b" <<<"$help" || fail "exit code $code missing from xrun --help"; done
echo "ok: xrun --help lists the exit codes"
