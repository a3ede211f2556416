"""`pip install ./bindings/python` works offline (no index, no build
isolation: Debian's setuptools and cffi are used) and the installed package
runs a job against the real library."""
import os
import shutil
import subprocess
import sys
import textwrap

from conftest import REPO


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, **kw)
    assert proc.returncode == 0, "%s failed:\n%s\n%s" % (cmd, proc.stdout, proc.stderr)
    return proc.stdout


def test_pip_install_into_venv(tmp_path, home):
    # Install from a copy: pip builds in-tree and would leave build/ and
    # *.egg-info in the checkout.
    source = tmp_path / "src"
    shutil.copytree(os.path.join(REPO, "bindings", "python"), source / "bindings" / "python",
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    (source / "include").mkdir()
    shutil.copy(os.path.join(REPO, "include", "xrun.h"), source / "include" / "xrun.h")
    venv = tmp_path / "venv"
    # System site packages give the venv Debian's cffi and setuptools.
    run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)])
    python = str(venv / "bin" / "python")
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    run([python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index",
         str(source / "bindings" / "python")], env=env, cwd=str(tmp_path))
    script = textwrap.dedent("""
        import os, xrun
        assert xrun.__file__.startswith(os.environ["VENV"]), xrun.__file__
        assert os.path.dirname(xrun.HEADER_PATH) == os.path.dirname(xrun.__file__)
        with xrun.Context() as ctx, ctx.submit_command("echo installed") as job:
            assert job.wait(30) == xrun.State.COMPLETED
            print(job.read_file("stdout").decode().strip())
    """)
    # Run outside the source tree so the checkout cannot shadow the install.
    out = run([python, "-c", script], env=dict(env, VENV=str(venv)), cwd=str(tmp_path))
    assert out.strip() == "installed"
