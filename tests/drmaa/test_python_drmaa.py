#!/usr/bin/python3
"""python-drmaa (Debian's python3-drmaa) driving libxrun-drmaa.so against a
real machine reached over the testbed sshd: the flows of python-drmaa's own
examples -- session attributes, attribute names, one job and wait, exit
codes and signals, a bulk job of 10 tasks with synchronize, jobStatus while
queued / running / done, hold / release / terminate through control
(a user's hold, and on Slurm an administrator's hold and suspension made
with root's scontrol).

    test_python_drmaa.py slurm    # the real Slurm over SSH
    test_python_drmaa.py direct   # the direct scheduler over SSH

Needs DRMAA_LIBRARY_PATH (the library), TESTBED_DIR and TESTBED_SSH_PORT
(ctest sets them). The jobs run as the testbed user on this host, so their
files are read back from that user's home directory.
"""
import json
import os
import pwd
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

KIND = sys.argv[1] if len(sys.argv) > 1 else "slurm"
assert KIND in ("slurm", "direct"), KIND
TESTBED = os.environ.get("TESTBED_DIR", "/tmp/xrun-testbed")
PORT = int(os.environ.get("TESTBED_SSH_PORT", "2222"))
USER = "xruntest"
KEY = os.path.join(TESTBED, "ssh", "client_ed25519")
KNOWN = os.path.join(TESTBED, "ssh", "known_hosts")
for f in (KEY, KNOWN):
    if not os.access(f, os.R_OK):
        sys.exit("FAIL: no sshd testbed in %s (%s missing): run scripts/testbed-sshd.sh up" % (TESTBED, f))
if not os.path.exists(os.environ.get("DRMAA_LIBRARY_PATH", "")):
    sys.exit("FAIL: DRMAA_LIBRARY_PATH does not name libxrun-drmaa.so")

# A fresh XRUN_HOME with one machine, the default; a fresh remote run
# directory so that no file of an earlier run can satisfy a check.
HOME = tempfile.mkdtemp(prefix="xrun-drmaa-py-%s-" % KIND)
TAG = "drmaa-%s-%s" % (KIND, uuid.uuid4().hex[:10])
REMOTE_HOME = pwd.getpwnam(USER).pw_dir
machine = {
    "execution": "remote", "scheduler": KIND, "host": "127.0.0.1", "port": PORT, "username": USER,
    "auth": {"method": "key", "key_file": KEY}, "known_hosts": KNOWN, "ssh_config": "none",
    "workdir": "~/xrun-%s" % TAG, "min_poll_interval": 1 if KIND == "slurm" else 0,
}
if KIND == "slurm":
    machine["resources"] = {"partition": "debug"}
with open(os.path.join(HOME, "machines.json"), "w") as f:
    json.dump({"default": "cluster", "machines": {"cluster": machine}}, f)
os.environ["XRUN_HOME"] = HOME
os.environ.pop("XRUN_DEFAULT_MACHINE", None)

import drmaa  # noqa: E402  (reads DRMAA_LIBRARY_PATH at import)
from drmaa.const import JobControlAction, JobState  # noqa: E402
from drmaa.errors import (DeniedByDrmException, ExitTimeoutException,  # noqa: E402
                          HoldInconsistentStateException, InvalidJobException,
                          ReleaseInconsistentStateException, SuspendInconsistentStateException)

WD = drmaa.JobTemplate.HOME_DIRECTORY + "/" + TAG   # the remote run directory
LOCAL_WD = os.path.join(REMOTE_HOME, TAG)           # the same directory, seen from here


def template(s, script, **attrs):
    jt = s.createJobTemplate()
    jt.remoteCommand = "/bin/sh"
    jt.args = ["-c", script]
    jt.workingDirectory = WD
    for k, v in attrs.items():
        setattr(jt, k, v)
    return jt


def wait_for_status(s, jobid, wanted, seconds=60):
    deadline = time.time() + seconds
    seen = []
    while time.time() < deadline:
        st = s.jobStatus(jobid)
        if not seen or seen[-1] != st:
            seen.append(st)
        if st == wanted:
            return seen
        time.sleep(0.3)
    raise AssertionError("job %s never reached %s; states seen: %s" % (jobid, wanted, seen))


