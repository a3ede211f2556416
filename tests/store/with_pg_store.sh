#!/usr/bin/env bash
# Runs a test program against a fresh PostgreSQL store: loads the testbed's
# env ($TESTBED_DIR/postgres/env.sh, written by scripts/testbed-postgres.sh),
# creates an empty schema of its own, and exports XRUN_STORE (the URL, no
# password), PGPASSFILE and XRUN_TEST_PG_BASE_URL (the database, for tests
# that make stores of their own), so that every context
# the test opens uses it. Fails (never skips) when the testbed is not up.
#   tests/store/with_pg_store.sh PROGRAM ARGS...
set -euo pipefail
env_file=${TESTBED_DIR:-/tmp/xrun-testbed}/postgres/env.sh
[[ -f $env_file ]] || { echo "FAIL: $env_file missing: the PostgreSQL testbed is not up" >&2; exit 1; }
# shellcheck disable=SC1090
. "$env_file"
export PGPASSFILE=$TESTBED_PG_PASSFILE
schema="w_$(basename "$1" | tr -c 'a-zA-Z0-9\n' '_')_$$"
psql -X -q -v ON_ERROR_STOP=1 "postgresql://$TESTBED_PG_USER@$TESTBED_PG_HOST:$TESTBED_PG_PORT/$TESTBED_PG_DB" \
  -c "CREATE SCHEMA $schema" >/dev/null || { echo "FAIL: cannot create schema $schema" >&2; exit 1; }
export XRUN_STORE="postgresql://$TESTBED_PG_USER@$TESTBED_PG_HOST:$TESTBED_PG_PORT/$TESTBED_PG_DB?options=-csearch_path%3D$schema"
export XRUN_TEST_PG_BASE_URL="postgresql://$TESTBED_PG_USER@$TESTBED_PG_HOST:$TESTBED_PG_PORT/$TESTBED_PG_DB"
echo "# store: $XRUN_STORE"
exec "$@"
