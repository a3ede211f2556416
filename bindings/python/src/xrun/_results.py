"""Parsed outputs (Quantum ESPRESSO, VASP, CRYSTAL)."""
import json
import os

from ._ffi import ffi, lib, text, cstr
from ._handle import Handle
from .errors import NotFoundError, check, take_string


class Result(Handle):
    """A parsed output. A failed or truncated run still parses: look at
    `diagnosis`. Numbers are read by their JSON key (result["total_energy_ev"])."""

    _kind = "result"

    def __init__(self, ptr):
        super().__init__(ptr, lib.xrun_result_free)

    @property
    def code(self):
        return text(lib.xrun_result_code(self.ptr))

    @property
    def diagnosis(self):
        return text(lib.xrun_result_diagnosis(self.ptr))

    @property
    def diagnosis_line(self):
        return int(lib.xrun_result_diagnosis_line(self.ptr))

    @property
    def diagnosis_text(self):
        return text(lib.xrun_result_diagnosis_text(self.ptr))

    def __getitem__(self, key):
        out = ffi.new("double *")
        try:
            check(lib.xrun_result_double(self.ptr, cstr(key), out))
        except NotFoundError as e:
            raise KeyError(key) from e
        return out[0]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def to_dict(self):
        out = ffi.new("char **")
        check(lib.xrun_result_json(out, self.ptr))
        return json.loads(take_string(out))


def parse_file(path, parser=None):
    """Parse an output file; `parser` is "qe", "vasp", "crystal" or None
    (detect). Returns a Result (use it in a `with` block or close() it)."""
    out = ffi.new("xrun_result **")
    check(lib.xrun_parse_file(out, cstr(os.fspath(path)), cstr(parser)))
    return Result(out[0])


def parse_buffer(data, parser=None):
    """Parse output text held in memory (bytes or str)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    out = ffi.new("xrun_result **")
    check(lib.xrun_parse_buffer(out, data, len(data), cstr(parser)))
    return Result(out[0])
