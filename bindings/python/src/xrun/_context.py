"""The context (configuration + job store) and machines."""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Union

from ._ffi import DEFINES, ffi, lib, text, cstr
from ._handle import Handle
from ._jobs import Event, Job, State, _milliseconds, _state
from ._spec import Spec
from .errors import Error, check, take_string


def _as_spec(spec: Dict[str, Any]) -> Dict[str, Any]:
    """A command given as a list or tuple is argv (subprocess's habit)."""
    command = spec.get("command")
    if isinstance(command, (list, tuple)):
        if "argv" in spec:
            raise ValueError("give either command or argv, not both")
        spec["argv"] = [str(arg) for arg in command]
        del spec["command"]
    return spec


class Machine(Handle):
    """A configured machine. Opening one never connects."""

    _kind = "machine"

    def __init__(self, ptr: Any, context: "Context") -> None:
        super().__init__(ptr, lib.xrun_machine_free)
        self._context = context
        self.name = text(lib.xrun_machine_name(ptr))

    def __repr__(self):
        return "<xrun.Machine %s>" % self.name

    @property
    def config(self) -> Dict[str, Any]:
        """The full, resolved configuration as a dict."""
        out = ffi.new("char **")
        check(lib.xrun_machine_json(out, self.ptr))
        return json.loads(take_string(out))

    def check(self) -> Dict[str, Any]:
        """Check the machine step by step; returns the report dict (its "ok"
        says whether every step passed). Raises only if no report came."""
        out = ffi.new("char **")
        status = lib.xrun_machine_check(out, self.ptr)
        report = take_string(out)
        if report is None:
            check(status)
        return json.loads(report)

    def stats(self) -> Dict[str, int]:
        out = ffi.new("char **")
        check(lib.xrun_machine_stats(out, self.ptr))
        return json.loads(take_string(out))


