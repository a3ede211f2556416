"""The cdef is generated from include/xrun.h; these tests prove the module
exposes exactly what the header declares."""
import os
import re

import xrun
from xrun import _header

from conftest import REPO

HEADER = os.path.join(REPO, "include", "xrun.h")


def header_text():
    with open(HEADER, encoding="utf-8") as f:
        return f.read()


def test_every_api_function_is_callable():
    names = _header.api_functions(header_text())
    assert len(names) >= 50, names  # the scan itself must find the API
    missing = [n for n in names if not callable(getattr(xrun.lib, n, None))]
    assert missing == []


def test_module_uses_the_repository_header():
    # Running from the tree, the package must read the very header under test.
    if os.environ.get("XRUN_TEST_INSTALLED") == "1":
        with open(xrun.HEADER_PATH, encoding="utf-8") as f:
            assert f.read() == header_text()
    else:
        assert os.path.samefile(xrun.HEADER_PATH, HEADER)


def test_defines_and_enums_match_the_header():
    text = header_text()
    assert xrun.XRUN_VERSION_NUMBER == xrun.lib.xrun_version_number()
    assert xrun.XRUN_VERSION_STRING == xrun.version()
    assert xrun.XRUN_OPTIONS_VERSION == int(re.search(r"#define XRUN_OPTIONS_VERSION (\d+)", text).group(1))
    for name, value in re.findall(r"\b(XRUN_(?:E|STATE|LOG)_\w+|XRUN_OK) = (\d+)", text):
        assert getattr(xrun.lib, name) == int(value), name


def test_every_status_code_has_its_exception():
    text = header_text()
    codes = [int(v) for v in re.findall(r"\bXRUN_E_\w+ = (\d+)", text)]
    for code in codes:
        exc = xrun.errors.error_for(code, "m")
        assert type(exc) is not xrun.Error
        assert exc.status == code
        assert exc.name == xrun.status_name(code)
    assert type(xrun.errors.error_for(999, "m")) is xrun.Error


def test_state_enum_matches_library_names():
    for state in xrun.State:
        assert state.label == state.name.lower()
    assert xrun.State.COMPLETED.is_terminal and not xrun.State.RUNNING.is_terminal


def test_cdef_strips_plumbing():
    cdef, defines = _header.cdef_and_constants(header_text())
    assert "XRUN_API" not in cdef and "extern" not in cdef and "#" not in cdef
    assert "XRUN_OPTIONS_INIT" not in defines  # an initialiser, not a number


def test_fortran_module_binds_every_function_and_constant():
    # The Fortran module is hand-written (Fortran cannot include a C
    # header); this keeps it in step with xrun.h.
    text = header_text()
    with open(os.path.join(REPO, "bindings", "fortran", "xrun.f90"), encoding="utf-8") as f:
        fortran = f.read()
    bound = set(re.findall(r'bind\(c, name="(xrun_\w+)"\)', fortran))
    assert sorted(set(_header.api_functions(text)) - bound) == []
    declared = dict(re.findall(r"\b(XRUN_\w+) = (-?\d+)", fortran))
    for name, value in re.findall(r"\b(XRUN_(?:E|STATE|LOG)_\w+|XRUN_OK) = (\d+)", text):
        assert declared.get(name) == value, name
    assert int(declared["XRUN_VERSION_NUMBER"]) == xrun.XRUN_VERSION_NUMBER
