"""Wake-ups through the Python binding: Context.interrupt() ends a Job.wait()
blocked in another thread; Context.wait_events() returns once an event
exists and raises TimeoutError otherwise."""
import threading
import time

import pytest

import xrun


def test_interrupt_ends_a_blocked_wait(ctx):
    job = ctx.submit_command("sleep 30", name="blocked")
    outcome = {}

    def waiter():
        try:
            job.wait()
            outcome["error"] = None
        except xrun.Error as e:
            outcome["error"] = e

    thread = threading.Thread(target=waiter)
    thread.start()
    start = time.monotonic()
    time.sleep(0.2)
    while thread.is_alive() and time.monotonic() - start < 10:
        ctx.interrupt()
        thread.join(0.05)
    thread.join()
    assert isinstance(outcome["error"], xrun.InterruptedError)
    assert outcome["error"].name == "XRUN_E_INTERRUPTED"
    assert time.monotonic() - start < 5
    job.cancel()


def test_wait_events_times_out_then_sees_an_event(ctx):
    with pytest.raises(xrun.TimeoutError):
        ctx.wait_events(0, timeout=0.1)
    ctx.submit_command("true")
    assert ctx.wait_events(0, timeout=0) >= 1


def test_read_file_at_streams_a_file_in_pieces(ctx):
    job = ctx.submit_command("printf 0123456789")
    job.wait(30)
    data, total = job.read_file_at("stdout", 3, 4)
    assert (data, total) == (b"3456", 10)
    assert job.read_file_at("stdout", 10) == (b"", 10)
    with pytest.raises(xrun.NotFoundError):
        job.read_file_at("no-such-file", 0)


def test_hold_is_unsupported_on_direct_and_prune_removes_old_jobs(ctx):
    job = ctx.submit_command("sleep 30")
    with pytest.raises(xrun.UnsupportedError):
        job.hold()
    job.cancel()
    assert ctx.prune(older_than=3600) == {"jobs": 0, "events": 0}
    time.sleep(0.02)
    assert ctx.prune(older_than=0.01)["jobs"] == 1
    with pytest.raises(xrun.NotFoundError):
        ctx.job(job.id)
