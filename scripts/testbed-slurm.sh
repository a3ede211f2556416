#!/usr/bin/env bash
# A real single-node Slurm on 127.0.0.1 for the tests and benchmarks:
# munged + (mariadbd + slurmdbd) + slurmctld + slurmd, own config under
# $TESTBED_DIR/slurm, no systemd, no cgroups, every daemon stopped by pid.
#
#   scripts/testbed-slurm.sh up     start (a no-op when already up in the same mode)
#   scripts/testbed-slurm.sh down   cancel every job, stop the daemons
#   scripts/testbed-slurm.sh status exit 0 when up
#   scripts/testbed-slurm.sh shim   only build $TESTBED_DIR/lib/bind_loopback.so
#
# Environment:
#   TESTBED_DIR         default /tmp/xrun-testbed (shared with testbed-sshd.sh,
#                       whose sshd sets SLURM_CONF=$TESTBED_DIR/slurm/slurm.conf)
#   TESTBED_ACCOUNTING  slurmdbd (default: real sacct through mariadb),
#                       jobcomp (sacct -c reads a completion log), none
#   TESTBED_SCHED_PARAMS  SchedulerParameters, default batch_sched_delay=0
#                       ("" keeps Slurm's stock 3 s batch delay)
#   TESTBED_USER        the unprivileged job owner, default xruntest
#   TESTBED_FIRST_JOB_ID  FirstJobId of the cluster (default Slurm's 1): with
#                       `down` then `up`, a wiped cluster hands ids out again
# Writes $TESTBED_DIR/slurm/env.sh (source it to use the cluster).
# The recipe and its gotchas: docs of the testbed (TESTBED.md, section numbers below).
set -euo pipefail

D=${TESTBED_DIR:-/tmp/xrun-testbed}
S=$D/slurm
MODE=${TESTBED_ACCOUNTING:-slurmdbd}
SCHED_PARAMS=${TESTBED_SCHED_PARAMS-batch_sched_delay=0}
TUSER=${TESTBED_USER:-xruntest}
DB_PORT=13306
export SLURM_CONF=$S/slurm.conf

log() { printf 'testbed-slurm: %s\n' "$*" >&2; }
die() { log "FAILED: $*"; for f in slurmctld slurmd slurmdbd mariadbd; do
          [[ -f $D/log/$f.log ]] && { log "--- tail of $D/log/$f.log"; tail -n 8 "$D/log/$f.log" >&2; }; done
        exit 1; }

case $MODE in slurmdbd|jobcomp|none) ;; *) die "TESTBED_ACCOUNTING=$MODE (want slurmdbd, jobcomp or none)";; esac
[[ $(id -u) -eq 0 ]] || die "must run as root (it starts munged and slurmd)"

