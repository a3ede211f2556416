"""Retries by evidence through Python (issue 13), on the built-in `local`
machine: a job's retry policy resends it into its own directory until it
succeeds, every attempt is listed in its info, and a retry callback given
through the raw C API (cffi callback) replaces the next attempt's spec."""
import json

import xrun
from xrun._ffi import ffi, lib

WAIT_S = 60


def test_retried_in_its_own_directory_until_it_succeeds(ctx):
    job = ctx.submit({
        "command": "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo run $n; [ $n -ge 3 ]",
        "retry": {"on": ["failed"], "max_attempts": 5, "env": {"STEP": "again"}},
    })
    assert job.wait(timeout=WAIT_S) == xrun.State.COMPLETED
    info = job.info()
    assert info["attempt"] == 3
    history = info["attempt_history"]
    assert [a["number"] for a in history] == [1, 2, 3]
    assert [a["state"] for a in history] == ["failed", "failed", "completed"]
    assert history[0]["corrections"] == ["env STEP=again"]
    assert len({a["scheduler_id"] for a in history}) == 3
    assert job.read_file("stdout") == b"run 3\n"


def test_callback_replaces_the_next_spec(ctx):
    seen = []

    @ffi.callback("int(xrun_retry *, const char *, int64_t, const char *, const char *, const char *, void *)")
    def on_retry(retry, job_id, attempt, outcome, diagnosis, spec_json, payload):
        spec = json.loads(ffi.string(spec_json).decode())
        seen.append((attempt, ffi.string(outcome).decode(), spec["attempt"]))
        spec["command"] = "echo fixed by python"
        return lib.xrun_retry_set_spec(retry, json.dumps(spec).encode())

    assert lib.xrun_set_retry_callback(ctx.ptr, on_retry, ffi.NULL) == 0
    try:
        job = ctx.submit({"command": "exit 9", "corrections": "callback",
                          "retry": {"on": ["failed"], "max_attempts": 2}})
        assert job.wait(timeout=WAIT_S) == xrun.State.COMPLETED
    finally:
        assert lib.xrun_set_retry_callback(ctx.ptr, ffi.NULL, ffi.NULL) == 0
    assert seen == [(1, "failed", 2)]
    assert job.read_file("stdout") == b"fixed by python\n"
    assert "callback: spec replaced" in job.info()["attempt_history"][0]["corrections"]


def test_a_bad_policy_is_refused_naming_its_path(ctx):
    try:
        ctx.submit({"command": "true", "retry": {"on": ["failed", 3]}})
    except xrun.Error as e:
        assert "$.retry.on[1]" in str(e)
    else:
        raise AssertionError("a bad policy was accepted")
