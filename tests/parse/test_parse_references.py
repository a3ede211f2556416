#!/usr/bin/python3
"""Checks the structures, forces, stress, magnetisation, k-point counts, band
gaps and per-step energies xrun reads against independent references
computed here, at test time: ASE 3.22 (python3-ase) and pymatgen
(python3-pymatgen) from Debian where they read the value, else a separate
line pattern written for this test (said so per check). Every file of the
shared corpus that prints a value is compared.

usage: test_parse_references.py XRUN_TOOL CORPUS_DIR
"""
import io
import json
import math
import os
import re
import subprocess
import sys
import warnings
from contextlib import redirect_stderr

import numpy as np

warnings.filterwarnings("ignore")
import ase.io  # noqa: E402
from ase import units  # noqa: E402

XRUN, CORPUS = sys.argv[1], sys.argv[2]
checks = 0
failures = []
seen = {}  # key -> number of files where it was compared


def xrun(path):
    out = subprocess.run([XRUN, "parse", path, "--json"], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"xrun parse {path}: {out.stderr}")
    return json.loads(out.stdout)


def compare(name, key, ours, ref, tol, how):
    """ours/ref: numbers or nested lists; tol absolute."""
    global checks
    checks += 1
    seen[key] = seen.get(key, 0) + 1
    if ours is None:
        failures.append(f"{name}: {key}: xrun has none, {how} has {np.asarray(ref).tolist()!s:.120}")
        return
    a, b = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    if a.shape != b.shape:
        failures.append(f"{name}: {key}: shape {a.shape} vs {how} {b.shape}")
        return
    err = float(np.max(np.abs(a - b))) if a.size else 0.0
    if not err <= tol:
        failures.append(f"{name}: {key}: max difference {err:.3g} > {tol} against {how}")


def compare_species(name, ours, ref, how):
    global checks
    checks += 1
    seen["species"] = seen.get("species", 0) + 1
    # pw.x labels may carry a suffix (Fe1, Fe_up); the element is the prefix.
    norm = [re.match(r"[A-Za-z][a-z]?", s).group(0).capitalize() if s else s for s in (ours or [])]
    if norm != list(ref):
        failures.append(f"{name}: species {ours} vs {how} {list(ref)}")


def wrapped(ours, ref, cell):
    """ours shifted by whole lattice vectors to be nearest ref."""
    ours, ref, cell = np.asarray(ours), np.asarray(ref), np.asarray(cell)
    frac = (ours - ref) @ np.linalg.inv(cell)
    return ref + (frac - np.round(frac)) @ cell


def gap_from(eigs, occs):
    """pymatgen's rule: occupied above 1e-8; gap = max(cbm - vbm, 0)."""
    eigs, occs = np.ravel(eigs), np.ravel(occs)
    occ = occs > 1e-8
    if occ.all() or not occ.any():
        return None
    return max(float(eigs[~occ].min() - eigs[occ].max()), 0.0)


def stress_kbar_from_ase(atoms):
    # ASE: eV/A^3, positive = tensile; QE and VASP print kbar, positive = compressive.
    return (-atoms.get_stress(voigt=False) / units.GPa * 10.0).tolist()


def read_images(path, fmt):
    try:
        with redirect_stderr(io.StringIO()):
            return ase.io.read(path, index=":", format=fmt)
    except Exception:
        return []


def calc_value(atoms, getter):
    try:
        return getter(atoms)
    except Exception:
        return None


def check_structure(name, r, atoms, how, stress=True, species=True):
    if atoms is None:
        return
    compare(name, "final_cell_angstrom", r["final_cell_angstrom"], atoms.cell[:], 1e-5, how)
    pos = atoms.get_positions()
    ours = r["final_positions_angstrom"]
    if ours is not None and len(ours) == len(pos):
        ours = wrapped(ours, pos, atoms.cell[:])
    compare(name, "final_positions_angstrom", ours, pos, 1e-4, how)
    if species:
        compare_species(name, r["species"], atoms.get_chemical_symbols(), how)
    forces = calc_value(atoms, lambda a: a.get_forces())
    if forces is not None:
        compare(name, "final_forces_ev_per_angstrom", r["final_forces_ev_per_angstrom"], forces, 2e-4, how)
    if stress:
        st = calc_value(atoms, stress_kbar_from_ase)
        if st is not None:
            compare(name, "final_stress_kbar", r["final_stress_kbar"], st, 0.011, how)


def last_number(path, pattern, group=1):
    value = None
    with open(path, encoding="latin-1") as f:
        for line in f:
            m = re.search(pattern, line)
            if m:
                value = m.group(group)
    return value


