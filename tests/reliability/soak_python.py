"""Roles of the Python processes in test_soak_mixed.sh, all through the
binding (bindings/python) on the one shared XRUN_HOME:

  soak_python.py worker  DEADLINE RUNLOG IDS_FILE     submit, poll, follow events
  soak_python.py follow  STOP_FILE SEEN_FILE           follow events only (read-only)
  soak_python.py settle  TIMEOUT_S                     poll until every job is terminal
  soak_python.py verify  RUNLOG SEEN_FILE... -- IDS_FILE...   check and print figures

Every xrun error is printed as "ERROR <class>: <message>" on stderr and
counted by the caller; nothing is retried silently except what a caller of
the library would retry (a transient poll failure is still reported).
"""
import os
import sys
import time

import xrun

# Under ASan the interpreter runs with the runtime preloaded; the jobs and
# commands the library starts must not inherit it.
os.environ.pop("LD_PRELOAD", None)

CHAIN = [xrun.State.CREATED, xrun.State.SUBMITTING, xrun.State.SUBMITTED, xrun.State.RUNNING,
         xrun.State.COMPLETED]


def error(where, e):
    sys.stderr.write("ERROR %s in %s: %s\n" % (type(e).__name__, where, e))
    sys.stderr.flush()


def read_events(ctx, after):
    """All events after `after`, paging by 500."""
    out = []
    while True:
        batch = ctx.events(after_seq=after, max=500)
        if not batch:
            return out
        out.extend(batch)
        after = batch[-1].seq


def worker(deadline, runlog, ids_file):
    errors = 0
    seen = []
    with xrun.Context() as ctx, open(ids_file, "a") as ids:
        i = 0
        while time.time() < deadline:
            try:
                job = ctx.submit(argv=["sh", "-c", 'echo "$XRUN_JOB_ID" >> "$1"', "_", runlog], name="py-%d" % i)
                ids.write(job.id + "\n")
                ids.flush()
                job.close()
                if i % 2 == 1:
                    ctx.poll()
                after = seen[-1].seq if seen else 0
                seen.extend(read_events(ctx, after))
                ctx.jobs(limit=20)
            except xrun.Error as e:
                errors += 1
                error("worker", e)
            i += 1
            time.sleep(0.05)
    # The worker's own view of the journal must be gap-free as well.
    seqs = [e.seq for e in seen]
    if seqs != list(range(1, len(seqs) + 1)):
        sys.stderr.write("ERROR worker saw a journal with gaps or duplicates\n")
        errors += 1
    print("python worker: %d submissions, %d events followed, %d errors" % (i, len(seen), errors))
    return 1 if errors else 0


def follow(stop_file, seen_file):
    errors = 0
    after = 0
    with xrun.Context() as ctx, open(seen_file, "w") as out:
        while True:
            stopping = os.path.exists(stop_file)
            try:
                for e in read_events(ctx, after):
                    out.write("%d %s %d\n" % (e.seq, e.job_id, int(e.state)))
                    after = e.seq
            except xrun.Error as e:
                errors += 1
                error("follow", e)
            if stopping:
                break
            time.sleep(0.1)
    print("python follower: read up to seq %d, %d errors" % (after, errors))
    return 1 if errors else 0


def settle(timeout_s):
    deadline = time.time() + timeout_s
    with xrun.Context() as ctx:
        while time.time() < deadline:
            try:
                ctx.poll()
                active = [j for j in ctx.jobs() if not xrun.State[j["state"].upper()].is_terminal]
            except xrun.Error as e:
                error("settle", e)
                return 1
            if not active:
                return 0
            time.sleep(0.2)
    sys.stderr.write("ERROR settle: %d jobs still active after %d s\n" % (len(active), timeout_s))
    return 1