# ---------------------------------------------------------------- helpers
# A pid is alive when /proc says so and it is not a zombie (PID 1 here reaps
# late, so kill -0 would call a dead daemon alive).
pid_alive() {
  local pid=$1 st
  [[ -n $pid && -r /proc/$pid/stat ]] || return 1
  st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $st != Z ]]
}
pid_of() { [[ -f $1 ]] && tr -dc 0-9 <"$1" || true; }
# The daemon named $2 whose pid is in file $1, if that pid is really it.
daemon_pid() {
  local pid; pid=$(pid_of "$1")
  [[ -n $pid ]] && pid_alive "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2"* ]] && echo "$pid"
  return 0
}
wait_until() {  # wait_until SECONDS what command...
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || die "$what not ready after ${limit}s"
    sleep 0.1
  done
}
stop_daemon() {  # stop_daemon pidfile comm seconds
  local pid; pid=$(daemon_pid "$1" "$2")
  if [[ -n $pid ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    local end=$((SECONDS + $3))
    while pid_alive "$pid" && ((SECONDS < end)); do sleep 0.1; done
    if pid_alive "$pid"; then log "$2 ($pid) ignored SIGTERM; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$1"
}

daemons_for_mode() {
  echo "$D/munge/munged.pid munged"
  if [[ $1 == slurmdbd ]]; then echo "$D/db/mariadbd.pid mariadbd"; echo "$D/run/slurmdbd.pid slurmdbd"; fi
  echo "$D/run/slurmctld.pid slurmctld"
  echo "$D/run/slurmd.pid slurmd"
}

is_up() {
  [[ -f $D/run/slurm-accounting && $(cat "$D/run/slurm-accounting") == "$MODE" ]] || return 1
  [[ -f $D/run/slurm-sched-params && $(cat "$D/run/slurm-sched-params") == "$SCHED_PARAMS" ]] || return 1
  local file comm
  while read -r file comm; do [[ -n $(daemon_pid "$file" "$comm") ]] || return 1; done < <(daemons_for_mode "$MODE")
  scontrol ping 2>/dev/null | grep -q 'is UP'
}

install_missing() {
  local want=(slurm-wlm slurmctld slurmd slurm-client munge gcc libc6-dev)
  [[ $MODE == slurmdbd ]] && want+=(mariadb-server slurmdbd)
  local missing=() p
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]}"
  # Packaged services must not start: this script starts its own, on loopback.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ---------------------------------------------------------------- down
cmd_down() {
  if [[ -n $(daemon_pid "$D/run/slurmctld.pid" slurmctld) ]]; then
    squeue -h -o %A 2>/dev/null | xargs -r scancel 2>/dev/null || true
    local end=$((SECONDS + 20))
    while ((SECONDS < end)) && [[ -n $(squeue -h -t R,CG,S,CF -o %A 2>/dev/null) ]]; do sleep 0.2; done
  fi
  local mode_was=slurmdbd
  [[ -f $D/run/slurm-accounting ]] && mode_was=$(cat "$D/run/slurm-accounting")
  stop_daemon "$D/run/slurmd.pid" slurmd 20
  stop_daemon "$D/run/slurmctld.pid" slurmctld 20
  stop_daemon "$D/run/slurmdbd.pid" slurmdbd 20
  stop_daemon "$D/db/mariadbd.pid" mariadbd 60
  stop_daemon "$D/munge/munged.pid" munged 10
  rm -f "$D/munge/munge.socket" "$D/munge/munge.socket.lock" "$D/db/mysqld.sock" \
        "$D/run/slurm-accounting" "$D/run/slurm-sched-params"
  : "$mode_was"
}

# ---------------------------------------------------------------- up
write_bind_shim() {
  # slurmdbd 22.05 always binds 0.0.0.0:6819 (TESTBED §2.9): this shim turns
  # a wildcard bind into a loopback one, for slurmdbd only.
  local src=$D/lib/bind_loopback.$$.c  # gcc goes by the .c suffix
  cat >"$src" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  static int (*real_bind)(int, const struct sockaddr *, socklen_t);
  if (!real_bind) real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
  if (addr && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    struct sockaddr_in a;
    memcpy(&a, addr, sizeof a);
    if (a.sin_addr.s_addr == htonl(INADDR_ANY)) {
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      return real_bind(fd, (const struct sockaddr *)&a, sizeof a);
    }
  }
  if (addr && addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 a;
    memcpy(&a, addr, sizeof a);
    if (!memcmp(&a.sin6_addr, &in6addr_any, sizeof a.sin6_addr)) {
      a.sin6_addr = in6addr_loopback;
      return real_bind(fd, (const struct sockaddr *)&a, sizeof a);
    }
  }
  return real_bind(fd, addr, len);
}
EOF
  # Rebuilt only when the source changed, into a temporary name then
  # renamed: the SGE testbed may ask for it at the same time.
  if [[ -f $D/lib/bind_loopback.so ]] && cmp -s "$src" "$D/lib/bind_loopback.c"; then rm -f "$src"; return 0; fi
  gcc -O2 -shared -fPIC -o "$D/lib/bind_loopback.so.$$" "$src" -ldl \
    || { rm -f "$src"; die "cannot build the bind shim (use TESTBED_ACCOUNTING=jobcomp)"; }
  mv -f "$D/lib/bind_loopback.so.$$" "$D/lib/bind_loopback.so"
  mv -f "$src" "$D/lib/bind_loopback.c"
}

