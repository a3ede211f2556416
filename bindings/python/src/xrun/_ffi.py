"""The cffi handle on libxrun (ABI mode: no compiler at install or import).

The library is looked for, in order: $XRUN_LIBRARY (a file path), a copy
next to this package, then the system's library path (ldconfig,
LD_LIBRARY_PATH).
"""
import ctypes.util
import glob
import os

import cffi

from . import _header

HEADER_PATH = _header.find_header()
with open(HEADER_PATH, encoding="utf-8") as _f:
    HEADER_TEXT = _f.read()

CDEF, DEFINES = _header.cdef_and_constants(HEADER_TEXT)

ffi = cffi.FFI()
ffi.cdef(CDEF)


def _library_candidates():
    override = os.environ.get("XRUN_LIBRARY")
    if override:
        return [override]
    here = os.path.dirname(os.path.abspath(__file__))
    found = sorted(glob.glob(os.path.join(here, "libxrun.so*")), key=len)
    system = ctypes.util.find_library("xrun")
    if system:
        found.append(system)
    major_minor = "%d.%d" % (DEFINES["XRUN_VERSION_MAJOR"], DEFINES["XRUN_VERSION_MINOR"])
    found += ["libxrun.so.%s" % major_minor, "libxrun.so"]
    return found


def _load():
    errors = []
    for candidate in _library_candidates():
        try:
            return ffi.dlopen(candidate), candidate
        except OSError as e:
            errors.append("%s: %s" % (candidate, e))
    raise ImportError("xrun: cannot load libxrun (set XRUN_LIBRARY to its path):\n  " + "\n  ".join(errors))


lib, LIBRARY_PATH = _load()


def text(ptr):
    """A borrowed C string as str ("" for NULL)."""
    if ptr == ffi.NULL:
        return ""
    return ffi.string(ptr).decode("utf-8", errors="replace")


def cstr(value):
    """A Python str as a C string argument (None stays NULL)."""
    if value is None:
        return ffi.NULL
    return str(value).encode("utf-8")
