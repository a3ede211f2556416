"""pytest setup for the Python binding: imports the package from the source
tree unless it is installed, and finds the library built by CMake.

Environment: XRUN_LIBRARY (path to libxrun.so) or XRUN_BINARY_DIR (the CMake
build dir); XRUN_CORPUS_DIR (default: shared/corpus beside the checkout).
"""
import os
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

if not os.environ.get("XRUN_LIBRARY"):
    build = os.environ.get("XRUN_BINARY_DIR", os.path.join(REPO, "build"))
    library = os.path.join(build, "libxrun.so")
    if not os.path.exists(library):
        raise pytest.UsageError("libxrun.so not found at %s: build it, or set XRUN_LIBRARY/XRUN_BINARY_DIR" % library)
    os.environ["XRUN_LIBRARY"] = library

# Under ASan the interpreter runs with the runtime preloaded; the commands
# the library starts (jobs, poll scripts) must not inherit it.
if "libasan" in os.environ.get("LD_PRELOAD", ""):
    del os.environ["LD_PRELOAD"]

if os.environ.get("XRUN_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.join(REPO, "bindings", "python", "src"))

def _corpus_dir():
    if os.environ.get("XRUN_CORPUS_DIR"):
        return os.environ["XRUN_CORPUS_DIR"]
    # A checkout sits next to shared/, a worktree one level deeper.
    for up in (("..",), ("..", "..")):
        candidate = os.path.join(REPO, *up, "shared", "corpus")
        if os.path.isdir(candidate):
            return os.path.normpath(candidate)
    return os.path.join(REPO, "..", "shared", "corpus")


CORPUS = _corpus_dir()
SI_SCF = os.path.join(CORPUS, "qe", "generated", "si_scf.out")


def _fresh_pg_store(monkeypatch):
    """Run through tests/store/with_pg_store.sh, each test gets an empty
    PostgreSQL store of its own (a fresh schema), as it gets an empty home."""
    import subprocess
    import uuid

    base = os.environ["XRUN_TEST_PG_BASE_URL"]
    schema = "py_" + uuid.uuid4().hex[:16]
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", base, "-c", "CREATE SCHEMA " + schema],
                   check=True, stdout=subprocess.DEVNULL)
    monkeypatch.setenv("XRUN_STORE", base + "?options=-csearch_path%3D" + schema)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty XRUN_HOME for one test (only the built-in `local` machine),
    and an empty store: the home's file, or a PostgreSQL store of its own
    when XRUN_STORE names one."""
    path = tmp_path / "xrun-home"
    path.mkdir()
    monkeypatch.setenv("XRUN_HOME", str(path))
    monkeypatch.delenv("XRUN_DEFAULT_MACHINE", raising=False)
    if os.environ.get("XRUN_STORE", "").startswith("postgresql://") and os.environ.get("XRUN_TEST_PG_BASE_URL"):
        _fresh_pg_store(monkeypatch)
    return path


@pytest.fixture
def ctx(home):
    import xrun

    with xrun.Context() as context:
        yield context


@pytest.fixture
def si_scf():
    if not os.path.isfile(SI_SCF):
        pytest.fail("corpus file %s is missing (set XRUN_CORPUS_DIR)" % SI_SCF)
    return SI_SCF


@pytest.fixture
def si_scf_energy_ev():
    import json

    with open(os.path.join(CORPUS, "expected.json"), encoding="utf-8") as f:
        return json.load(f)["files"]["qe/generated/si_scf.out"]["total_energy_eV"]