write_slurm_conf() {
  {
    echo "# xrun testbed: single-node Slurm on loopback, no systemd, no cgroups"
    cat <<EOF
ClusterName=xrun
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=6817
SlurmdPort=6818
# bind slurmctld and slurmd to 127.0.0.1 instead of 0.0.0.0
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.socket
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
EOF
    case $MODE in
      slurmdbd) cat <<EOF
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
# munge socket for slurmctld/sacct/sacctmgr -> slurmdbd connections (AuthInfo is not used for those)
AccountingStoragePass=$D/munge/munge.socket
JobCompType=jobcomp/none
EOF
      ;;
      jobcomp) cat <<EOF
AccountingStorageType=accounting_storage/none
# no slurmdbd: 'sacct -c' reads this file (it opens it for writing, hence mode 0666)
JobCompType=jobcomp/filetxt
JobCompLoc=$D/log/jobcomp.txt
EOF
      ;;
      none) printf 'AccountingStorageType=accounting_storage/none\nJobCompType=jobcomp/none\n' ;;
    esac
    cat <<EOF
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
EOF
    [[ -n $SCHED_PARAMS ]] && echo "SchedulerParameters=$SCHED_PARAMS"
    [[ -n ${TESTBED_FIRST_JOB_ID:-} ]] && echo "FirstJobId=$TESTBED_FIRST_JOB_ID"
    cat <<EOF
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
MinJobAge=300
KillWait=5
InactiveLimit=0
SlurmctldTimeout=120
SlurmdTimeout=300
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 Sockets=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  } >"$S/slurm.conf"
  chmod 644 "$S/slurm.conf"
}

start_munge() {
  install -d -m 0755 -o munge -g munge "$D/munge"
  [[ -f $D/munge/munge.key ]] ||
    runuser -u munge -- mungekey --create --keyfile="$D/munge/munge.key" --bits=1024
  runuser -u munge -- munged 9>&- --socket="$D/munge/munge.socket" --key-file="$D/munge/munge.key" \
    --pid-file="$D/munge/munged.pid" --log-file="$D/munge/munged.log" --seed-file="$D/munge/munged.seed"
  wait_until 10 munged sh -c "munge -S '$D/munge/munge.socket' -n | unmunge -S '$D/munge/munge.socket'"
  ln -sf "$D/munge/munged.log" "$D/log/munged.log"
}

start_accounting_db() {
  rm -rf "$D/db"
  install -d -m 0755 -o mysql -g mysql "$D/db" "$D/db/data"
  mariadb-install-db --no-defaults --user=mysql --datadir="$D/db/data" --skip-test-db \
    >"$D/log/mariadb-install.log" 2>&1 || die "mariadb-install-db (see $D/log/mariadb-install.log)"
  setsid /usr/sbin/mariadbd --no-defaults --datadir="$D/db/data" --socket="$D/db/mysqld.sock" \
    --pid-file="$D/db/mariadbd.pid" --bind-address=127.0.0.1 --port=$DB_PORT --user=mysql \
    --log-error="$D/log/mariadbd.log" --skip-name-resolve --innodb-buffer-pool-size=256M \
    --innodb-lock-wait-timeout=900 </dev/null >>"$D/log/mariadbd.log" 2>&1 9>&- &
  wait_until 60 mariadbd mariadb-admin --no-defaults -S "$D/db/mysqld.sock" -u root ping
  mariadb --no-defaults -S "$D/db/mysqld.sock" -u root -e "CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1'
    IDENTIFIED BY 'xrun-testbed-pw'; GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1'; FLUSH PRIVILEGES;"
  # slurmdbd reads slurmdbd.conf next to $SLURM_CONF and wants it 0600 (§2.11).
  cat >"$S/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$D/munge/munge.socket
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
PidFile=$D/run/slurmdbd.pid
LogFile=$D/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=xrun-testbed-pw
StorageLoc=slurm_acct_db
EOF
  chmod 600 "$S/slurmdbd.conf"
  write_bind_shim
  LD_PRELOAD=$D/lib/bind_loopback.so slurmdbd 9>&-
  # The cluster must exist before slurmctld starts (§2.12).
  wait_until 60 "slurmdbd" sacctmgr -i add cluster xrun
  sacctmgr -n -P list cluster format=cluster 2>/dev/null | grep -qx xrun || die "cluster xrun not in accounting"
}

