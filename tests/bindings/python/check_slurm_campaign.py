"""Two of issue 13's campaign scenarios through the Python binding, on the
real Slurm of scripts/testbed-slurm.sh and the real sshd of
scripts/testbed-sshd.sh (ctest's slurm and sshd fixtures):

  - caching: of two identical "cache": true jobs the second is completed on
    return from the first and never reaches Slurm (its accounting, sacct,
    lists one job of that name);
  - a real pw.x through Slurm over the sshd: an SCF made to fail (3 SCF
    steps at mixing_beta 0.9) is diagnosed scf_not_converged, corrected by
    the built-in corrections and resent until it converges, to the energy
    of a converged reference run within 1e-5 Ry;
  - a cross-machine DAG in one batch: chains of three jobs alternating
    between the Slurm machine and a direct machine behind the sshd, some
    parents failing by design: every dependent is sent exactly once, after
    its parent ended, or cancelled with its parent and that parent's end in
    the reason; nothing waits forever.

Plain asserts and no pytest, so that it runs on every interpreter found
here (Debian's /usr/bin/python3 and the default python3, see
run_slurm_campaign.sh); a missing testbed fails, it never skips.

  XRUN_LIBRARY=build/libxrun.so TESTBED_DIR=... TESTBED_SSH_PORT=... \\
      python3 tests/bindings/python/check_slurm_campaign.py
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
if os.environ.get("XRUN_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.join(REPO, "bindings", "python", "src"))
# Under ASan the interpreter runs with the runtime preloaded; the commands
# the library starts (sbatch, squeue, the local jobs) must not inherit it.
if "libasan" in os.environ.get("LD_PRELOAD", ""):
    del os.environ["LD_PRELOAD"]

import xrun  # noqa: E402

TESTBED_DIR = os.environ.get("TESTBED_DIR") or "/tmp/xrun-testbed"
SSH_PORT = int(os.environ.get("TESTBED_SSH_PORT") or "2222")
QE_FIXTURES = os.path.join(REPO, "tests", "fixtures", "campaign", "qe")
WAIT_S = 120


def require_testbeds():
    """Points the Slurm commands at the testbed; exits failing, with the
    reason, when a testbed or pw.x is missing (explicit: `python -O` drops
    asserts)."""
    conf = os.path.join(TESTBED_DIR, "slurm", "slurm.conf")
    missing = []
    if not os.access(conf, os.R_OK):
        missing.append("no Slurm testbed at %s: run scripts/testbed-slurm.sh up (ctest's slurm_up)" % conf)
    for name in ("client_ed25519", "known_hosts"):
        path = os.path.join(TESTBED_DIR, "ssh", name)
        if not os.access(path, os.R_OK):
            missing.append("no sshd testbed (%s): run scripts/testbed-sshd.sh up (ctest's sshd_up)" % path)
    if not shutil.which("pw.x"):
        missing.append("pw.x is not installed: install Debian's quantum-espresso (scripts/install-deps.sh --test)")
    if missing:
        sys.exit("FAIL: " + "; ".join(missing))
    os.environ["SLURM_CONF"] = conf


def make_home(tag):
    """A temporary XRUN_HOME with two machines on the testbed's Slurm:
    "tb" reached from this host, "tbssh" over the sshd as user xruntest
    (whose login environment names the testbed's SLURM_CONF), and "far",
    the direct scheduler behind the same sshd."""
    home = tempfile.mkdtemp(prefix="xrun-py-%s-" % tag)
    ssh = os.path.join(TESTBED_DIR, "ssh")
    resources = {"partition": "debug", "walltime": "00:05:00"}
    remote = {"execution": "remote", "host": "127.0.0.1", "port": SSH_PORT, "username": "xruntest",
              "transport": os.environ.get("XRUN_TEST_TRANSPORT") or "libssh",
              "auth": {"method": "key", "key_file": os.path.join(ssh, "client_ed25519")},
              "known_hosts": os.path.join(ssh, "known_hosts"), "ssh_config": "none", "min_poll_interval": 1}
    # New for each run: job directories never collide.
    remote_dir = "~/xrun-py-%s/%s" % (tag, os.path.basename(home))
    machines = {
        "default": "tb",
        "machines": {
            "tb": {"execution": "local", "scheduler": "slurm", "workdir": os.path.join(home, "jobs"),
                   "min_poll_interval": 1, "resources": resources},
            "tbssh": dict(remote, scheduler="slurm", workdir=remote_dir + "/slurm", resources=resources),
            "far": dict(remote, scheduler="direct", workdir=remote_dir + "/direct"),
        },
    }
    with open(os.path.join(home, "machines.json"), "w", encoding="utf-8") as f:
        json.dump(machines, f)
    return home


def sacct_count(name):
    """How many jobs Slurm's accounting knows by `name` (xrun names a Slurm
    job "NAME.xrun-ID": the name's prefix is counted)."""
    out = subprocess.run(["sacct", "-n", "-X", "-P", "-a", "-S", "now-1hours", "-o", "JobName"],
                         check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    return sum(1 for line in out.splitlines() if line.startswith(name + "."))


def test_second_identical_job_never_reaches_slurm():
    home = make_home("cache")
    try:
        with xrun.Context(home=home) as ctx:
            name = "xrun-py-cache-%d-%d" % (os.getpid(), int(time.time()))
            spec = {"name": name, "command": "echo cached result", "cache": True, "machine": "tb"}
            with ctx.submit(spec) as first:
                assert first.scheduler_id != "", "the first job was not sent to Slurm"
                assert first.wait(timeout=WAIT_S) == xrun.State.COMPLETED, first.reason
                with ctx.submit(spec) as second:
                    assert second.state == xrun.State.COMPLETED, "the second job did not end on return"
                    assert second.scheduler_id == ""
                    info = second.info()
                    assert info["cached_from"] == first.id, info
                    assert info["reason"] == "cached from " + first.id, info
                    assert second.exit_code == 0
                    assert second.read_file("stdout") == b"cached result\n"
            # The first job is in the accounting once its record is written
            # (it may lag the job's end by a moment); the second never is.
            count = 0
            for _ in range(50):
                count = sacct_count(name)
                if count:
                    break
                time.sleep(0.2)
            assert count == 1, "sacct lists %d jobs named %s, not 1" % (count, name)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def submit_pw(ctx, inputs, input_name, **extra):
    """pw.x on `input_name` (a fixture) by Slurm over the sshd, its inputs
    uploaded by SFTP into the job's own directory (pw.x never runs in /tmp
    or in the checkout)."""
    folder = tempfile.mkdtemp(prefix="pw-", dir=inputs)
    shutil.copy(os.path.join(QE_FIXTURES, input_name), os.path.join(folder, "pw.in"))
    shutil.copy(os.path.join(QE_FIXTURES, "Si.pz-vbc.UPF"), folder)
    spec = {
        "name": "si-scf", "machine": "tbssh", "command": "pw.x -in pw.in > pw.out",
        # Debian's OpenMPI build as a singleton: loopback transports and no
        # daemon of its own (unreachable inside a test's network namespace).
        "env": {"OMP_NUM_THREADS": "1", "OMPI_MCA_oob_tcp_if_include": "lo", "OMPI_MCA_btl_tcp_if_include": "lo",
                "OMPI_MCA_ess_singleton_isolated": "1"},
        "upload": [os.path.join(folder, "pw.in"), os.path.join(folder, "Si.pz-vbc.UPF")],
        "parser": "qe", "parse_file": "pw.out",
    }
    spec.update(extra)
    return ctx.submit(spec)


def test_pw_scf_not_converged_is_corrected_over_ssh():
    home = make_home("pw")
    try:
        with xrun.Context(home=home) as ctx:
            start = time.monotonic()
            reference = submit_pw(ctx, home, "si_scf_reference.in")
            job = submit_pw(ctx, home, "si_scf_unstable.in", corrections="builtin",
                            retry={"on": ["scf_not_converged"], "max_attempts": 4})
            with reference, job:
                assert reference.wait(timeout=WAIT_S) == xrun.State.COMPLETED, reference.reason
                assert job.wait(timeout=WAIT_S) == xrun.State.COMPLETED, job.reason
                elapsed = time.monotonic() - start
                info = job.info()
                attempts = info["attempt_history"]
                assert info["attempts"] == len(attempts) >= 2, info
                # The first attempt failed with the diagnosis; its edits are
                # in the next attempt's record.
                assert attempts[0]["number"] == 1 and attempts[1]["number"] == 2, attempts
                assert attempts[0]["scheduler_id"] != attempts[1]["scheduler_id"], attempts
                text = json.dumps(attempts)
                assert "(scf_not_converged): " in text and "mixing_beta" in text, attempts
                energy = job.result["total_energy_native"]
                expected = reference.result["total_energy_native"]
                print("pw.x through Slurm over ssh: %d attempts, final %.8f Ry, reference %.8f Ry, "
                      "|diff| %.2e Ry, %.1f s" % (len(attempts), energy, expected, abs(energy - expected), elapsed))
                assert abs(energy - expected) < 1e-5
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_cross_machine_dag_sends_each_dependent_once_or_cancels_it():
    """Chain c: relax on A, scf on B, bands on A, A alternating between
    "tb" (Slurm) and "far" (direct over the sshd). c % 4 == 1: relax fails;
    2: scf fails, bands runs afternotok; 3: scf fails, bands (afterok) is
    cancelled."""
    chains = 8
    home = make_home("dag")
    try:
        with xrun.Context(home=home) as ctx:
            specs = []
            for c in range(chains):
                a, b = ("tb", "far") if c % 2 == 0 else ("far", "tb")
                relax = "sleep 1; exit 1" if c % 4 == 1 else "sleep 1; echo relax"
                scf = "echo scf; exit 1" if c % 4 in (2, 3) else "echo scf"
                bands_dep = {"job": "@scf-%d" % c, "type": "afternotok"} if c % 4 == 2 else "@scf-%d" % c
                specs += [{"name": "relax-%d" % c, "machine": a, "command": relax},
                          {"name": "scf-%d" % c, "machine": b, "command": scf, "depends_on": ["@relax-%d" % c]},
                          {"name": "bands-%d" % c, "machine": a, "command": "echo bands", "depends_on": [bands_dep]}]
            start = time.monotonic()
            batch = ctx.submit_batch(specs)
            assert all("error" not in item for item in batch), batch
            ids = [item["id"] for item in batch]
            # Bounded: every job ends within the deadline, else the test
            # fails naming those left.
            deadline, polls = start + 60, 0
            while True:
                infos = [ctx.job(i).info() for i in ids]
                left = [(i, info["state"], info["reason"]) for i, info in zip(ids, infos) if not info["terminal"]]
                if not left:
                    break
                assert time.monotonic() < deadline, "still waiting after 60 s (some job waits forever): %s" % left
                ctx.poll()
                polls += 1
                time.sleep(0.2)
            elapsed = time.monotonic() - start

            def expect(k, state, parent=None, parent_end=None):
                info = infos[k]
                assert info["state"] == state, (specs[k]["name"], info["state"], info["reason"])
                if parent is not None:
                    want = "dependency never satisfied: parent %s ended %s" % (ids[parent], parent_end)
                    assert want in info["reason"], (specs[k]["name"], info["reason"], want)

            for c in range(chains):
                r, s_, b = 3 * c, 3 * c + 1, 3 * c + 2
                if c % 4 == 1:
                    expect(r, "failed")
                    expect(s_, "cancelled", r, "failed (afterok)")
                    expect(b, "cancelled", s_, "cancelled (afterok)")
                elif c % 4 == 2:
                    expect(r, "completed")
                    expect(s_, "failed")
                    expect(b, "completed")
                elif c % 4 == 3:
                    expect(r, "completed")
                    expect(s_, "failed")
                    expect(b, "cancelled", s_, "failed (afterok)")
                else:
                    for k in (r, s_, b):
                        expect(k, "completed")
            # Each job that ran was sent once (one "submitted" event, a
            # scheduler id); a cancelled one never was.
            submitted, after = dict.fromkeys(ids, 0), 0
            while True:
                events = ctx.events(after_seq=after)  # a page of at most 1000
                if not events:
                    break
                after = events[-1].seq
                for event in events:
                    if event.job_id in submitted and event.state == xrun.State.SUBMITTED:
                        submitted[event.job_id] += 1
            for k, info in enumerate(infos):
                ran = info["state"] != "cancelled"
                assert submitted[ids[k]] == (1 if ran else 0), (specs[k]["name"], submitted[ids[k]], info["state"])
                assert (info["scheduler_id"] != "") == ran, (specs[k]["name"], info["scheduler_id"])
            # A dependent held across machines was sent after its parent ended.
            for k in range(len(specs)):
                if k % 3 and infos[k]["state"] != "cancelled":
                    child, parent = infos[k], infos[k - 1]
                    assert child["submitted_at"] >= parent["ended_at"], (specs[k]["name"], child, parent)
            print("cross-machine DAG of %d jobs (Slurm and direct over ssh): %.1f s, %d poll rounds"
                  % (len(specs), elapsed, polls))
    finally:
        shutil.rmtree(home, ignore_errors=True)


TESTS = [test_second_identical_job_never_reaches_slurm, test_pw_scf_not_converged_is_corrected_over_ssh,
         test_cross_machine_dag_sends_each_dependent_once_or_cancels_it]

if __name__ == "__main__":
    require_testbeds()
    failed = 0
    for test in TESTS:
        start = time.monotonic()
        try:
            test()
        except Exception:  # report every test, then fail
            traceback.print_exc()
            failed += 1
            print("FAIL %s (%.1f s)" % (test.__name__, time.monotonic() - start))
        else:
            print("PASS %s (%.1f s)" % (test.__name__, time.monotonic() - start))
        sys.stdout.flush()
    print("python %s.%s.%s: %d of %d Slurm campaign scenarios passed"
          % (sys.version_info[:3] + (len(TESTS) - failed, len(TESTS))))
    sys.exit(1 if failed else 0)
