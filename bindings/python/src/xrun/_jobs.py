"""Jobs, job states and journal events."""
from __future__ import annotations

import enum
import json
from typing import Any, Dict, Optional, Tuple
from collections import namedtuple

from ._ffi import ffi, lib, text, cstr
from ._handle import Handle
from .errors import NotFoundError, check, take_string


class State(enum.IntEnum):
    """A job's state; values are the header's XRUN_STATE_* codes."""

    CREATED = lib.XRUN_STATE_CREATED
    SUBMITTING = lib.XRUN_STATE_SUBMITTING
    SUBMITTED = lib.XRUN_STATE_SUBMITTED
    QUEUED = lib.XRUN_STATE_QUEUED
    HELD = lib.XRUN_STATE_HELD
    RUNNING = lib.XRUN_STATE_RUNNING
    COMPLETED = lib.XRUN_STATE_COMPLETED
    FAILED = lib.XRUN_STATE_FAILED
    CANCELLED = lib.XRUN_STATE_CANCELLED
    TIMEOUT = lib.XRUN_STATE_TIMEOUT
    OUT_OF_MEMORY = lib.XRUN_STATE_OUT_OF_MEMORY
    NODE_FAIL = lib.XRUN_STATE_NODE_FAIL
    PREEMPTED = lib.XRUN_STATE_PREEMPTED
    LOST = lib.XRUN_STATE_LOST
    WAITING = lib.XRUN_STATE_WAITING

    def __str__(self):
        return self.label

    @property
    def label(self):
        """The library's name for the state ("running")."""
        return text(lib.xrun_state_name(int(self)))

    @property
    def is_terminal(self):
        return bool(lib.xrun_state_is_terminal(int(self)))


def _state(value):
    try:
        return State(value)
    except ValueError:  # a state appended by a newer library
        return value


Event = namedtuple("Event", "seq time_ms job_id state message kind", defaults=("state",))
Event.__doc__ = (
    "One journal entry: a job entered `state` at `time_ms` (ms since the epoch). "
    '`kind` is "state" when the state changed, "reason" when only the reason '
    "changed (the job's previous event had the same state)."
)


def _milliseconds(timeout):
    """Seconds (float) or None (forever) as the C API's int64 milliseconds."""
    if timeout is None:
        return -1
    if timeout < 0:
        raise ValueError("timeout must be >= 0 seconds or None")
    return int(round(timeout * 1000))


class Job(Handle):
    """A job handle. Its state is a snapshot: refresh() (or wait()) updates
    it. Closing the handle never cancels the job. The Context it came from
    stays alive while the job is open."""

    _kind = "job"

    def __init__(self, ptr: Any, context: Any) -> None:
        super().__init__(ptr, lib.xrun_job_free)
        self._context = context  # a child keeps its parent alive
        self.id = text(lib.xrun_job_id(ptr))

    def __repr__(self):
        state = self.state.name if not self.closed else "closed"
        return "<xrun.Job %s %s>" % (self.id, state)

    @property
    def state(self) -> State:
        """The State as of the last open/refresh/wait/cancel."""
        return _state(lib.xrun_job_state(self.ptr))

    def refresh(self) -> "Job":
        """Re-read the job and poll its machine if its interval allows."""
        check(lib.xrun_job_refresh(self.ptr))
        return self

    def wait(self, timeout: Optional[float] = None) -> State:
        """Block until the job is terminal, at most `timeout` seconds (None:
        no limit; 0: poll once). Returns the State; raises xrun.TimeoutError
        if time ran out first. A failed job is not an error: check .state."""
        check(lib.xrun_job_wait(self.ptr, _milliseconds(timeout)))
        return self.state

    def send(self) -> State:
        """Send a job that is not on a scheduler yet: one left in CREATED by a
        failed send or by recover(), or a WAITING one (sent now). Returns the
        State; xrun.StateError naming the state for any other job."""
        check(lib.xrun_job_send(self.ptr))
        return self.state

    def cancel(self) -> State:
        """Cancel the job; xrun.StateError if it already ended."""
        check(lib.xrun_job_cancel(self.ptr))
        return self.state

    @property
    def exit_code(self) -> Optional[int]:
        """The exit code, or None while it is not known."""
        out = ffi.new("int *")
        try:
            check(lib.xrun_job_exit_code(self.ptr, out))
        except NotFoundError:
            return None
        return out[0]

    @property
    def scheduler_id(self) -> str:
        return text(lib.xrun_job_scheduler_id(self.ptr))

    @property
    def reason(self) -> str:
        return text(lib.xrun_job_reason(self.ptr))

    def info(self) -> Dict[str, Any]:
        """The job's record (xrun_job_info_json) as a dict."""
        out = ffi.new("char **")
        check(lib.xrun_job_info_json(out, self.ptr))
        return json.loads(take_string(out))

    def read_file(self, name: str, max_bytes: int = 0) -> bytes:
        """The bytes of a file in the job's directory (e.g. "stdout")."""
        out = ffi.new("char **")
        size = ffi.new("size_t *")
        check(lib.xrun_job_read_file(out, size, self.ptr, cstr(name), max_bytes))
        try:
            return ffi.unpack(out[0], size[0])
        finally:
            lib.xrun_free(out[0])

    def hold(self):
        """Hold the job in its scheduler's queue; xrun.UnsupportedError on
        the direct scheduler, xrun.StateError once it runs or ended."""
        check(lib.xrun_job_hold(self.ptr))
        return self.state

    def release(self):
        """Release a held job back to queued."""
        check(lib.xrun_job_release(self.ptr))
        return self.state

    def read_file_at(self, name: str, offset: int = 0, max_bytes: int = 0) -> Tuple[bytes, int]:
        """(bytes, total_size): at most `max_bytes` (0: 16 MiB) of a job
        file from byte `offset`, and the file's size when read -- to stream
        or follow a file of any size, each byte read once."""
        out = ffi.new("char **")
        size = ffi.new("size_t *")
        total = ffi.new("int64_t *")
        check(lib.xrun_job_read_file_at(out, size, total, self.ptr, cstr(name), offset, max_bytes))
        try:
            return ffi.unpack(out[0], size[0]), total[0]
        finally:
            lib.xrun_free(out[0])

    @property
    def result(self):
        """The parsed result as a dict, or None if the job has none (yet)."""
        out = ffi.new("xrun_result **")
        try:
            check(lib.xrun_job_result(out, self.ptr))
        except NotFoundError:
            return None
        from ._results import Result

        with Result(out[0]) as result:
            return result.to_dict()