def verify(runlog, seen_files, ids_files):
    problems = []
    submitted = []
    for path in ids_files:
        with open(path) as f:
            submitted.extend(line.strip() for line in f if line.strip())
    with open(runlog) as f:
        runs = [line.strip() for line in f if line.strip()]
    with xrun.Context() as ctx:
        jobs = {j["id"]: j for j in ctx.jobs()}
        journal = read_events(ctx, 0)

    if len(set(submitted)) != len(submitted):
        problems.append("a submission returned an id twice")
    missing = [i for i in submitted if i not in jobs]
    extra = [i for i in jobs if i not in set(submitted)]
    if missing:
        problems.append("%d submitted jobs are not in the store (e.g. %s)" % (len(missing), missing[0]))
    if extra:
        problems.append("%d jobs in the store that no submitter reported (e.g. %s)" % (len(extra), extra[0]))
    not_completed = [j for j in jobs.values() if j["state"] != "completed"]
    for j in not_completed[:5]:
        problems.append("job %s is %s (%s)" % (j["id"], j["state"], j.get("reason")))

    counts = {}
    for r in runs:
        counts[r] = counts.get(r, 0) + 1
    duplicated = [i for i, n in counts.items() if n > 1]
    never_ran = [i for i in jobs if counts.get(i, 0) == 0]
    unknown_runs = [i for i in counts if i not in jobs]
    if duplicated:
        problems.append("%d jobs ran more than once (e.g. %s)" % (len(duplicated), duplicated[0]))
    if never_ran:
        problems.append("%d completed jobs never ran (e.g. %s)" % (len(never_ran), never_ran[0]))
    if unknown_runs:
        problems.append("%d runs of jobs the store does not know" % len(unknown_runs))

    seqs = [e.seq for e in journal]
    if seqs != list(range(1, len(seqs) + 1)):
        gaps = sum(1 for a, b in zip(seqs, seqs[1:]) if b != a + 1)
        problems.append("the journal's seqs are not 1..%d without gaps (%d breaks)" % (len(seqs), gaps))
    chains = {}
    for e in journal:
        chains.setdefault(e.job_id, []).append(e.state)
    bad_chains = [i for i in jobs if chains.get(i) != CHAIN]
    for i in bad_chains[:5]:
        problems.append("job %s has events %s" % (i, [xrun.State(s).label for s in chains.get(i, [])]))
    lost_events = sum(max(0, len(CHAIN) - len(chains.get(i, []))) for i in jobs)
    dup_events = sum(max(0, len(chains.get(i, [])) - len(set(chains.get(i, [])))) for i in jobs)

    full = ["%d %s %d" % (e.seq, e.job_id, int(e.state)) for e in journal]
    for path in seen_files:
        with open(path) as f:
            seen = [line.strip() for line in f if line.strip()]
        if seen != full:
            problems.append("follower %s saw %d events, the journal has %d (differ at %s)" % (
                os.path.basename(path), len(seen), len(full),
                next((k for k, (a, b) in enumerate(zip(seen, full)) if a != b), min(len(seen), len(full)))))

    print("soak figures: %d jobs submitted, %d in the store, %d completed, %d runs logged, "
          "%d events (%d chains of 5 expected), lost events %d, duplicate events %d, "
          "jobs ran twice %d, jobs never ran %d, followers %d" % (
              len(submitted), len(jobs), len(jobs) - len(not_completed), len(runs), len(journal), len(jobs),
              lost_events, dup_events, len(duplicated), len(never_ran), len(seen_files)))
    for p in problems:
        print("PROBLEM: " + p)
    return 1 if problems else 0


def main(argv):
    role = argv[1]
    if role == "worker":
        return worker(float(argv[2]), argv[3], argv[4])
    if role == "follow":
        return follow(argv[2], argv[3])
    if role == "settle":
        return settle(float(argv[2]))
    if role == "verify":
        split = argv.index("--")
        return verify(argv[2], argv[3:split], argv[split + 1:])
    sys.stderr.write("unknown role %s\n" % role)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
