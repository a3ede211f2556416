"""Turns include/xrun.h into a cffi cdef and a table of its #define constants.

The binding never carries a hand-copied declaration: whatever the header
says is what cffi sees, so the two cannot drift. The header is plain C99 by
contract (no variadics, no bit-fields, no macros in declarations other than
XRUN_API), which is what makes this small preprocessing step sufficient.
"""
import os
import re

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_DEFINE = re.compile(r"#\s*define\s+(\w+)\s+(.+)")
_API_FUNCTION = re.compile(r"XRUN_API\s+[^;]*?\b(xrun_\w+)\s*\(")


def find_header():
    """Where xrun.h is: $XRUN_HEADER, the copy installed in the package, or
    the source tree this package lives in (running from a checkout)."""
    override = os.environ.get("XRUN_HEADER")
    if override:
        return override
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [
        os.path.join(here, "xrun.h"),
        os.path.join(here, "..", "..", "..", "..", "include", "xrun.h"),
    ]
    for path in candidates:
        if os.path.isfile(path):
            return os.path.normpath(path)
    raise ImportError("xrun: cannot find xrun.h (looked at %s); set XRUN_HEADER" % ", ".join(candidates))


def _logical_lines(text):
    text = _COMMENT.sub(" ", text)
    return text.replace("\\\n", " ").split("\n")


def _cpp_directive(line):
    stripped = line.strip()
    if not stripped.startswith("#"):
        return None
    return stripped[1:].strip()


def cdef_and_constants(text):
    """Returns (cdef source, {NAME: int or str}) for the header text.

    Only the include guard's block is kept; every other conditional block
    (C++ linkage, the XRUN_API export macro) is compiler plumbing that cffi
    must not see.
    """
    declarations = []
    raw_defines = []
    skip_depth = 0  # > 0 while inside a conditional block we drop
    guard_seen = False
    for line in _logical_lines(text):
        directive = _cpp_directive(line)
        if directive is not None:
            word = directive.split(None, 1)[0] if directive else ""
            if word in ("if", "ifdef", "ifndef"):
                if skip_depth:
                    skip_depth += 1
                elif not guard_seen and word == "ifndef":
                    guard_seen = True  # the include guard: keep its content
                else:
                    skip_depth = 1
            elif word == "endif":
                if skip_depth:
                    skip_depth -= 1
            elif word == "define" and not skip_depth:
                m = _DEFINE.match("#" + directive)
                if m:
                    raw_defines.append((m.group(1), m.group(2).strip()))
            continue
        if skip_depth:
            continue
        declarations.append(line)
    cdef = "\n".join(declarations)
    cdef = re.sub(r"\bXRUN_API\b", "", cdef)
    cdef = re.sub(r"\n\s*\n+", "\n", cdef).strip() + "\n"
    return cdef, _evaluate_defines(raw_defines)


def _evaluate_defines(raw_defines):
    """Integer and string #defines become Python values; anything else (an
    initialiser such as XRUN_OPTIONS_INIT) is left to the C side."""
    values = {}
    for name, body in raw_defines:
        string = re.fullmatch(r'"((?:[^"\\]|\\.)*)"', body)
        if string:
            values[name] = string.group(1)
            continue
        if not re.fullmatch(r"[\w\s()+\-*/]+", body):
            continue
        expr = re.sub(r"\b(\d+)[uUlL]*\b", r"\1", body).replace("/", "//")
        try:
            value = eval(expr, {"__builtins__": {}}, dict(values))  # names are earlier defines only
        except Exception:
            continue
        if isinstance(value, int):
            values[name] = value
    return values


def api_functions(text):
    """The names of every XRUN_API function the header declares."""
    return sorted(set(_API_FUNCTION.findall(_COMMENT.sub(" ", text))))