def read_remote(name):
    with open(os.path.join(LOCAL_WD, name)) as f:
        return f.read()


def test_session_and_attribute_names(s):
    assert s.contact == "cluster", s.contact
    assert "%s on cluster" % KIND in s.drmsInfo, s.drmsInfo
    assert "xrun-drmaa" in s.drmaaImplementation, s.drmaaImplementation
    assert str(s.version) == "1.0", s.version
    jt = s.createJobTemplate()
    names = set(jt.attributeNames)
    for required in ("drmaa_remote_command", "drmaa_js_state", "drmaa_wd", "drmaa_job_name",
                     "drmaa_native_specification", "drmaa_output_path", "drmaa_error_path",
                     "drmaa_join_files", "drmaa_input_path"):
        assert required in names, (required, names)
    vectors = set(drmaa.helpers.vector_attribute_names_iterator())
    assert vectors == {"drmaa_v_argv", "drmaa_v_env", "drmaa_v_email"}, vectors
    s.deleteJobTemplate(jt)


def test_run_one_job_and_wait(s):
    # The run directory is made by a first job (wd = the home directory).
    jt = template(s, 'mkdir -p "$1" && echo "$GREETING" from "$(pwd)"', jobName="drmaa: first 'job'",
                  outputPath=":" + drmaa.JobTemplate.HOME_DIRECTORY + "/" + TAG + ".first.out", joinFiles=True)
    jt.args = ["-c", 'mkdir -p "$1" && echo "$GREETING" from "$(pwd)"', "sh", TAG]
    jt.workingDirectory = drmaa.JobTemplate.HOME_DIRECTORY
    jt.jobEnvironment = {"GREETING": "hello $(world)"}
    jobid = s.runJob(jt)
    assert len(jobid) == 26, jobid
    info = s.wait(jobid, drmaa.Session.TIMEOUT_WAIT_FOREVER)
    assert info.jobId == jobid
    assert info.hasExited and info.exitStatus == 0 and not info.hasSignal and not info.wasAborted, info
    # start_time / ru_wallclock only when xrun saw the job start (a short
    # Slurm job can end between two polls).
    for key in ("submission_time", "end_time", "exit_status"):
        assert key in info.resourceUsage, info.resourceUsage
    assert float(info.resourceUsage["end_time"]) >= float(info.resourceUsage["submission_time"]), info
    with open(os.path.join(REMOTE_HOME, TAG + ".first.out")) as f:
        assert f.read() == "hello $(world) from %s\n" % REMOTE_HOME
    assert s.jobStatus(jobid) == JobState.DONE
    try:
        s.wait(jobid, 0)
        raise AssertionError("a second wait on a reaped job must fail")
    except InvalidJobException:
        pass
    s.deleteJobTemplate(jt)


def test_exit_codes_and_signals(s):
    jt = template(s, "echo out; echo err >&2; exit 7", outputPath=":$drmaa_wd_ph$/seven.out",
                  errorPath=":$drmaa_wd_ph$/seven.err")
    seven = s.runJob(jt)
    jt.outputPath = ""
    jt.errorPath = ""
    if KIND == "direct":
        # Killed by a signal: the shell's 128 + N is reported as signal N.
        jt.args = ["-c", "kill -USR1 $$"]
        signaled = s.runJob(jt)
    info = s.wait(seven, 60)
    assert info.hasExited and info.exitStatus == 7 and not info.hasSignal, info
    assert read_remote("seven.out") == "out\n" and read_remote("seven.err") == "err\n"
    if KIND == "direct":
        info = s.wait(signaled, 60)
        assert not info.hasExited and info.hasSignal and info.terminatedSignal == "SIGUSR1", info
    # (On Slurm a job's own signal death is not tested here: Slurm's accounting
    # turns the batch exit status 128 + N into "N:0", see docs/DRMAA.md. A
    # job terminated while running is, in the queued/running/done flow.)
    assert s.jobStatus(seven) == JobState.FAILED  # finished, but not normally
    s.deleteJobTemplate(jt)


