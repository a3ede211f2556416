"""Times ASE's reader on one file (all images), in MB/s.
usage: /usr/bin/python3 ase_read.py FILE FORMAT"""
import os
import sys
import time

import ase.io

path, fmt = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
images = ase.io.read(path, index=":", format=fmt)
dt = time.perf_counter() - t0
mb = os.path.getsize(path) / 1e6
energy = images[-1].get_potential_energy()
print(f"{mb / dt:.2f} MB/s  ({mb:.1f} MB in {dt:.2f} s; {len(images)} images; energy {energy:.6f} eV)")
