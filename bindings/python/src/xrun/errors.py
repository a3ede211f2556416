"""Status codes as exceptions: one class per XRUN_E_* code under xrun.Error.

The class names follow the codes (XRUN_E_NOT_FOUND -> NotFoundError); the
library's own message is the exception's text. TimeoutError also derives
from the built-in TimeoutError so generic handlers catch it.
"""
import builtins

from ._ffi import ffi, lib, text


class Error(Exception):
    """A failed xrun call. `status` is the code, `name` its XRUN_E_* name,
    `message` the library's explanation (xrun_last_error)."""

    status = None

    def __init__(self, message, status=None):
        if status is not None:
            self.status = status
        self.name = text(lib.xrun_status_name(self.status if self.status is not None else -1))
        self.message = message
        super().__init__("%s: %s" % (self.name, message))


class InvalidError(Error):
    status = lib.XRUN_E_INVALID


class ConfigError(Error):
    status = lib.XRUN_E_CONFIG


class NotFoundError(Error):
    status = lib.XRUN_E_NOT_FOUND


class StateError(Error):
    status = lib.XRUN_E_STATE


class StoreError(Error):
    status = lib.XRUN_E_STORE


class IoError(Error):
    status = lib.XRUN_E_IO


class TransportError(Error):
    status = lib.XRUN_E_TRANSPORT


class AuthError(Error):
    status = lib.XRUN_E_AUTH


class HostKeyError(Error):
    status = lib.XRUN_E_HOSTKEY


class SchedulerError(Error):
    status = lib.XRUN_E_SCHEDULER


class TimeoutError(Error, builtins.TimeoutError):
    status = lib.XRUN_E_TIMEOUT


class ParseError(Error):
    status = lib.XRUN_E_PARSE


class NoMemError(Error, MemoryError):
    status = lib.XRUN_E_NOMEM


class UnsupportedError(Error):
    status = lib.XRUN_E_UNSUPPORTED


class InternalError(Error):
    status = lib.XRUN_E_INTERNAL


class InterruptedError(Error):
    """A blocking call ended by Context.interrupt() (XRUN_E_INTERRUPTED).
    Not the built-in InterruptedError (an OSError for EINTR)."""
    status = lib.XRUN_E_INTERRUPTED


BY_STATUS = {cls.status: cls for cls in Error.__subclasses__()}


def error_for(status, message):
    """The exception for a status code; unknown codes give a plain Error."""
    cls = BY_STATUS.get(status)
    if cls is None:
        return Error(message, status)
    return cls(message)


def check(status):
    """Raise the thread's last error if `status` is not XRUN_OK."""
    if status != lib.XRUN_OK:
        raise error_for(status, text(lib.xrun_last_error()))


def take_string(out):
    """Read and release an OWNED string from a `char **` output."""
    ptr = out[0]
    if ptr == ffi.NULL:
        return None
    try:
        return ffi.string(ptr).decode("utf-8", errors="replace")
    finally:
        lib.xrun_free(ptr)