class Context(Handle):
    """An xrun context: machine configuration plus the job store.

    `home` defaults to $XRUN_HOME, else ~/.xrun. `log` is an optional
    callable(level, message) that may be called from any thread using the
    context; `prompt` an optional callable(kind, machine, prompt, echo)
    returning the secret (str) or None to refuse. Use it as a context
    manager, or close() it; jobs and machines opened from it keep the
    library's context alive until they are closed too.
    """

    _kind = "context"

    def __init__(self, home: Optional[str] = None, store_path: Optional[str] = None,
                 log: Optional[Callable[[int, str], None]] = None, log_level: int = lib.XRUN_LOG_WARN,
                 prompt: Optional[Callable[[str, str, str, bool], Optional[str]]] = None,
                 read_only: bool = False) -> None:
        """read_only=True: a context that only reads the store (no lock, a
        read-only store file opens, a broken machine file is only logged)."""
        opts = ffi.new("xrun_options *")
        check(lib.xrun_options_init(opts, DEFINES["XRUN_OPTIONS_VERSION"]))
        keep = []  # C strings must outlive the call (the library copies them)
        if home is not None:
            keep.append(ffi.new("char[]", cstr(os.fspath(home))))
            opts.home = keep[-1]
        if store_path is not None:
            keep.append(ffi.new("char[]", cstr(os.fspath(store_path))))
            opts.store_path = keep[-1]
        # Callbacks live as long as this object; the C context can outlive
        # it only through jobs/machines, which hold a reference to it.
        self._callbacks = []
        if log is not None:
            opts.log = self._log_callback(log)
            opts.log_level = log_level
        if prompt is not None:
            opts.prompt = self._prompt_callback(prompt)
        out = ffi.new("xrun_ctx **")
        check((lib.xrun_ctx_open_read_only if read_only else lib.xrun_ctx_open)(out, opts))
        super().__init__(out[0], lib.xrun_ctx_close)

    def _log_callback(self, log):
        @ffi.callback("xrun_log_fn", onerror=lambda *exc: None)
        def trampoline(level, message, payload):
            log(level, text(message))

        self._callbacks.append(trampoline)
        return trampoline

    def _prompt_callback(self, prompt):
        @ffi.callback("xrun_prompt_fn", onerror=lambda *exc: 1)
        def trampoline(kind, machine, question, echo, answer, answer_size, payload):
            secret = prompt(text(kind), text(machine), text(question), bool(echo))
            if secret is None:
                return 1
            data = secret.encode("utf-8")
            if len(data) + 1 > answer_size:
                return 1
            ffi.memmove(answer, data + b"\0", len(data) + 1)
            return 0

        self._callbacks.append(trampoline)
        return trampoline

    @property
    def home(self) -> str:
        return text(lib.xrun_ctx_home(self.ptr))

    @property
    def store_path(self) -> str:
        return text(lib.xrun_ctx_store_path(self.ptr))

    # -- machines ----------------------------------------------------------

    def machines(self) -> Dict[str, Any]:
        """{"default": NAME, "machines": [{"name":..., ...}, ...]}"""
        out = ffi.new("char **")
        check(lib.xrun_machines_list(out, self.ptr))
        return json.loads(take_string(out))

    @property
    def default_machine(self) -> str:
        out = ffi.new("char **")
        check(lib.xrun_machines_default(out, self.ptr))
        return take_string(out)

    def machine(self, name: Optional[str] = None) -> Machine:
        """Open a machine by name (None: the default)."""
        out = ffi.new("xrun_machine **")
        check(lib.xrun_machine_open(out, self.ptr, cstr(name)))
        return Machine(out[0], self)

    # -- jobs --------------------------------------------------------------

    def submit(self, spec: Optional[Union[Mapping[str, Any], Spec]] = None, **fields: Any) -> Job:
        """Submit a job from a spec dict (docs/JOBSPEC.md), an xrun.Spec, or
        keyword fields: ctx.submit(command="echo hi", name="greet",
        parser="qe"). A command given as a list, as subprocess takes it
        (command=["pw.x", "-in", "si.in"]), is the spec's argv: each
        argument arrives unchanged.
        A job that was recorded but could not be sent is still returned to
        the caller: the exception raised then carries it as `.job` (send it
        again with job.send(), or let poll rounds resend it when it waits for
        the connection)."""
        out = ffi.new("xrun_job **")
        if isinstance(spec, Spec):
            if fields:
                raise TypeError("give either an xrun.Spec or keyword fields, not both")
            status = lib.xrun_job_submit_spec(out, self.ptr, spec.ptr)
        else:
            text_spec = json.dumps(_as_spec(dict(spec or {}, **fields)))
            status = lib.xrun_job_submit_v2(out, self.ptr, cstr(text_spec))
        job = Job(out[0], self) if out[0] != ffi.NULL else None
        try:
            check(status)
        except Error as e:
            e.job = job
            raise
        return job

    def submit_command(self, command: str, machine: Optional[str] = None, name: Optional[str] = None) -> Job:
        """Submit a shell command line with no other settings."""
        out = ffi.new("xrun_job **")
        check(lib.xrun_job_submit_command(out, self.ptr, cstr(machine), cstr(name), cstr(command)))
        return Job(out[0], self)

    def job(self, job_id: str) -> Job:
        """Open a job by its xrun id (xrun.NotFoundError if unknown)."""
        out = ffi.new("xrun_job **")
        check(lib.xrun_job_open(out, self.ptr, cstr(job_id)))
        return Job(out[0], self)

    def submit_batch(self, specs: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
        """Submit several jobs at once (a list of spec dicts or xrun.Spec
        objects): all are checked and recorded first, then one command per
        machine sends them.
        Returns a list of dicts in input order: id, state, scheduler_id, and
        error for a job that was not sent."""
        out = ffi.new("char **")
        specs = list(specs)
        if specs and all(isinstance(s, Spec) for s in specs):
            handles = ffi.new("xrun_spec *[]", [s.ptr for s in specs])
            check(lib.xrun_jobs_submit_specs(out, self.ptr, handles, len(specs)))
        else:
            items = [json.loads(s.to_json()) if isinstance(s, Spec) else _as_spec(dict(s)) for s in specs]
            check(lib.xrun_jobs_submit(out, self.ptr, cstr(json.dumps(items))))
        return json.loads(take_string(out))

    def jobs(self, machine: Optional[str] = None, state: Optional[int] = None, limit: int = 0) -> List[Dict[str, Any]]:
        """Job records (dicts), newest first, from the store only."""
        out = ffi.new("char **")
        check(lib.xrun_jobs_list(out, self.ptr, cstr(machine), -1 if state is None else int(state), limit))
        return json.loads(take_string(out))

    def poll(self) -> float:
        """One poll round over all machines; returns seconds until another
        round would do anything."""
        out = ffi.new("int64_t *")
        check(lib.xrun_poll(self.ptr, out))
        return out[0] / 1000.0

    def interrupt(self) -> None:
        """Interrupt the calls of this context blocked right now (Job.wait,
        poll, wait_events, on any thread): each raises xrun.InterruptedError.
        Safe from any thread; calls started afterwards are not affected."""
        check(lib.xrun_ctx_interrupt(self.ptr))

    def wait_events(self, after_seq: int = 0, timeout: Optional[float] = None) -> int:
        """Block until an event with seq > after_seq exists; returns the
        newest seq. `timeout` in seconds (None: until an event or an
        interrupt); raises xrun.TimeoutError when it runs out."""
        out = ffi.new("int64_t *")
        check(lib.xrun_events_wait(out, self.ptr, after_seq, _milliseconds(timeout)))
        return out[0]

    def prune(self, older_than=0):
        """Delete terminal jobs that ended more than `older_than` seconds ago
        (and their events) from the store; returns {"jobs": n, "events": n}."""
        out = ffi.new("char **")
        check(lib.xrun_prune(out, self.ptr, _milliseconds(older_than)))
        return json.loads(take_string(out))

    def recover(self) -> Dict[str, Any]:
        out = ffi.new("char **")
        check(lib.xrun_recover(out, self.ptr))
        return json.loads(take_string(out))

    def events(self, after_seq: int = 0, max: int = 0) -> List[Event]:
        """Journal events with seq > after_seq, oldest first (store only)."""
        out = ffi.new("xrun_events **")
        check(lib.xrun_events_since(out, self.ptr, after_seq, max))
        events = ffi.gc(out[0], lib.xrun_events_free)
        try:
            return [
                Event(
                    seq=lib.xrun_events_seq(events, i),
                    time_ms=lib.xrun_events_time_ms(events, i),
                    job_id=text(lib.xrun_events_job_id(events, i)),
                    state=_state(lib.xrun_events_state(events, i)),
                    message=text(lib.xrun_events_message(events, i)),
                    kind=text(lib.xrun_events_kind(events, i)),
                )
                for i in range(lib.xrun_events_count(events))
            ]
        finally:
            ffi.release(events)

    def events_json(self, after_seq: int = 0, max: int = 0) -> List[Dict[str, Any]]:
        """The same events through xrun_events_json, as dicts."""
        out = ffi.new("xrun_events **")
        check(lib.xrun_events_since(out, self.ptr, after_seq, max))
        events = ffi.gc(out[0], lib.xrun_events_free)
        try:
            text_out = ffi.new("char **")
            check(lib.xrun_events_json(text_out, events))
            return json.loads(take_string(text_out))
        finally:
            ffi.release(events)


__all__ = ["Context", "Machine", "State"]
