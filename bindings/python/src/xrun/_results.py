"""Parsed outputs (Quantum ESPRESSO, VASP, CRYSTAL)."""
import json
import os

from ._ffi import ffi, lib, text, cstr
from ._handle import Handle
from .errors import NotFoundError, check, take_string

try:  # numpy arrays when numpy is there; plain lists otherwise
    import numpy as _np
except ImportError:  # pragma: no cover - depends on the interpreter
    _np = None

_VECTOR_KEYS = ("ionic_energies_ev",)


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

    def array(self, key):
        """An array by its JSON key: a numpy array when numpy is importable,
        else (nested) lists. "final_positions_angstrom" and
        "final_forces_ev_per_angstrom" are N x 3, "final_cell_angstrom" and
        "final_stress_kbar" 3 x 3, "ionic_energies_ev" one per ionic step.
        Raises KeyError when the file did not print it."""
        n = ffi.new("size_t *")
        try:
            check(lib.xrun_result_array(self.ptr, cstr(key), ffi.NULL, 0, n))
            buf = ffi.new("double[]", max(n[0], 1))
            check(lib.xrun_result_array(self.ptr, cstr(key), buf, n[0], n))
        except NotFoundError as e:
            raise KeyError(key) from e
        values = list(ffi.unpack(buf, n[0]))
        cols = 1 if key in _VECTOR_KEYS else 3
        if _np is not None:
            arr = _np.array(values, dtype=float)
            return arr if cols == 1 else arr.reshape(-1, cols)
        if cols == 1:
            return values
        return [values[i:i + cols] for i in range(0, len(values), cols)]

    @property
    def species(self):
        """One element (pw.x: label) per atom, in the order of
        "final_positions_angstrom"; [] when the file prints none."""
        out = []
        while True:
            s = lib.xrun_result_string_at(self.ptr, b"species", len(out))
            if s == ffi.NULL:
                return out
            out.append(text(s))

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