def test_bulk_job_of_10_with_synchronize(s):
    jt = template(s, "echo task", outputPath=":$drmaa_wd_ph$/bulk.$drmaa_incr_ph$")
    ids = s.runBulkJobs(jt, 1, 10, 1)
    assert len(ids) == 10 and len(set(ids)) == 10, ids
    s.synchronize(ids, 90, False)
    for i in range(1, 11):
        assert read_remote("bulk.%d" % i) == "task\n", i
    # Not disposed: each can still be waited for, once.
    for jobid in ids:
        info = s.wait(jobid, 0)
        assert info.hasExited and info.exitStatus == 0, info
    # Disposed by synchronize: gone for wait.
    more = s.runBulkJobs(jt, 1, 3, 2)
    assert len(more) == 2
    s.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], 90, True)
    try:
        s.wait(more[0], 0)
        raise AssertionError("a disposed job must not be waitable")
    except InvalidJobException:
        pass
    s.deleteJobTemplate(jt)


def test_status_queued_running_done_and_terminate(s):
    if KIND == "direct":
        jt = template(s, "sleep 30")
        running = s.runJob(jt)
        assert s.jobStatus(running) == JobState.RUNNING
        try:
            s.wait(running, drmaa.Session.TIMEOUT_NO_WAIT)
            raise AssertionError("wait must time out on a running job")
        except ExitTimeoutException:
            pass
        s.control(running, JobControlAction.TERMINATE)
        assert s.jobStatus(running) == JobState.FAILED
        info = s.wait(running, 60)
        assert info.hasSignal and not info.hasExited, info
        s.deleteJobTemplate(jt)
        return
    # The node has 2 CPUs: a job asking for both keeps a second one queued.
    jt = template(s, "sleep 60", nativeSpecification="--cpus-per-task=2 --time=00:05:00")
    blocker = s.runJob(jt)
    wait_for_status(s, blocker, JobState.RUNNING)
    jt.args = ["-c", "sleep 2; echo done"]
    jt.outputPath = ":$drmaa_wd_ph$/queued.out"
    queued = s.runJob(jt)
    states = wait_for_status(s, queued, JobState.QUEUED_ACTIVE, 20)
    assert JobState.RUNNING not in states, states
    time.sleep(1.5)
    assert s.jobStatus(queued) == JobState.QUEUED_ACTIVE
    try:
        s.wait(queued, drmaa.Session.TIMEOUT_NO_WAIT)
        raise AssertionError("wait must time out on a queued job")
    except ExitTimeoutException:
        pass
    s.control(blocker, JobControlAction.TERMINATE)
    wait_for_status(s, blocker, JobState.FAILED, 30)
    wait_for_status(s, queued, JobState.RUNNING, 60)
    wait_for_status(s, queued, JobState.DONE, 60)
    assert read_remote("queued.out") == "done\n"
    info = s.wait(blocker, 30)
    assert info.hasSignal and not info.hasExited and not info.wasAborted, info
    s.deleteJobTemplate(jt)


def slurm_as_admin(*args):
    """Runs a Slurm command on this host as root, Slurm's administrator
    here (SlurmUser=root): an administrator's hold is a system hold."""
    assert os.geteuid() == 0, "the system-hold flow needs root (Slurm's administrator on the testbed)"
    env = dict(os.environ, SLURM_CONF=os.path.join(TESTBED, "slurm", "slurm.conf"))
    return subprocess.run(list(args), env=env, check=True, capture_output=True, text=True).stdout


def slurm_job(xrun_id):
    """(Slurm id, state, reason) of the job whose name carries `xrun_id`,
    as squeue itself reports it."""
    for line in slurm_as_admin("squeue", "-h", "-o", "%i|%T|%r|%j").splitlines():
        jobid, state, reason, name = line.split("|", 3)
        if xrun_id in name:
            return jobid, state, reason
    raise AssertionError("no Slurm job named after %s in squeue" % xrun_id)


def expect(exception, call, *args):
    try:
        call(*args)
    except exception:
        return
    raise AssertionError("%s%r must raise %s" % (call.__name__, args, exception.__name__))


