"""The Python binding's polish, checked without pytest so that it runs on
every interpreter found here: Debian's /usr/bin/python3 (python3-cffi 1.15)
and the default python3 (cffi 2.x from its own site-packages). Run by
scripts/test-bindings.sh with each.

  XRUN_LIBRARY=build/libxrun.so python3 tests/bindings/python/check_interpreter.py
"""
import os
import shutil
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
if os.environ.get("XRUN_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.join(REPO, "bindings", "python", "src"))
if "libasan" in os.environ.get("LD_PRELOAD", ""):
    del os.environ["LD_PRELOAD"]

import cffi  # noqa: E402
import xrun  # noqa: E402


def test_version_and_typing():
    assert xrun.__version__ == xrun.version()
    assert xrun.__version__.count(".") == 2, xrun.__version__
    package = os.path.dirname(xrun.__file__)
    assert os.path.isfile(os.path.join(package, "py.typed")), "PEP 561 marker"
    assert xrun.Context.submit.__annotations__.get("return") in ("Job", xrun.Job)


def test_command_list_is_argv():
    home = tempfile.mkdtemp(prefix="xrun-py-interp-")
    try:
        with xrun.Context(home=home) as ctx:
            word = "a b 'c' $(d)"
            job = ctx.submit(command=["printf", "%s|", word, "e"], name="list-command")
            assert job.wait(timeout=60) == xrun.State.COMPLETED, job.reason
            assert job.read_file("stdout") == ("%s|e|" % word).encode()
            assert job.info()["spec"]["argv"] == ["printf", "%s|", word, "e"]
            batch = ctx.submit_batch([{"command": ("echo", "x y")}])
            assert "error" not in batch[0], batch
            try:
                ctx.submit(command=["true"], argv=["true"])
            except ValueError:
                pass
            else:
                raise AssertionError("command list and argv together were accepted")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    test_version_and_typing()
    test_command_list_is_argv()
    print("python %s.%s.%s, cffi %s, xrun %s: command list as argv, py.typed, __version__ ok"
          % (sys.version_info[:3] + (cffi.__version__, xrun.__version__)))
