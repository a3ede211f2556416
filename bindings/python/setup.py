"""Packaging hook: the installed package carries a copy of include/xrun.h
(its cffi declarations are generated from it at import) and, when
XRUN_LIBRARY names a built libxrun.so at install time, a copy of that
library next to the package."""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = os.path.join(HERE, "..", "..", "include", "xrun.h")


class BuildWithHeader(build_py):
    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "xrun")
        if not os.path.isfile(HEADER):
            raise SystemExit("xrun: %s not found; build from the xrun source tree" % HEADER)
        shutil.copy(HEADER, os.path.join(target, "xrun.h"))
        library = os.environ.get("XRUN_LIBRARY")
        if library and os.path.isfile(library):
            shutil.copy(library, os.path.join(target, "libxrun.so"))


setup(cmdclass={"build_py": BuildWithHeader})
