"""Dependencies through the binding (issue 13): a small DAG in one
submit_batch whose members name each other ("@relax"), typed dependencies,
a failed parent cancelling its dependents transitively, and a cycle refused
before anything is recorded. Real jobs on the built-in `local` machine."""
import time

import pytest

import xrun

FINAL = {xrun.State.COMPLETED, xrun.State.FAILED, xrun.State.CANCELLED, xrun.State.TIMEOUT,
         xrun.State.OUT_OF_MEMORY, xrun.State.NODE_FAIL, xrun.State.PREEMPTED, xrun.State.LOST}


def _poll_until_final(ctx, ids, limit_s=30):
    deadline = time.monotonic() + limit_s
    while True:
        jobs = {i: ctx.job(i) for i in ids}
        if all(job.state in FINAL for job in jobs.values()):
            return jobs
        assert time.monotonic() < deadline, {i: str(job.state) for i, job in jobs.items()}
        ctx.poll()
        time.sleep(0.05)


def test_dag_by_member_names(ctx, tmp_path):
    mark = tmp_path / "relaxed"
    results = ctx.submit_batch([
        {"name": "relax", "command": "sleep 0.3; touch %s" % mark},
        {"name": "scf", "command": ["test", "-f", str(mark)], "depends_on": ["@relax"]},
        {"name": "bands", "command": "exit 1", "depends_on": ["@scf"]},
        {"name": "plot", "command": "true", "depends_on": ["@bands"]},
        {"name": "report", "command": "true", "depends_on": ["@plot"]},
        {"name": "cleanup", "command": "true", "depends_on": [{"job": "@2", "type": "afternotok"}]},
        {"name": "always", "command": "true", "depends_on": [{"job": "@report", "type": "afterany"}]},
    ])
    ids = [r["id"] for r in results]
    # Held by xrun until their parents end: not on any scheduler yet.
    assert results[1]["state"] == "waiting" and results[1]["scheduler_id"] == ""
    assert ctx.job(ids[1]).info()["waiting_for"] == "dependencies"
    jobs = _poll_until_final(ctx, ids)
    states = [jobs[i].state for i in ids]
    assert states == [xrun.State.COMPLETED, xrun.State.COMPLETED, xrun.State.FAILED, xrun.State.CANCELLED,
                      xrun.State.CANCELLED, xrun.State.COMPLETED, xrun.State.COMPLETED]
    assert ("dependency never satisfied: parent %s ended failed (afterok)" % ids[2]) in jobs[ids[3]].reason
    assert ("parent %s ended cancelled (afterok)" % ids[3]) in jobs[ids[4]].reason
    # scf ran after relax ended (it tests relax's mark) and was sent once.
    sent = [e for e in ctx.events() if e.job_id == ids[1] and e.state == xrun.State.SUBMITTED]
    assert len(sent) == 1


def test_cycle_and_unknown_reference_record_nothing(ctx):
    with pytest.raises(xrun.InvalidError) as info:
        ctx.submit_batch([
            {"name": "a", "command": "true", "depends_on": ["@c"]},
            {"name": "b", "command": "true", "depends_on": ["@a"]},
            {"name": "c", "command": "true", "depends_on": [{"job": "@b", "type": "afterany"}]},
        ])
    assert "dependency cycle: @a -> @c -> @b -> @a" in str(info.value)
    with pytest.raises(xrun.InvalidError) as info:
        ctx.submit_batch([{"name": "a", "command": "true"}, {"command": "true", "depends_on": ["@relax"]}])
    assert 'no job named "relax" in this batch' in str(info.value)
    with pytest.raises(xrun.InvalidError) as info:
        ctx.submit(command="true", depends_on=[{"job": "x", "type": "after_ok"}])
    assert "$.depends_on[0].type" in str(info.value)
    assert ctx.jobs() == []
