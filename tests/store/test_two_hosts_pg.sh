#!/usr/bin/env bash
# Two "hosts" share one PostgreSQL store: two XRUN_HOMEs, each run in a UTS
# namespace of its own with its own host name (host-a, host-b: the name
# xrun puts in its lease owners), the same machine file (the real Slurm of
# the testbed, reached over the real sshd). host-a only submits; host-b
# follows the events (`xrun events --follow`, woken by LISTEN/NOTIFY) and
# runs the poll rounds until every job has ended. Then: every job exists
# once in the store and once in Slurm, every job completed, the follower
# saw every event of the journal exactly once and in order (seq 1..N, no
# gap), each job's events in lifecycle order, and host-b's poll lease is in
# the store under host-b's name.
#   XRUN_TWO_HOSTS_JOBS (default 12) jobs.
set -u
X=${XRUN_TOOL:?run through ctest}
D=${TESTBED_DIR:?run through ctest}
PORT=${TESTBED_SSH_PORT:-2222}
N=${XRUN_TWO_HOSTS_JOBS:-12}
[[ -n ${XRUN_STORE:-} ]] || { echo "FAIL: XRUN_STORE is not set (run through with_pg_store.sh)" >&2; exit 1; }
command -v unshare >/dev/null || { echo "FAIL: unshare (util-linux) is needed for the two host names" >&2; exit 1; }
unshare --uts true || { echo "FAIL: cannot make a UTS namespace (needs root)" >&2; exit 1; }

work=$(mktemp -d /tmp/xrun-two-hosts-XXXXXX)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
check() {
  local what=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what" >&2; fi
}

# The same cluster in both homes; a workdir of this run's own.
tag=$(basename "$work")
for h in a b; do
  mkdir -p "$work/home-$h"
  cat >"$work/home-$h/machines.json" <<JSON
{"default": "cluster", "machines": {"cluster": {"execution": "remote", "scheduler": "slurm",
 "host": "127.0.0.1", "port": $PORT, "username": "xruntest",
 "auth": {"method": "key", "key_file": "$D/ssh/client_ed25519"},
 "known_hosts": "$D/ssh/known_hosts", "ssh_config": "none", "workdir": "~/$tag",
 "min_poll_interval": 0, "connect_timeout": 5,
 "resources": {"partition": "debug", "walltime": "00:05:00"}}}}
JSON
done

# Runs "$@" as host $1 (its own host name, its own XRUN_HOME).
as_host() {
  local h=$1; shift
  XRUN_HOME=$work/home-$h unshare --uts bash -c 'hostname "$0"; exec "$@"' "host-$h" "$@"
}

# host-b follows from the start of the journal.
as_host b "$X" events --follow >"$work/follow.txt" 2>"$work/follow.err" &
pids="$pids $!"
sleep 0.5

# host-a submits, one job per call (each its own store transactions).
: >"$work/ids"
for ((i = 0; i < N; i++)); do
  id=$(as_host a "$X" submit --name "two-hosts-$i" -- sh -c "echo job $i; sleep 1" 2>>"$work/submit.err" | tail -1)
  [[ -n $id ]] && echo "$id" >>"$work/ids"
done
check "host-a submitted $N jobs ($(wc -l <"$work/ids"); $(head -c 300 "$work/submit.err"))" test "$(wc -l <"$work/ids")" -eq "$N"

# Who holds the poll lease while host-b polls (a lease lives for a round).
(while :; do psql -X -t -A "$XRUN_STORE" -c "SELECT owner FROM leases WHERE name LIKE 'poll:%'" 2>/dev/null; sleep 0.05; done) >"$work/owners" &
sampler=$!
pids="$pids $sampler"
# host-b polls until every job has ended (bounded).
deadline=$(($(date +%s) + 180))
while (($(date +%s) < deadline)); do
  as_host b "$X" poll >/dev/null 2>>"$work/poll.err"
  open=$(as_host b "$X" list --json | python3 -c '
import json, sys
terminal = {"completed", "failed", "cancelled", "timeout", "out_of_memory", "node_fail", "preempted", "lost"}
print(sum(1 for j in json.load(sys.stdin) if j["state"] not in terminal))')
  [[ $open == 0 ]] && break
  sleep 1
done
check "every job ended within 180 s ($open still open)" test "$open" == 0
sleep 1  # the follower's last wake-up
for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; pids=""

as_host a "$X" events --json >"$work/journal.json"
as_host b "$X" list --json >"$work/list.json"
squeue_names=$(SLURM_CONF=$D/slurm/slurm.conf squeue -h -t all -u xruntest -o %j)
echo "$squeue_names" >"$work/slurm_names"
lease_owner=$(sort -u "$work/owners" | tr '\n' ' ')

python3 - "$work" "$N" "$lease_owner" <<'PY'
import json, sys, re
work, n, lease_owner = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ids = open(f"{work}/ids").read().split()
jobs = {j["id"]: j for j in json.load(open(f"{work}/list.json"))}
journal = json.load(open(f"{work}/journal.json"))
followed = []
for line in open(f"{work}/follow.txt"):
    parts = line.split()
    if len(parts) >= 3 and parts[0].isdigit():
        followed.append((int(parts[0]), parts[1], parts[2]))
slurm = open(f"{work}/slurm_names").read()
problems = []
def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok: problems.append(what)
check(len(ids) == n and len(set(ids)) == n, f"{n} distinct ids submitted")
check(all(i in jobs for i in ids) and len(jobs) == n, f"every job once in the store ({len(jobs)})")
check(all(jobs[i]["state"] == "completed" for i in ids if i in jobs),
      "every job completed: " + ", ".join(sorted({jobs[i]["state"] for i in ids if i in jobs})))
sched = [jobs[i].get("scheduler_id") for i in ids if i in jobs]
check(len(set(sched)) == len(sched) and all(sched), "every job has its own Slurm id")
check(all(len(re.findall(i, slurm)) == 1 for i in ids), "every job is in Slurm exactly once (by its xrun id)")
seqs = [e["seq"] for e in journal]
check(seqs == list(range(1, len(seqs) + 1)), f"journal seqs are 1..{len(seqs)} with no gap")
check([s for s, _, _ in followed] == seqs, f"the follower saw every event once, in order ({len(followed)} of {len(seqs)})")
check(followed == [(e["seq"], e["job_id"], e["state"]) for e in journal], "the follower's events are the journal's")
order = ["created", "submitting", "submitted", "queued", "running", "completed"]
for i in ids:
    states = [st for _, j, st in followed if j == i]
    idx = [order.index(st) for st in states if st in order]
    # A state repeats only when its reason changed (queued: Priority, then Resources).
    if idx != sorted(idx) or states[:1] != ["created"] or states[-1:] != ["completed"] or states.count("completed") != 1:
        check(False, f"job {i} events in lifecycle order: {states}")
        break
else:
    check(True, "each job's events in lifecycle order, completed once")
owners = set(lease_owner.split())
check(owners and all(o.startswith("host-b/") for o in owners),
      f"the poll leases seen during the rounds are host-b's, under its own name ({sorted(owners)[:3]})")
sys.exit(1 if problems else 0)
PY
rc=$?
check "the scenario's checks" test $rc -eq 0
if [[ $fail -ne 0 ]]; then
  echo "--- follow.err"; head -20 "$work/follow.err"; echo "--- poll.err"; tail -20 "$work/poll.err"
fi
echo "test_two_hosts_pg: $pass passed, $fail failed"
test $fail -eq 0