def check_qe(name, path, r):
    images = read_images(path, "espresso-out")
    if images:
        last = images[-1]
        check_structure(name, r, last, "ASE espresso-out")
        energies = [calc_value(a, lambda x: x.get_potential_energy()) for a in images]
        if None not in energies and not any("!!" in l for l in open(path, encoding="latin-1")):
            compare(name, "ionic_energies_ev", r["ionic_energies_ev"], energies, 1e-5 * max(1, abs(energies[-1])),
                    "ASE espresso-out (one image per '!' line)")
        kpts = calc_value(last, lambda a: a.calc.get_ibz_k_points())
    try:
        from pymatgen.io.pwscf import PWOutput
        with redirect_stderr(io.StringIO()):
            nk = PWOutput(path).data.get("nkpts")
        if nk is not None:
            compare(name, "n_kpoints", r["n_kpoints"], nk, 0, "pymatgen PWOutput")
    except Exception:
        pass
    # Neither tool reads pw.x's magnetisation: a separate pattern.
    tot = last_number(path, r"total magnetization\s+=\s+(-?[\d.]+(\s+-?[\d.]+\s+-?[\d.]+)?)\s+Bohr")
    if tot is not None:
        v = [float(x) for x in tot.split()]
        ref = v[0] if len(v) == 1 else math.sqrt(sum(x * x for x in v))
        compare(name, "total_magnetization", r["total_magnetization"], ref, 1e-9, "pattern 'total magnetization'")
    ab = last_number(path, r"absolute magnetization\s+=\s+(-?[\d.]+)")
    if ab is not None:
        compare(name, "absolute_magnetization", r["absolute_magnetization"], float(ab), 1e-9,
                "pattern 'absolute magnetization'")


def vasp_gap_from_ase(atoms):
    calc = atoms.calc
    nk, ns = len(calc.get_ibz_k_points()), calc.get_number_of_spins()
    eigs = [calc.get_eigenvalues(k, s) for s in range(ns) for k in range(nk)]
    occs = [calc.get_occupation_numbers(k, s) for s in range(ns) for k in range(nk)]
    return gap_from(eigs, occs)


def check_outcar(name, path, r):
    images = read_images(path, "vasp-out")
    if images:
        last = images[-1]
        check_structure(name, r, last, "ASE vasp-out")
        energies = [a.get_potential_energy(force_consistent=True) for a in images]
        compare(name, "ionic_energies_ev", r["ionic_energies_ev"], energies, 1e-6, "ASE vasp-out (free energy)")
        nk = calc_value(last, lambda a: len(a.calc.get_ibz_k_points()))
        if nk:
            compare(name, "n_kpoints", r["n_kpoints"], nk, 0, "ASE vasp-out")
        gap = calc_value(last, vasp_gap_from_ase)
        if gap is not None:
            compare(name, "band_gap_ev", r["band_gap_ev"], gap, 1e-9, "ASE vasp-out eigenvalues+occupations")
        ef = calc_value(last, lambda a: a.calc.get_fermi_level())
        if ef is not None:
            compare(name, "fermi_energy_ev", r["fermi_energy_ev"], ef, 1e-9, "ASE vasp-out")
    from pymatgen.io.vasp.outputs import Outcar
    with redirect_stderr(io.StringIO()):
        out = Outcar(path)
    mag = getattr(out, "total_mag", None)
    if mag is not None:
        compare(name, "total_magnetization", r["total_magnetization"], mag, 1e-6, "pymatgen Outcar.total_mag")


def check_vasprun(name, path, r):
    from pymatgen.io.vasp.outputs import Vasprun
    with redirect_stderr(io.StringIO()):
        v = Vasprun(path, parse_potcar_file=False, parse_projected_eigen=False)
    s = v.final_structure
    how = "pymatgen Vasprun"
    compare(name, "final_cell_angstrom", r["final_cell_angstrom"], s.lattice.matrix, 1e-6, how)
    compare(name, "final_positions_angstrom", wrapped(r["final_positions_angstrom"], s.cart_coords,
                                                      s.lattice.matrix), s.cart_coords, 1e-5, how)
    compare_species(name, r["species"], [str(sp) for sp in s.species], how)
    last = v.ionic_steps[-1]
    if "forces" in last:
        compare(name, "final_forces_ev_per_angstrom", r["final_forces_ev_per_angstrom"], last["forces"], 1e-8, how)
    if "stress" in last:
        compare(name, "final_stress_kbar", r["final_stress_kbar"], last["stress"], 1e-8, how)
    compare(name, "ionic_energies_ev", r["ionic_energies_ev"], [st["e_fr_energy"] for st in v.ionic_steps], 1e-8,
            how)
    compare(name, "n_kpoints", r["n_kpoints"], len(v.actual_kpoints), 0, how)
    compare(name, "fermi_energy_ev", r["fermi_energy_ev"], v.efermi, 1e-8, how)
    gap = v.eigenvalue_band_properties[0]
    compare(name, "band_gap_ev", r["band_gap_ev"], gap, 1e-8, how + ".eigenvalue_band_properties")
    images = read_images(path, "vasp-xml")
    if images:
        # ASE takes the short names of <atominfo>, where VASP may write "X"
        # for Xe; the species are compared with pymatgen's above.
        check_structure(name, r, images[-1], "ASE vasp-xml", stress=False, species=False)