def test_hold_release_terminate(s):
    if KIND == "direct":
        # A direct job runs as soon as it is sent: there is no queue to hold
        # it in, so xrun refuses a held submission and a running job can be
        # neither held nor released.
        jt = template(s, "echo held")
        jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
        expect(DeniedByDrmException, s.runJob, jt)
        jt.jobSubmissionState = drmaa.JobSubmissionState.ACTIVE_STATE
        jt.args = ["-c", "sleep 30"]
        running = s.runJob(jt)
        assert s.jobStatus(running) == JobState.RUNNING
        expect(HoldInconsistentStateException, s.control, running, JobControlAction.HOLD)
        expect(ReleaseInconsistentStateException, s.control, running, JobControlAction.RELEASE)
        assert s.jobStatus(running) == JobState.RUNNING
        s.control(running, JobControlAction.TERMINATE)
        assert s.wait(running, 60).hasSignal
        s.deleteJobTemplate(jt)
        return
    # A job that fills the node's 2 CPUs keeps the next one queued.
    jt = template(s, "sleep 60", nativeSpecification="--cpus-per-task=2 --time=00:05:00")
    blocker = s.runJob(jt)
    wait_for_status(s, blocker, JobState.RUNNING)
    expect(HoldInconsistentStateException, s.control, blocker, JobControlAction.HOLD)  # running
    jt.args = ["-c", "echo released"]
    jt.outputPath = ":$drmaa_wd_ph$/released.out"
    queued = s.runJob(jt)
    wait_for_status(s, queued, JobState.QUEUED_ACTIVE, 20)
    expect(ReleaseInconsistentStateException, s.control, queued, JobControlAction.RELEASE)  # not held
    s.control(queued, JobControlAction.HOLD)
    st = s.jobStatus(queued)
    assert st == JobState.USER_ON_HOLD, (st, slurm_job(queued))
    _, state, reason = slurm_job(queued)
    assert state == "PENDING" and reason == "JobHeldUser", (state, reason)  # Slurm holds it, not only xrun
    expect(HoldInconsistentStateException, s.control, queued, JobControlAction.HOLD)  # already held
    # Free the node: a job sent after the held one runs to its end while
    # the held one stays held.
    s.control(blocker, JobControlAction.TERMINATE)
    wait_for_status(s, blocker, JobState.FAILED, 30)
    jt.args = ["-c", "true"]
    jt.outputPath = ""
    probe = s.runJob(jt)
    wait_for_status(s, probe, JobState.DONE, 60)
    assert s.jobStatus(queued) == JobState.USER_ON_HOLD
    # Released, it runs.
    s.control(queued, JobControlAction.RELEASE)
    assert s.jobStatus(queued) in (JobState.QUEUED_ACTIVE, JobState.RUNNING, JobState.DONE)
    wait_for_status(s, queued, JobState.DONE, 60)
    assert read_remote("released.out") == "released\n"
    info = s.wait(queued, 30)
    assert info.hasExited and info.exitStatus == 0, info
    expect(ReleaseInconsistentStateException, s.control, queued, JobControlAction.RELEASE)  # done
    expect(HoldInconsistentStateException, s.control, queued, JobControlAction.HOLD)
    # Submitted held: held until released.
    jt.args = ["-c", "echo was held"]
    jt.outputPath = ":$drmaa_wd_ph$/was_held.out"
    jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
    held = s.runJob(jt)
    wait_for_status(s, held, JobState.USER_ON_HOLD, 20)
    time.sleep(1.5)
    assert s.jobStatus(held) == JobState.USER_ON_HOLD  # stays held on an idle node
    s.control(held, JobControlAction.RELEASE)
    wait_for_status(s, held, JobState.DONE, 60)
    assert read_remote("was_held.out") == "was held\n"
    for jobid in (blocker, probe, held):
        s.wait(jobid, 30)
    s.deleteJobTemplate(jt)


