#!/usr/bin/env bash
# xrun store info | migrate on both backends, and the errors a user of a
# PostgreSQL store meets: server unreachable, password refused, a schema
# newer than this xrun. A password given in the URL works, and appears in
# no output and no file under XRUN_HOME. Needs the PostgreSQL testbed
# (the `postgres` fixture); fails, never skips, without it.
set -u
X=${XRUN_TOOL:?run through ctest}
env_file=${TESTBED_DIR:-/tmp/xrun-testbed}/postgres/env.sh
[[ -f $env_file ]] || { echo "FAIL: $env_file missing: the PostgreSQL testbed is not up" >&2; exit 1; }
. "$env_file"
export PGPASSFILE=$TESTBED_PG_PASSFILE
export XRUN_HOME=$(mktemp -d /tmp/xrun-store-tool-XXXXXX)
unset XRUN_STORE
pass=0 fail=0
check() {  # check "what" <command that must succeed>
  local what=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what" >&2; fi
}
json() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# SQLite, the default.
out=$("$X" store info --json); rc=$?
check "store info on the default store ($rc)" test $rc -eq 0
check "the default backend is sqlite" test "$(json "$out" backend)" = sqlite
check "the default location is XRUN_HOME/xrun.db" test "$(json "$out" location)" = "$XRUN_HOME/xrun.db"
out=$("$X" store migrate)
check "migrate on a current file store says so ($out)" grep -q "nothing to migrate" <<<"$out"

# PostgreSQL: a fresh schema of the testbed's database.
schema="tool_store_$$"
base="postgresql://$TESTBED_PG_USER@$TESTBED_PG_HOST:$TESTBED_PG_PORT/$TESTBED_PG_DB"
psql -X -q -v ON_ERROR_STOP=1 "$base" -c "CREATE SCHEMA $schema" || { echo "FAIL: cannot create schema" >&2; exit 1; }
export XRUN_STORE="$base?options=-csearch_path%3D$schema"
out=$("$X" store migrate); rc=$?
check "store migrate on an empty database ($rc: $out)" test $rc -eq 0
check "migrate says what it did ($out)" grep -q "from schema version 0 to 4" <<<"$out"
out=$("$X" store migrate)
check "a second migrate has nothing to do ($out)" grep -q "nothing to migrate" <<<"$out"
out=$("$X" store info --json)
check "store info: backend postgresql" test "$(json "$out" backend)" = postgresql
check "store info: schema 4" test "$(json "$out" schema_version)" -eq 4
out=$("$X" store info)
check "store info as text names the server" grep -q "location        postgresql://xrun@127.0.0.1:$TESTBED_PG_PORT/xrun" <<<"$out"
id=$("$X" submit -- true | tail -1)
"$X" wait --timeout 30 "$id" >/dev/null; rc=$?
check "a job runs with the store on PostgreSQL ($rc)" test $rc -eq 0
check "the job is in the database" test "$(psql -X -t -A "$XRUN_STORE" -c "SELECT state FROM jobs WHERE id = '$id'")" = 6
check "no SQLite file was made" test ! -e "$XRUN_HOME/xrun.db-wal"

# The password in the URL (and no pgpass): works, shown nowhere.
pw_url="postgresql://$TESTBED_PG_USER:$TESTBED_PG_PASSWORD@$TESTBED_PG_HOST:$TESTBED_PG_PORT/$TESTBED_PG_DB?options=-csearch_path%3D$schema"
out=$(PGPASSFILE=/nonexistent XRUN_VERBOSE=1 XRUN_STORE=$pw_url "$X" list 2>&1 && PGPASSFILE=/nonexistent XRUN_VERBOSE=1 XRUN_STORE=$pw_url "$X" store info --json 2>&1); rc=$?
check "the URL's password is used ($rc)" test $rc -eq 0
check "the job is listed through the URL with a password" grep -q "$id" <<<"$out"
check "the password appears in no output" test "$(grep -c "$TESTBED_PG_PASSWORD" <<<"$out")" -eq 0
check "the password is in no file of XRUN_HOME" test -z "$(grep -rl "$TESTBED_PG_PASSWORD" "$XRUN_HOME" 2>/dev/null)"

# Clear errors.
out=$(XRUN_STORE="postgresql://xrun@127.0.0.1:1/xrun?connect_timeout=5" "$X" list 2>&1); rc=$?
check "an unreachable server fails ($rc)" test $rc -eq 1
check "...saying it cannot connect ($out)" grep -q "postgresql://xrun@127.0.0.1:1/xrun: cannot connect to the PostgreSQL server" <<<"$out"
out=$(PGPASSFILE=/nonexistent XRUN_STORE="postgresql://xrun:Wrong-Pass-77@$TESTBED_PG_HOST:$TESTBED_PG_PORT/$TESTBED_PG_DB" "$X" list 2>&1); rc=$?
check "a refused password fails ($rc)" test $rc -eq 1
check "...saying so ($out)" grep -q "password authentication failed" <<<"$out"
check "...without echoing the password" test "$(grep -c "Wrong-Pass-77" <<<"$out")" -eq 0
out=$(PGPASSFILE=/nonexistent "$X" list 2>&1); rc=$?
check "no password at all fails, naming ~/.pgpass ($out)" grep -q "pgpass" <<<"$out"
psql -X -q "$XRUN_STORE" -c "UPDATE xrun_schema SET version = 99"
out=$("$X" store info 2>&1); rc=$?
check "a newer schema is refused ($rc)" test $rc -eq 1
check "...saying so ($out)" grep -q "schema version 99 is newer than this xrun supports (4)" <<<"$out"

psql -X -q "$base" -c "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1
rm -rf "$XRUN_HOME"
echo "test_tool_store: $pass passed, $fail failed"
test $fail -eq 0
