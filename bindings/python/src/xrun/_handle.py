"""Deterministic release of C handles.

Each wrapper owns one pointer registered with ffi.gc (the backstop when an
object is simply dropped) and releases it at once on close() or at the end
of a `with` block, through ffi.release, so the C destructor runs exactly
once whichever comes first.
"""
from ._ffi import ffi


class Handle:
    _kind = "handle"

    def __init__(self, ptr, destructor):
        self._ptr = ffi.gc(ptr, destructor)

    @property
    def ptr(self):
        if self._ptr is None:
            raise ValueError("operation on a closed xrun %s" % self._kind)
        return self._ptr

    @property
    def closed(self):
        return self._ptr is None

    def close(self):
        """Release the C handle now. Calling it again is harmless."""
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            ffi.release(ptr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
