#!/usr/bin/env bash
# A private OpenSSH sshd on 127.0.0.1 for xrun's tests: its own config, host
# key, pid file and log, a dedicated user `xruntest` with a fresh client key.
# Never touches the system sshd; stopped by the pid in its pid file.
#
#   scripts/testbed-sshd.sh up      start (no-op if already up)
#   scripts/testbed-sshd.sh down    stop
#   scripts/testbed-sshd.sh env     print the env.sh path (after up)
#
# Environment:
#   TESTBED_DIR          default /tmp/xrun-testbed (shared with testbed-slurm.sh)
#   TESTBED_SSH_PORT     default 2222
#   TESTBED_PURGE=1      on down: also delete the keys
# Writes $TESTBED_DIR/env.sh with TESTBED_SSH_{HOST,PORT,USER,KEY,KNOWN_HOSTS,
# CONFIG,PASSWORD,SSHD_CONFIG,PIDFILE,LOG}.
set -euo pipefail

D=${TESTBED_DIR:-/tmp/xrun-testbed}
PORT=${TESTBED_SSH_PORT:-2222}
USER_NAME=xruntest
# A throw-away password for the password / keyboard-interactive tests,
# which give it to their own user on their own sshd; this sshd refuses
# passwords.
PASSWORD=xrun-testbed-password
SSHD=/usr/sbin/sshd
PIDFILE=$D/run/sshd.pid

log() { echo "testbed-sshd: $*" >&2; }
die() { log "$*"; exit 1; }

# The pid in the pid file, if that process is alive and is an sshd.
running_pid() {
  [[ -f $PIDFILE ]] || return 1
  local pid state
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/stat ]] || return 1
  # A zombie is gone for our purposes (PID 1 here reaps late).
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
  [[ $state != Z ]] || return 1
  grep -q sshd "/proc/$pid/comm" 2>/dev/null || return 1
  echo "$pid"
}

ensure_packages() {
  if [[ ! -x $SSHD ]] || ! command -v ssh-keygen >/dev/null; then
    log "installing openssh-server"
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod 755 /usr/sbin/policy-rc.d
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      openssh-server openssh-client >/dev/null
  fi
}

ensure_user() {
  if ! id "$USER_NAME" >/dev/null 2>&1; then
    useradd -m -s /bin/bash "$USER_NAME"
  fi
  # No password, but not locked either: sshd with UsePAM no refuses locked
  # accounts. (The password tests use their own user, see tests/ssh.)
  usermod -p '*' "$USER_NAME"
}

write_configs() {
  cat >"$D/ssh/sshd_config" <<EOF
# xrun testbed sshd (separate instance; does not read /etc/ssh/sshd_config)
Port $PORT
ListenAddress 127.0.0.1
HostKey $D/ssh/host_ed25519_key
PidFile $PIDFILE
AuthorizedKeysFile $D/ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $USER_NAME
UsePAM no
# StrictModes would reject $D/ssh/authorized_keys because /tmp is world-writable
StrictModes no
PrintMotd no
PrintLastLog no
UseDNS no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
MaxSessions 64
MaxStartups 100:30:200
LoginGraceTime 30
Subsystem sftp /usr/lib/openssh/sftp-server
SetEnv SLURM_CONF=$D/slurm/slurm.conf
LogLevel INFO
EOF
  cat >"$D/ssh/ssh_config" <<EOF
Host xrun-testbed
  HostName 127.0.0.1
  Port $PORT
  User $USER_NAME
  IdentityFile $D/ssh/client_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $D/ssh/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
EOF
  echo "[127.0.0.1]:$PORT,[localhost]:$PORT $(cut -d' ' -f1,2 "$D/ssh/host_ed25519_key.pub")" \
    >"$D/ssh/known_hosts"
  cat >"$D/env.sh" <<EOF
export TESTBED_DIR='$D'
export TESTBED_SSH_HOST=127.0.0.1
export TESTBED_SSH_PORT=$PORT
export TESTBED_SSH_USER=$USER_NAME
export TESTBED_SSH_KEY='$D/ssh/client_ed25519'
export TESTBED_SSH_KNOWN_HOSTS='$D/ssh/known_hosts'
export TESTBED_SSH_CONFIG='$D/ssh/ssh_config'
export TESTBED_SSH_HOST_KEY='$D/ssh/host_ed25519_key'
export TESTBED_SSH_AUTHORIZED_KEYS='$D/ssh/authorized_keys'
export TESTBED_SSH_PASSWORD='$PASSWORD'
export TESTBED_SSHD_CONFIG='$D/ssh/sshd_config'
export TESTBED_SSHD_PIDFILE='$PIDFILE'
export TESTBED_SSHD_LOG='$D/log/sshd.log'
EOF
  chmod 644 "$D/env.sh"
}

wait_port() {
  local i
  for ((i = 0; i < 100; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

up() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (creates user $USER_NAME, starts sshd)"
  ensure_packages
  mkdir -p "$D"/{run,log,ssh}
  chmod 755 "$D" "$D/run" "$D/log" "$D/ssh"
  touch "$D/.xrun-testbed"
  ensure_user
  install -d -m 0755 -o root -g root /run/sshd
  [[ -f $D/ssh/host_ed25519_key ]] ||
    ssh-keygen -q -t ed25519 -N '' -C xrun-testbed-host -f "$D/ssh/host_ed25519_key"
  [[ -f $D/ssh/client_ed25519 ]] ||
    ssh-keygen -q -t ed25519 -N '' -C xruntest@xrun-testbed -f "$D/ssh/client_ed25519"
  cp "$D/ssh/client_ed25519.pub" "$D/ssh/authorized_keys"
  chmod 644 "$D/ssh/authorized_keys"
  if [[ -n ${TESTBED_CLIENT_OWNER:-} ]]; then
    chown "$TESTBED_CLIENT_OWNER" "$D/ssh/client_ed25519" "$D/ssh/client_ed25519.pub"
  fi
  write_configs
  if pid=$(running_pid); then
    # Already up: reload the config we just wrote (same content) and stop.
    log "sshd already running (pid $pid) on 127.0.0.1:$PORT"
    return 0
  fi
  "$SSHD" -t -f "$D/ssh/sshd_config" || die "sshd rejected $D/ssh/sshd_config"
  "$SSHD" -f "$D/ssh/sshd_config" -E "$D/log/sshd.log" ||
    die "sshd failed to start; see $D/log/sshd.log"
  wait_port || die "sshd not listening on 127.0.0.1:$PORT after 5 s; see $D/log/sshd.log"
  if command -v ssh >/dev/null; then
    timeout 20 ssh -F "$D/ssh/ssh_config" xrun-testbed true ||
      die "ssh login as $USER_NAME failed; see $D/log/sshd.log"
  fi
  log "sshd up on 127.0.0.1:$PORT (pid $(<"$PIDFILE")); env in $D/env.sh"
}

down() {
  local pid i
  if pid=$(running_pid); then
    kill -TERM "$pid"
    for ((i = 0; i < 100; i++)); do
      running_pid >/dev/null || break
      sleep 0.1
    done
    if running_pid >/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    log "sshd (pid $pid) stopped"
  fi
  rm -f "$PIDFILE"
  if [[ ${TESTBED_PURGE:-0} == 1 ]]; then
    rm -rf "$D/ssh"
  fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  env) [[ -f $D/env.sh ]] || die "not up: $D/env.sh missing"; echo "$D/env.sh" ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
