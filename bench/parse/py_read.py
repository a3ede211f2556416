"""Times a Python reader on one file, in MB/s (the reference figures beside
xrun's in run.sh).
usage: /usr/bin/python3 py_read.py ase|pymatgen FILE FORMAT
  FORMAT: espresso-out, vasp-out (OUTCAR) or vasp-xml (vasprun.xml)"""
import os
import resource
import sys
import time
import warnings

warnings.filterwarnings("ignore")
tool, path, fmt = sys.argv[1:4]
if tool == "ase":
    import ase.io
else:
    from pymatgen.io.vasp.outputs import Outcar, Vasprun
t0 = time.perf_counter()
c0 = time.process_time()
if tool == "ase":
    images = ase.io.read(path, index=":", format=fmt)
    what = f"{len(images)} images; energy {images[-1].get_potential_energy():.6f} eV"
elif fmt == "vasp-out":
    out = Outcar(path)
    what = f"final energy {out.final_energy:.6f} eV"
else:
    run = Vasprun(path, parse_potcar_file=False)
    what = f"{len(run.ionic_steps)} ionic steps; energy {run.final_energy:.6f} eV"
dt, cpu = time.perf_counter() - t0, time.process_time() - c0
mb = os.path.getsize(path) / 1e6
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{mb / dt:.1f} MB/s wall, {mb / cpu:.1f} MB/s CPU  ({mb:.1f} MB in {dt:.2f} s; peak RSS {peak:.0f} MB; {what})")
