"""Job specs built field by field (xrun_spec_* in the C API).

    spec = xrun.Spec(name="relax", argv=["pw.x", "-in", "relax.in"],
                     resources={"nodes": 2, "walltime": "01:00:00"})
    spec.set_env("OMP_NUM_THREADS", "1").add_upload("relax.in")
    job = ctx.submit(spec)

Every setter is checked at once by the library's job spec parser: a bad
value raises xrun.InvalidError naming the field ("job spec:
$.resources.walltime: ...") and leaves the spec as it was. Strings reach the
job unchanged, whatever quotes, backslashes or newlines they hold.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Union

from ._ffi import ffi, lib
from ._handle import Handle
from .errors import check, take_string

# Keyword fields of Spec(...) that are lists, and the setter for one item.
_LISTS = {"argv": "add_arg", "upload": "add_upload", "retrieve": "add_retrieve",
          "depends_on": "add_dependency"}
_STRINGS = {"name": "set_name", "machine": "set_machine", "workdir": "set_workdir",
            "retrieve_to": "set_retrieve_to", "parser": "set_parser", "parse_file": "set_parse_file",
            "cleanup": "set_cleanup", "array": "set_array"}
_FLAGS = ("hold", "defer", "cache")


def _c(value: str, what: str) -> bytes:
    """A str as a C string; a NUL inside would silently cut it, so refuse it."""
    if not isinstance(value, str):
        raise TypeError("%s must be a str, not %s" % (what, type(value).__name__))
    if "\0" in value:
        raise ValueError("%s must not contain NUL" % what)
    return value.encode("utf-8")


class Spec(Handle):
    """A job spec (docs/JOBSPEC.md) built without writing JSON.

    Keyword fields are those of a JSON spec: name, machine, command (a str,
    or a list/tuple taken as argv), argv, workdir, env (a mapping),
    resources (a mapping: str values, int for the counts), upload,
    retrieve, retrieve_to, parser, parse_file, depends_on, hold, defer,
    cache, cleanup, array. Setters return the spec, so calls chain. Submit it with
    ctx.submit(spec); it can be submitted again (another job).
    """

    _kind = "spec"

    def __init__(self, **fields: Any) -> None:
        out = ffi.new("xrun_spec **")
        check(lib.xrun_spec_new(out))
        super().__init__(out[0], lib.xrun_spec_free)
        try:
            self._apply(fields)
        except BaseException:
            self.close()
            raise

    def _apply(self, fields: Mapping[str, Any]) -> None:
        for key, value in fields.items():
            if key == "command" and isinstance(value, (list, tuple)):
                if "argv" in fields:
                    raise ValueError("give either command or argv, not both")
                key = "argv"
            if key == "command":
                self.set_command(value)
            elif key in _STRINGS:
                getattr(self, _STRINGS[key])(value)
            elif key in _LISTS:
                if isinstance(value, (str, bytes)):
                    raise TypeError("%s must be a list of str, not a single string" % key)
                for item in value:
                    getattr(self, _LISTS[key])(item)
            elif key == "env":
                for name, env_value in dict(value).items():
                    self.set_env(name, env_value)
            elif key == "resources":
                for name, resource in dict(value).items():
                    self.set_resource(name, resource)
            elif key in _FLAGS:
                self.set_flag(key, value)
            else:
                raise TypeError("Spec() got an unknown field %r" % key)

    def __repr__(self):
        if self.closed:
            return "<xrun.Spec closed>"
        try:
            return "<xrun.Spec %s>" % self.to_json()
        except Exception:
            return "<xrun.Spec (no command yet)>"

    # -- one setter per field -------------------------------------------------

    def set_name(self, name: str) -> "Spec":
        check(lib.xrun_spec_set_name(self.ptr, _c(name, "name")))
        return self

    def set_machine(self, machine: str) -> "Spec":
        check(lib.xrun_spec_set_machine(self.ptr, _c(machine, "machine")))
        return self

    def set_command(self, command: str) -> "Spec":
        """A shell command line (either a command or arguments)."""
        check(lib.xrun_spec_set_command(self.ptr, _c(command, "command")))
        return self

    def add_arg(self, arg: str) -> "Spec":
        """Append one argument to argv; it reaches the program unchanged."""
        check(lib.xrun_spec_add_arg(self.ptr, _c(arg, "arg")))
        return self

    def add_args(self, args: Iterable[str]) -> "Spec":
        for arg in args:
            self.add_arg(arg)
        return self

    def set_workdir(self, workdir: str) -> "Spec":
        check(lib.xrun_spec_set_workdir(self.ptr, _c(workdir, "workdir")))
        return self

    def set_env(self, name: str, value: str) -> "Spec":
        check(lib.xrun_spec_set_env(self.ptr, _c(name, "env name"), _c(value, "env value")))
        return self

    def set_resource(self, key: str, value: Union[str, int]) -> "Spec":
        """A resource: "64G" (memory), "01:00:00" (walltime), a word
        (partition, account, qos), or an int for the counts."""
        if isinstance(value, bool):
            raise TypeError("resource %s: a bool is not a count" % key)
        if isinstance(value, int):
            check(lib.xrun_spec_set_resource_int(self.ptr, _c(key, "resource key"), value))
        else:
            check(lib.xrun_spec_set_resource(self.ptr, _c(key, "resource key"), _c(value, "resource value")))
        return self

    def add_upload(self, path: str) -> "Spec":
        check(lib.xrun_spec_add_upload(self.ptr, _c(str(path), "upload")))
        return self

    def add_retrieve(self, name: str) -> "Spec":
        check(lib.xrun_spec_add_retrieve(self.ptr, _c(name, "retrieve")))
        return self

    def set_retrieve_to(self, directory: str) -> "Spec":
        check(lib.xrun_spec_set_retrieve_to(self.ptr, _c(str(directory), "retrieve_to")))
        return self

    def set_parser(self, parser: str) -> "Spec":
        check(lib.xrun_spec_set_parser(self.ptr, _c(parser, "parser")))
        return self

    def set_parse_file(self, name: str) -> "Spec":
        check(lib.xrun_spec_set_parse_file(self.ptr, _c(name, "parse_file")))
        return self

    def add_dependency(self, job: Any) -> "Spec":
        """A job (or its id) this one starts after."""
        job_id = getattr(job, "id", job)
        check(lib.xrun_spec_add_dependency(self.ptr, _c(job_id, "dependency")))
        return self

    def set_flag(self, flag: str, value: bool = True) -> "Spec":
        """"hold", "defer" or "cache"."""
        check(lib.xrun_spec_set_flag(self.ptr, _c(flag, "flag"), 1 if value else 0))
        return self

    def set_cleanup(self, policy: str) -> "Spec":
        check(lib.xrun_spec_set_cleanup(self.ptr, _c(policy, "cleanup")))
        return self

    def set_array(self, array_range: str) -> "Spec":
        check(lib.xrun_spec_set_array(self.ptr, _c(array_range, "array")))
        return self

    def to_json(self) -> str:
        """The spec as the JSON text xrun_job_submit takes."""
        out = ffi.new("char **")
        check(lib.xrun_spec_to_json(out, self.ptr))
        return take_string(out)


__all__ = ["Spec"]