cmd_up() {
  # Daemons are started with 9>&- so that they do not inherit (and keep) this lock.
  exec 9>"$D.slurm.lock"
  flock -w 120 9 || die "another testbed-slurm.sh holds $D.slurm.lock"
  if is_up; then log "already up ($MODE)"; write_env; return 0; fi
  install_missing
  local t0=$EPOCHREALTIME
  cmd_down
  id "$TUSER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$TUSER"
  usermod -p '*' "$TUSER"   # not locked: sshd with UsePAM no refuses locked accounts (§2.4)
  mkdir -p "$D" "$D/run" "$D/log" "$D/lib"
  chmod 755 "$D" "$D/run" "$D/log" "$D/lib"
  rm -rf "$S"; mkdir -p "$S/state" "$S/spool"; chmod 755 "$S" "$S/state" "$S/spool"
  rm -f "$D/log/slurmctld.log" "$D/log/slurmd.log" "$D/log/slurmdbd.log" "$D/log/jobcomp.txt"
  write_slurm_conf
  start_munge
  [[ $MODE == slurmdbd ]] && start_accounting_db
  slurmctld -f "$S/slurm.conf" 9>&- || die "slurmctld did not start"
  wait_until 30 slurmctld sh -c 'scontrol ping | grep -q "is UP"'
  # The hostname is not "localhost", the node's name (§2.8).
  slurmd -f "$S/slurm.conf" -N localhost 9>&- || die "slurmd did not start"
  wait_until 30 "node localhost" sh -c 'sinfo -h -N -o %T | grep -qx idle'
  if [[ $MODE == jobcomp ]]; then
    # sacct -c opens the log for writing; slurmctld resets its mode on load (§2.14).
    touch "$D/log/jobcomp.txt"; chmod 666 "$D/log/jobcomp.txt"
  fi
  echo "$MODE" >"$D/run/slurm-accounting"
  echo "$SCHED_PARAMS" >"$D/run/slurm-sched-params"
  write_env
  local listening
  listening=$(ss -Hltn | awk '{print $4}' | grep -E ':(6817|6818|6819|13306)$' | grep -vE '^(127\.0\.0\.1|\[::1\]):' || true)
  [[ -z $listening ]] || die "a daemon listens beyond loopback: $listening"
  awk -v a="$t0" -v b="$EPOCHREALTIME" -v m="$MODE" 'BEGIN{printf "testbed-slurm: up (%s) in %.2f s\n", m, b-a}' >&2
}

write_env() {
  cat >"$S/env.sh" <<EOF
# Source this to use the xrun Slurm testbed.
export TESTBED_DIR='$D'
export SLURM_CONF='$S/slurm.conf'
export TESTBED_ACCOUNTING='$MODE'
export TESTBED_SLURM_USER='$TUSER'
EOF
  chmod 644 "$S/env.sh"
}

case ${1:-} in
  up) mkdir -p "$D"; cmd_up ;;
  down)
    [[ -d $D ]] || exit 0
    exec 9>"$D.slurm.lock"; flock -w 120 9 || die "lock"
    t0=$EPOCHREALTIME; cmd_down
    awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "testbed-slurm: down in %.2f s\n", b-a}' >&2 ;;
  status) is_up ;;
  shim) mkdir -p "$D/lib"; write_bind_shim ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