def test_system_hold_suspend_terminate(s):
    jt = template(s, "echo never")
    jt.jobSubmissionState = drmaa.JobSubmissionState.HOLD_STATE
    by_user, by_admin = s.runJob(jt), s.runJob(jt)
    for jobid in (by_user, by_admin):
        wait_for_status(s, jobid, JobState.USER_ON_HOLD, 20)
    # An administrator's hold is the system's: the user cannot release it.
    slurm_as_admin("scontrol", "hold", slurm_job(by_admin)[0])
    assert slurm_job(by_admin)[2] == "JobHeldAdmin", slurm_job(by_admin)
    wait_for_status(s, by_admin, JobState.SYSTEM_ON_HOLD, 20)
    expect(DeniedByDrmException, s.control, by_admin, JobControlAction.RELEASE)
    assert s.jobStatus(by_admin) == JobState.SYSTEM_ON_HOLD
    assert s.jobStatus(by_user) == JobState.USER_ON_HOLD
    # Suspended by the administrator while running (xrun has no suspend):
    # the system's suspension, which only the administrator can undo.
    jt.jobSubmissionState = drmaa.JobSubmissionState.ACTIVE_STATE
    jt.args = ["-c", "sleep 3; echo resumed"]
    jt.outputPath = ":$drmaa_wd_ph$/resumed.out"
    paused = s.runJob(jt)
    wait_for_status(s, paused, JobState.RUNNING, 30)
    slurm_as_admin("scontrol", "suspend", slurm_job(paused)[0])
    wait_for_status(s, paused, JobState.SYSTEM_SUSPENDED, 20)
    expect(DeniedByDrmException, s.control, paused, JobControlAction.RESUME)
    expect(ReleaseInconsistentStateException, s.control, paused, JobControlAction.RELEASE)
    expect(HoldInconsistentStateException, s.control, paused, JobControlAction.HOLD)
    expect(SuspendInconsistentStateException, s.control, paused, JobControlAction.SUSPEND)
    slurm_as_admin("scontrol", "resume", slurm_job(paused)[0])
    wait_for_status(s, paused, JobState.DONE, 60)
    assert read_remote("resumed.out") == "resumed\n"
    s.wait(paused, 30)
    # HOLD / RELEASE for the whole session skip the jobs they do not apply
    # to; terminating held jobs ends them without having run.
    s.control(drmaa.Session.JOB_IDS_SESSION_ALL, JobControlAction.HOLD)
    s.control(drmaa.Session.JOB_IDS_SESSION_ALL, JobControlAction.TERMINATE)
    for jobid in (by_user, by_admin):
        wait_for_status(s, jobid, JobState.FAILED, 30)
        info = s.wait(jobid, 30)
        assert info.wasAborted and not info.hasExited and not info.hasSignal, info
    s.deleteJobTemplate(jt)


def main():
    tests = [test_session_and_attribute_names, test_run_one_job_and_wait, test_exit_codes_and_signals,
             test_bulk_job_of_10_with_synchronize, test_status_queued_running_done_and_terminate,
             test_hold_release_terminate]
    if KIND == "slurm":  # the administrator's side of a scheduler with a queue
        tests.append(test_system_hold_suspend_terminate)
    only = sys.argv[2:]
    failed = 0
    with drmaa.Session() as s:
        for t in tests:
            if only and t.__name__ not in only:
                continue
            t0 = time.time()
            try:
                t(s)
                print("ok   %-45s %.1f s" % (t.__name__, time.time() - t0), flush=True)
            except Exception as e:  # report every flow, then fail
                failed += 1
                ours = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == __file__]
                print("FAIL %-45s line %d: %s: %s" % (t.__name__, ours[-1].lineno, type(e).__name__, e), flush=True)
                # End what the failed flow left behind (a job filling the
                # node, say), so that the next flow starts on a free node.
                s.control(drmaa.Session.JOB_IDS_SESSION_ALL, JobControlAction.TERMINATE)
        # Leave nothing running on the testbed.
        s.control(drmaa.Session.JOB_IDS_SESSION_ALL, JobControlAction.TERMINATE)
    if failed:
        sys.exit("%d flow(s) failed (XRUN_HOME kept: %s)" % (failed, HOME))
    print("all flows passed on %s" % KIND)


if __name__ == "__main__":
    main()
