"""The context (configuration + job store) and machines."""
import json
import os

from ._ffi import DEFINES, ffi, lib, text, cstr
from ._handle import Handle
from ._jobs import Event, Job, State, _milliseconds, _state
from .errors import check, take_string


class Machine(Handle):
    """A configured machine. Opening one never connects."""

    _kind = "machine"

    def __init__(self, ptr, context):
        super().__init__(ptr, lib.xrun_machine_free)
        self._context = context
        self.name = text(lib.xrun_machine_name(ptr))

    def __repr__(self):
        return "<xrun.Machine %s>" % self.name

    @property
    def config(self):
        """The full, resolved configuration as a dict."""
        out = ffi.new("char **")
        check(lib.xrun_machine_json(out, self.ptr))
        return json.loads(take_string(out))

    def check(self):
        """Check the machine step by step; returns the report dict (its "ok"
        says whether every step passed). Raises only if no report came."""
        out = ffi.new("char **")
        status = lib.xrun_machine_check(out, self.ptr)
        report = take_string(out)
        if report is None:
            check(status)
        return json.loads(report)

    def stats(self):
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

    def __init__(self, home=None, store_path=None, log=None, log_level=lib.XRUN_LOG_WARN, prompt=None):
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
        check(lib.xrun_ctx_open(out, opts))
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
    def home(self):
        return text(lib.xrun_ctx_home(self.ptr))

    @property
    def store_path(self):
        return text(lib.xrun_ctx_store_path(self.ptr))

    # -- machines ----------------------------------------------------------

    def machines(self):
        """{"default": NAME, "machines": [{"name":..., ...}, ...]}"""
        out = ffi.new("char **")
        check(lib.xrun_machines_list(out, self.ptr))
        return json.loads(take_string(out))

    @property
    def default_machine(self):
        out = ffi.new("char **")
        check(lib.xrun_machines_default(out, self.ptr))
        return take_string(out)

    def machine(self, name=None):
        """Open a machine by name (None: the default)."""
        out = ffi.new("xrun_machine **")
        check(lib.xrun_machine_open(out, self.ptr, cstr(name)))
        return Machine(out[0], self)

    # -- jobs --------------------------------------------------------------

    def submit(self, spec=None, **fields):
        """Submit a job from a spec dict (see xrun.h), or keyword fields:
        ctx.submit(command="echo hi", name="greet", parser="qe")."""
        spec = dict(spec or {}, **fields)
        out = ffi.new("xrun_job **")
        check(lib.xrun_job_submit(out, self.ptr, cstr(json.dumps(spec))))
        return Job(out[0], self)

    def submit_command(self, command, machine=None, name=None):
        """Submit a shell command line with no other settings."""
        out = ffi.new("xrun_job **")
        check(lib.xrun_job_submit_command(out, self.ptr, cstr(machine), cstr(name), cstr(command)))
        return Job(out[0], self)

    def job(self, job_id):
        """Open a job by its xrun id (xrun.NotFoundError if unknown)."""
        out = ffi.new("xrun_job **")
        check(lib.xrun_job_open(out, self.ptr, cstr(job_id)))
        return Job(out[0], self)

    def submit_batch(self, specs):
        """Submit several jobs at once (a list of spec dicts): all are
        checked and recorded first, then one command per machine sends them.
        Returns a list of dicts in input order: id, state, scheduler_id, and
        error for a job that was not sent."""
        out = ffi.new("char **")
        check(lib.xrun_jobs_submit(out, self.ptr, cstr(json.dumps(list(specs)))))
        return json.loads(take_string(out))

    def jobs(self, machine=None, state=None, limit=0):
        """Job records (dicts), newest first, from the store only."""
        out = ffi.new("char **")
        check(lib.xrun_jobs_list(out, self.ptr, cstr(machine), -1 if state is None else int(state), limit))
        return json.loads(take_string(out))

    def poll(self):
        """One poll round over all machines; returns seconds until another
        round would do anything."""
        out = ffi.new("int64_t *")
        check(lib.xrun_poll(self.ptr, out))
        return out[0] / 1000.0

    def interrupt(self):
        """Interrupt the calls of this context blocked right now (Job.wait,
        poll, wait_events, on any thread): each raises xrun.InterruptedError.
        Safe from any thread; calls started afterwards are not affected."""
        check(lib.xrun_ctx_interrupt(self.ptr))

    def wait_events(self, after_seq=0, timeout=None):
        """Block until an event with seq > after_seq exists; returns the
        newest seq. `timeout` in seconds (None: until an event or an
        interrupt); raises xrun.TimeoutError when it runs out."""
        out = ffi.new("int64_t *")
        check(lib.xrun_events_wait(out, self.ptr, after_seq, _milliseconds(timeout)))
        return out[0]

    def recover(self):
        out = ffi.new("char **")
        check(lib.xrun_recover(out, self.ptr))
        return json.loads(take_string(out))

    def events(self, after_seq=0, max=0):
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
                )
                for i in range(lib.xrun_events_count(events))
            ]
        finally:
            ffi.release(events)

    def events_json(self, after_seq=0, max=0):
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