def check_oszicar(name, path, r):
    from pymatgen.io.vasp.outputs import Oszicar
    o = Oszicar(path)
    compare(name, "ionic_energies_ev", r["ionic_energies_ev"], [s["F"] for s in o.ionic_steps], 1e-9,
            "pymatgen Oszicar")
    if "mag" in o.ionic_steps[-1]:
        compare(name, "total_magnetization", r["total_magnetization"], o.ionic_steps[-1]["mag"], 1e-9,
                "pymatgen Oszicar")


def crystal_final_geometry(path):
    """Neither tool reads CRYSTAL: the fractional coordinates printed under
    FINAL OPTIMIZED GEOMETRY times the lattice vectors printed after them."""
    lines = open(path, encoding="latin-1").read().splitlines()
    start = next((i for i, l in enumerate(lines) if "FINAL OPTIMIZED GEOMETRY" in l), None)
    if start is None:
        return None
    frac, labels, cell = [], [], None
    i = start
    while i < len(lines) and "ATOMS IN THE ASYMMETRIC UNIT" not in lines[i]:
        i += 1
    i += 3
    while i < len(lines) and re.match(r"\s+\d+\s+[TF]\s+\d+\s+\S+", lines[i]):
        f = lines[i].split()
        labels.append(f[3])
        frac.append([float(x) for x in f[4:7]])
        i += 1
    for j in range(i, len(lines)):
        if "DIRECT LATTICE VECTORS CARTESIAN COMPONENTS (ANGSTROM)" in lines[j]:
            cell = np.array([[float(x) for x in lines[j + k].split()] for k in (2, 3, 4)])
            break
    if cell is None or not frac:
        return None
    return cell, np.array(frac) @ cell, labels


def check_crystal(name, path, r):
    nk = last_number(path, r"NUMBER OF K POINTS IN THE IBZ\s+(\d+)")
    if nk is not None:
        compare(name, "n_kpoints", r["n_kpoints"], int(nk), 0, "pattern 'K POINTS IN THE IBZ'")
    geo = crystal_final_geometry(path)
    if geo is None:
        return
    cell, pos, labels = geo
    how = "FINAL OPTIMIZED GEOMETRY fractions x lattice vectors (pattern)"
    compare(name, "final_cell_angstrom", r["final_cell_angstrom"], cell, 1e-8, how)
    ours = r["final_positions_angstrom"]
    if ours is not None and len(ours) == len(pos):
        ours = wrapped(ours, pos, cell)
    compare(name, "final_positions_angstrom", ours, pos, 1e-6, how)
    compare_species(name, r["species"], [l.capitalize() for l in labels], how)


def main():
    files = sorted(json.load(open(os.path.join(CORPUS, "expected.json")))["files"])
    for name in files:
        path = os.path.join(CORPUS, name)
        base = os.path.basename(name)
        try:
            if name.startswith("qe/") and name.endswith(".out"):
                check_qe(name, path, xrun(path))
            elif base.endswith("OUTCAR"):
                check_outcar(name, path, xrun(path))
            elif "vasprun.xml" in base:
                check_vasprun(name, path, xrun(path))
            elif base.endswith("OSZICAR"):
                check_oszicar(name, path, xrun(path))
            elif name.startswith("crystal/") and base.endswith(".out"):
                check_crystal(name, path, xrun(path))
        except Exception as e:  # a reference tool failing is reported, not hidden
            failures.append(f"{name}: {type(e).__name__}: {e}")
    print(f"{checks} comparisons over {len(files)} corpus files; per key: {json.dumps(seen, sort_keys=True)}")
    for f in failures:
        print("MISMATCH", f)
    required = ["final_positions_angstrom", "final_forces_ev_per_angstrom", "final_stress_kbar",
                "final_cell_angstrom", "species", "ionic_energies_ev", "total_magnetization",
                "absolute_magnetization", "n_kpoints", "band_gap_ev", "fermi_energy_ev"]
    missing = [k for k in required if not seen.get(k)]
    if missing:
        print("never compared:", missing)
    return 1 if failures or missing else 0


if __name__ == "__main__":
    sys.exit(main())
