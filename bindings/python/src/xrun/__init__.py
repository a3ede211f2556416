"""xrun: submit, poll, cancel and collect jobs; parse electronic-structure
outputs. A thin cffi (ABI mode) binding of libxrun's C API.

    import xrun
    with xrun.Context() as ctx:                      # $XRUN_HOME or ~/.xrun
        with ctx.submit(command="echo hi", name="greet") as job:
            job.wait(timeout=60)
            print(job.state, job.exit_code, job.read_file("stdout"))

Every failed call raises a subclass of xrun.Error named after its status
code (xrun.NotFoundError for XRUN_E_NOT_FOUND, ...).
"""
from ._ffi import DEFINES as _DEFINES
from ._ffi import HEADER_PATH, LIBRARY_PATH, ffi, lib, text as _text
from ._context import Context, Machine
from ._jobs import Event, Job, State
from ._results import Result, parse_buffer, parse_file
from ._spec import Spec
from .errors import (
    AuthError,
    ConfigError,
    Error,
    HostKeyError,
    InternalError,
    InterruptedError,
    InvalidError,
    IoError,
    NoMemError,
    NotFoundError,
    ParseError,
    SchedulerError,
    StateError,
    StoreError,
    TimeoutError,
    TransportError,
    UnsupportedError,
)

# The header's integer/string #defines (XRUN_VERSION_NUMBER, ...).
globals().update(_DEFINES)

__version__ = _text(lib.xrun_version())


def version():
    """The loaded library's version string."""
    return _text(lib.xrun_version())


def status_name(status):
    return _text(lib.xrun_status_name(status))


__all__ = [
    "Context", "Machine", "Job", "State", "Event", "Result", "Spec", "parse_file", "parse_buffer",
    "Error", "InvalidError", "ConfigError", "NotFoundError", "StateError", "StoreError",
    "IoError", "TransportError", "AuthError", "HostKeyError", "SchedulerError",
    "TimeoutError", "ParseError", "NoMemError", "UnsupportedError", "InternalError",
    "InterruptedError",
    "version", "status_name", "ffi", "lib", "HEADER_PATH", "LIBRARY_PATH",
]
