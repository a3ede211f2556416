#!/usr/bin/env bash
# A private PostgreSQL 15 server on 127.0.0.1 for xrun's store tests:
# initdb into a fresh temporary directory, pg_ctl on a non-default port, a
# password-protected role `xrun` (scram-sha-256) whose password is only in a
# pgpass file. Never touches a system cluster; stopped by the postmaster's
# pid. As root, the server runs as the unprivileged user `postgres` (initdb
# and postgres refuse root).
#
#   scripts/testbed-postgres.sh up      start (no-op if already up)
#   scripts/testbed-postgres.sh down    stop and delete the data directory
#   scripts/testbed-postgres.sh env     print the env file's path (after up)
#
# Environment:
#   TESTBED_DIR        default /tmp/xrun-testbed (shared with the other testbeds)
#   TESTBED_PG_PORT    default 25432
# Writes $TESTBED_DIR/postgres/env.sh with TESTBED_PG_{HOST,PORT,USER,DB,URL,
# PASSFILE,PASSWORD,ADMIN_URL,DATA,LOG}. TESTBED_PG_URL has no password: libpq
# finds it through PGPASSFILE=$TESTBED_PG_PASSFILE.
set -euo pipefail

D=${TESTBED_DIR:-/tmp/xrun-testbed}
PORT=${TESTBED_PG_PORT:-25432}
S=$D/postgres            # our state: env file, pgpass, the data dir's name
ENV_FILE=$S/env.sh
ROLE=xrun
DB=xrun

log() { echo "testbed-postgres: $*" >&2; }
die() { log "$*"; exit 1; }

bindir() {
  local b
  for b in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [[ -x $b/initdb && -x $b/pg_ctl ]] && { echo "$b"; return 0; }
  done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

ensure_packages() {
  if ! bindir >/dev/null; then
    log "installing postgresql"
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod 755 /usr/sbin/policy-rc.d
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
}

# Runs a server-side command as the server's user.
as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

data_dir() { [[ -f $S/data_dir ]] && cat "$S/data_dir"; }

# The postmaster's pid, if it is alive and is a postgres.
running_pid() {
  local data pid state
  data=$(data_dir) || return 1
  [[ -f $data/pgdata/postmaster.pid ]] || return 1
  pid=$(head -n1 "$data/pgdata/postmaster.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/stat ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  [[ $state != Z ]] || return 1
  grep -q postgres "/proc/$pid/comm" 2>/dev/null || return 1
  echo "$pid"
}

write_env() {
  local data=$1 password=$2
  printf '127.0.0.1:%s:*:%s:%s\n' "$PORT" "$ROLE" "$password" >"$S/pgpass"
  chmod 600 "$S/pgpass"
  cat >"$ENV_FILE" <<EOF
export TESTBED_PG_HOST=127.0.0.1
export TESTBED_PG_PORT=$PORT
export TESTBED_PG_USER=$ROLE
export TESTBED_PG_DB=$DB
export TESTBED_PG_URL='postgresql://$ROLE@127.0.0.1:$PORT/$DB'
export TESTBED_PG_ADMIN_URL='postgresql://$ROLE@127.0.0.1:$PORT/postgres'
export TESTBED_PG_PASSFILE='$S/pgpass'
export TESTBED_PG_PASSWORD='$password'
export TESTBED_PG_DATA='$data'
export TESTBED_PG_LOG='$S/postgres.log'
EOF
  chmod 600 "$ENV_FILE"
}

up() {
  ensure_packages
  local bin data password pid
  bin=$(bindir) || die "PostgreSQL's initdb/pg_ctl not found (Debian package postgresql)"
  mkdir -p "$S"
  chmod 700 "$S"
  if pid=$(running_pid) && [[ -f $ENV_FILE ]]; then
    log "already running (pid $pid) on 127.0.0.1:$PORT"
    return 0
  fi
  down_quietly
  # A fresh cluster every time: a temporary directory the server's user owns.
  data=$(mktemp -d /tmp/xrun-pg.XXXXXX)
  echo "$data" >"$S/data_dir"
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  local pwfile=$data.pw
  printf '%s\n' "$password" >"$pwfile"
  if [[ $(id -u) -eq 0 ]]; then
    as_server_user true
    chown postgres: "$data" "$pwfile"
    chmod 700 "$data"
  fi
  as_server_user "$bin/initdb" -D "$data/pgdata" -U "$ROLE" --pwfile="$pwfile" -A scram-sha-256 \
    -E UTF8 --locale=C --no-sync >"$S/initdb.log" 2>&1 || { cat "$S/initdb.log" >&2; die "initdb failed"; }
  rm -f "$pwfile"
  # Loopback only; the socket in the data directory (not /var/run); small
  # and quiet, for a machine shared with other tests.
  cat >>"$data/pgdata/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$data'
max_connections = 100
shared_buffers = 16MB
log_min_messages = warning
log_connections = off
EOF
  : >"$S/postgres.log"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$S/postgres.log" && chmod 711 "$S"
  as_server_user "$bin/pg_ctl" -D "$data/pgdata" -l "$S/postgres.log" -w -t 60 start >/dev/null ||
    { tail -20 "$S/postgres.log" >&2; die "pg_ctl start failed; see $S/postgres.log"; }
  write_env "$data/pgdata" "$password"
  PGPASSFILE=$S/pgpass "$bin/psql" -X -q -v ON_ERROR_STOP=1 \
    "postgresql://$ROLE@127.0.0.1:$PORT/postgres" -c "CREATE DATABASE $DB" >/dev/null ||
    die "creating database $DB failed; see $S/postgres.log"
  log "up on 127.0.0.1:$PORT (pid $(running_pid)); env in $ENV_FILE"
}

down_quietly() {
  local pid i data
  if pid=$(running_pid); then
    kill -INT "$pid"  # fast shutdown: roll back, disconnect, stop
    for ((i = 0; i < 200; i++)); do
      running_pid >/dev/null || break
      sleep 0.1
    done
    if running_pid >/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    log "stopped (pid $pid)"
  fi
  if data=$(data_dir) && [[ $data == /tmp/xrun-pg.* ]]; then rm -rf "$data" "$data.pw"; fi
  rm -f "$S/data_dir" "$ENV_FILE" "$S/pgpass"
}

case ${1:-} in
  up) up ;;
  down) down_quietly ;;
  env) [[ -f $ENV_FILE ]] || die "not up: $ENV_FILE missing"; echo "$ENV_FILE" ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
