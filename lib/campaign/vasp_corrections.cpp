// VASP corrections, after custodian's VaspErrorHandler and
// UnconvergedErrorHandler (custodian/vasp/handlers.py): the same INCAR and
// KPOINTS edits for the same errors, with custodian's per-error counts
// replaced by `attempt` (a ladder's step `attempt`, or the first later step
// that still changes something). File deletions (CHGCAR, WAVECAR) custodian
// makes on some steps are not done here: the engine uploads inputs only.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <sstream>

#include "campaign/correction_table.h"
#include "campaign/vasp_files.h"
#include "util/strings.h"

namespace xrun::campaign::detail {

namespace {

using Step = bool (*)(VaspFiles&, Request&, AppliedCorrection&);

// Takes step `attempt` of the ladder, or the first later one that applies.
bool ladder(std::initializer_list<Step> steps, VaspFiles& v, Request& r, AppliedCorrection& out) {
  const auto* first = steps.begin() + std::min<size_t>(static_cast<size_t>(r.attempt - 1), steps.size());
  for (const auto* s = first; s != steps.end(); ++s) {
    if ((*s)(v, r, out)) return true;
  }
  return false;
}

// Two significant digits, as custodian writes SYMPREC ("1.0e-06" -> 1e-06).
std::string two_digits(double x) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1e", x);
  return number_text(std::strtod(buf, nullptr));
}

std::string round2(double x) { return number_text(std::round(x * 100) / 100); }

const char* kFalse = ".FALSE.";
const char* kTrue = ".TRUE.";

// Runs `fn` on the job's VASP files; false without an INCAR.
template <typename Fn>
bool with_files(Request& r, AppliedCorrection& out, Fn fn) {
  VaspFiles v(r.files);
  if (!v.ok()) return false;
  fn(v, r, out);
  return !out.edits.empty();
}

bool tet(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    v.set("ISMEAR", "0", o);
    if (v.number("SIGMA", 0.2) != 0.05) v.set("SIGMA", "0.05", o);
  });
}

bool brmix(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request& rq, AppliedCorrection& o) {
    ladder({[](VaspFiles& f, Request&, AppliedCorrection& a) {  // a plain rerun, reading the WAVECAR
              if (f.number("ISTART", 0) == 1) return false;
              f.set("ISTART", "1", a);
              return true;
            },
            [](VaspFiles& f, Request&, AppliedCorrection& a) {  // Kerker mixing
              if (f.number("IMIX", 4) == 1) return false;
              f.set("IMIX", "1", a);
              return true;
            },
            [](VaspFiles& f, Request&, AppliedCorrection& a) {  // the other k-mesh centring
              const char style = f.kpoints_style();
              if (style) {
                f.set_kpoints_style(style == 'g' ? 'm' : 'g', a, true);
                f.remove("IMIX", a);
                return true;
              }
              if (!f.has("KSPACING") || f.flag("KGAMMA", true)) return false;
              f.set("KGAMMA", kTrue, a);
              return true;
            },
            [](VaspFiles& f, Request&, AppliedCorrection& a) {  // symmetry off, Gamma-centred
              if (f.number("ISYM", 2) > 0) f.set("ISYM", "0", a);
              if (f.kpoints_style() == 'm') f.set_kpoints_style('g', a);
              return !a.edits.empty();
            }},
           v, rq, o);
  });
}

bool zbrent(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request& rq, AppliedCorrection& o) {
    v.continue_from_contcar(o);
    const double ediff = v.number("EDIFF", 1e-4);
    if (ediff > 1e-6) v.set("EDIFF", "1e-06", o);
    else if (ediff > 1e-8) v.set("EDIFF", number_text(ediff / 10), o);
    if (v.number("NELMIN", 2) < 8) v.set("NELMIN", "8", o);
    if (rq.attempt == 2) v.set("IBRION", "1", o);
  });
}

bool edddav(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    v.continue_from_contcar(o);
    if (v.word("ALGO", "normal") != "all") {
      v.set("ALGO", "All", o);
      v.set("ISEARCH", "1", o);
    }
  });
}

bool subspacematrix(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request& rq, AppliedCorrection& o) {
    ladder({[](VaspFiles& f, Request&, AppliedCorrection& a) {
              if (!f.flag("LREAL", false)) return false;
              f.set("LREAL", kFalse, a);
              return true;
            },
            [](VaspFiles& f, Request&, AppliedCorrection& a) {
              if (f.word("PREC", "normal") == "accurate") return false;
              f.set("PREC", "Accurate", a);
              return true;
            }},
           v, rq, o);
  });
}

// NBANDS VASP used: the INCAR's, the result's, or the last "NBANDS=" of an OUTCAR among the files.
std::optional<double> bands_used(VaspFiles& v, Request& r) {
  if (v.has("NBANDS")) return v.number("NBANDS", 0);
  if (auto n = result_number(r.result, "nbands")) return n;
  auto it = r.files.text.find("OUTCAR");
  if (it == r.files.text.end()) return std::nullopt;
  const size_t at = it->second.rfind("NBANDS=");
  if (at == std::string::npos) return std::nullopt;
  return std::strtod(it->second.c_str() + at + 7, nullptr);
}

bool too_few_bands(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request& rq, AppliedCorrection& o) {
    const auto n = bands_used(v, rq);
    if (!n || *n < 1) return;
    v.set("NBANDS", number_text(std::max(std::floor(1.1 * *n), *n + 1)), o);
  });
}

bool eddrmm(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    v.continue_from_contcar(o);
    const std::string algo = v.word("ALGO", "normal");
    if (algo == "fast" || algo == "veryfast") {
      v.set("ALGO", "Normal", o);
    } else {
      const double potim = v.number("POTIM", 0.5);
      if (std::round(potim * 50) / 100 < potim) v.set("POTIM", round2(potim / 2), o);
    }
  });
}

bool pricel(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    if (v.number("SYMPREC", 1e-5) <= 1e-8) return;
    v.set("SYMPREC", "1e-08", o);
    v.set("ISYM", "0", o);
  });
}

bool symprec_ladder(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request& rq, AppliedCorrection& o) {
    ladder({[](VaspFiles& f, Request&, AppliedCorrection& a) {  // an order of magnitude down
              f.set("SYMPREC", two_digits(f.number("SYMPREC", 1e-5) / 10), a);
              return true;
            },
            [](VaspFiles& f, Request&, AppliedCorrection& a) {  // then 10x the original
              f.set("SYMPREC", two_digits(f.number("SYMPREC", 1e-6) * 100), a);
              return true;
            },
            [](VaspFiles& f, Request&, AppliedCorrection& a) {  // then no symmetry
              if (f.number("ISYM", 2) <= 0) return false;
              f.set("ISYM", "0", a);
              return true;
            }},
           v, rq, o);
  });
}

// POSCAR's scale line times `factor` per lattice vector (a negative scale is a volume).
void strain_poscar(Request& r, double factor, AppliedCorrection& out) {
  auto it = r.files.text.find("POSCAR");
  if (it == r.files.text.end()) return;
  std::string& text = it->second;
  const size_t b = text.find('\n');
  if (b == std::string::npos) return;
  const size_t e = text.find('\n', b + 1);
  if (e == std::string::npos) return;
  const std::string old = text.substr(b + 1, e - b - 1);
  char* end = nullptr;
  const double scale = std::strtod(old.c_str(), &end);
  if (end == old.c_str() || scale == 0) return;
  const double now = scale > 0 ? scale * factor : scale * factor * factor * factor;
  const std::string value = number_text(std::round(now * 1e8) / 1e8);
  text.replace(b + 1, e - b - 1, value);
  out.edits.push_back("POSCAR: scale " + std::string(trim(old)) + " -> " + value);
}

bool zpotrf(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request& rq, AppliedCorrection& o) {
    if (v.number("ISYM", 2) > 0) v.set("ISYM", "0", o);
    const int atoms = v.atoms();
    if (atoms > 0 && atoms < 5 && (v.number("NCORE", 1) > 1 || v.number("NPAR", 1) > 1)) {
      v.set("NCORE", "1", o);
      if (v.number("NPAR", 1) > 1) v.remove("NPAR", o);
    } else if (v.number("NSW", 0) > 0) {
      if (result_number(rq.result, "n_ionic_steps").value_or(0) < 1) {
        strain_poscar(rq, 1.2, o);  // failed on the first step: bonds too short, a larger cell
      } else {
        const double potim = v.number("POTIM", 0.5);
        v.set("POTIM", round2(potim / 2), o);
      }
    }
  });
}

bool lreal_off(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    if (v.flag("LREAL", false)) v.set("LREAL", kFalse, o);
  });
}

// custodian's UnconvergedErrorHandler, electronic branch: meta-GGA and
// hybrid rules, then VeryFast -> Fast -> Normal -> All, then mixing.
void unconverged_algo(VaspFiles& v, AppliedCorrection& o) {
  const std::string algo = v.word("ALGO", "normal");
  const double ialgo = v.number("IALGO", 38);
  const bool ialgo5x = ialgo >= 50 && ialgo <= 59;
  const bool metagga = v.has("METAGGA") && v.word("METAGGA", "--") != "--" && v.word("METAGGA", "--") != "none";
  if (metagga && v.number("ISMEAR", -1) >= 0 && (algo != "all" || !ialgo5x) && algo != "all") {
    v.set("ALGO", "All", o);
    v.set("ISEARCH", "1", o);
    return;
  }
  if (v.flag("LHFCALC", false)) {
    if (v.number("ISMEAR", -1) >= 0 || !ialgo5x) {
      if (algo != "all") {
        v.set("ALGO", "All", o);
        v.set("ISEARCH", "1", o);
      } else if (algo != "damped") {
        v.set("ALGO", "Damped", o);
        v.set("TIME", "0.5", o);
      }
    } else if (algo != "normal") {
      v.set("ALGO", "Normal", o);
    }
    return;
  }
  if (algo == "veryfast") {
    v.set("ALGO", "Fast", o);
  } else if (algo == "fast") {
    v.set("ALGO", "Normal", o);
  } else if (algo == "normal" && v.number("ISMEAR", 1) >= 0) {
    v.set("ALGO", "All", o);
    v.set("ISEARCH", "1", o);
  } else {
    const std::pair<const char*, double> mixing[] = {
        {"ISTART", 1}, {"NELMDL", -6}, {"BMIX", 0.001}, {"AMIX_MAG", 0.8}, {"BMIX_MAG", 0.001}};
    // Once the mixing is in place the ladder ends (custodian would go back to
    // ALGO=Normal and climb to All again until its error count runs out).
    bool same = true;
    for (const auto& [key, value] : mixing) same = same && v.has(key) && v.number(key, 0) == value;
    if (same) return;
    v.set("ISTART", "1", o);
    if (algo != "normal") v.set("ALGO", "Normal", o);
    for (const auto& [key, value] : mixing) {
      if (!v.has(key) || v.number(key, 0) != value) v.set(key, number_text(value), o);
    }
  }
}

bool scf_not_converged(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) { unconverged_algo(v, o); });
}

bool geometry_not_converged(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    v.set("IBRION", "1", o);
    v.continue_from_contcar(o);
  });
}

bool amin(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    if (v.number("AMIN", 0.1) > 0.01) v.set("AMIN", "0.01", o);
  });
}

bool inv_rot_mat(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    if (v.number("SYMPREC", 1e-5) > 1e-8) v.set("SYMPREC", "1e-08", o);
  });
}

bool ibzkpt(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request& rq, AppliedCorrection& o) {
    ladder({[](VaspFiles& f, Request&, AppliedCorrection& a) {
              if (f.number("ISYM", 2) == 0) return false;
              f.set("ISYM", "0", a);
              return true;
            },
            [](VaspFiles& f, Request&, AppliedCorrection& a) {
              if (f.number("SYMPREC", 1e-5) <= 1e-6) return false;
              f.set("SYMPREC", "1e-06", a);
              return true;
            }},
           v, rq, o);
  });
}

bool rot_matrix(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    if (v.kpoints_style() == 'm') v.set_kpoints_style('g', o);
    else if (v.number("ISYM", 2) > 0) v.set("ISYM", "0", o);
  });
}

bool gamma_mesh(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    if (v.kpoints_style() == 'm') v.set_kpoints_style('g', o);
  });
}

bool algo_normal(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    if (v.word("ALGO", "normal") != "normal") v.set("ALGO", "Normal", o);
  });
}

bool zheev(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    const std::string algo = v.word("ALGO", "normal");
    if (algo != "fast" && algo != "normal") return;
    v.continue_from_contcar(o);
    v.set("ALGO", algo == "fast" ? "Normal" : "Exact", o);
  });
}

bool elf_kpar(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    if (v.number("KPAR", 1) != 1) v.set("KPAR", "1", o);
  });
}

bool rhosyg(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    if (v.number("SYMPREC", 1e-5) < 1e-4) v.set("SYMPREC", "0.0001", o);
    else if (v.number("ISYM", 2) != 0) v.set("ISYM", "0", o);
  });
}

bool symmetry_off(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    if (v.number("ISYM", 2) > 0) v.set("ISYM", "0", o);
  });
}

bool dfpt_ncore(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    v.remove("NCORE", o);
    v.remove("NPAR", o);
  });
}

bool bravais(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    const double symprec = v.number("SYMPREC", 1e-5);
    if (symprec > 1e-6) v.set("SYMPREC", number_text(std::min(symprec / 10, 1e-6)), o);
    else if (v.number("ISYM", 2) > 0) v.set("ISYM", "0", o);
  });
}

bool brions(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request& rq, AppliedCorrection& o) {
    v.continue_from_contcar(o);
    if (rq.attempt == 2 && v.number("IBRION", 0) == 1) {
      v.set("IBRION", "2", o);
      v.set("POTIM", "0.5", o);
    } else {
      v.set("POTIM", round2(v.number("POTIM", 0.5) + 0.1), o);
    }
  });
}

bool algo_tet(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request& rq, AppliedCorrection& o) {
    ladder({[](VaspFiles& f, Request&, AppliedCorrection& a) {
              const std::string algo = f.word("ALGO", "normal");
              const double ialgo = f.number("IALGO", 38);
              if (!(algo == "all" || algo == "damped" || (ialgo >= 50 && ialgo <= 59)) || f.number("ISMEAR", 1) >= 0)
                return false;
              f.set("ALGO", "Fast", a);
              return true;
            },
            [](VaspFiles& f, Request&, AppliedCorrection& a) {
              if (f.number("ISMEAR", 1) == 0 && f.number("SIGMA", 0.2) == 0.05) return false;
              f.set("ISMEAR", "0", a);
              f.set("SIGMA", "0.05", a);
              return true;
            }},
           v, rq, o);
  });
}

bool grad_not_orth(Request& r, AppliedCorrection& out) {
  return with_files(r, out, [](VaspFiles& v, Request&, AppliedCorrection& o) {
    const std::string algo = v.word("ALGO", "normal");
    if (algo != "all" && algo != "conjugate" && algo != "damped") return;
    const bool plain = v.word("METAGGA", "none") == "none" && !v.flag("LHFCALC", false);
    v.set("ALGO", plain ? "Fast" : "Normal", o);  // meta-GGAs and hybrids must not run Fast
  });
}

}  // namespace

const std::vector<Builtin>& vasp_builtins() {
  static const std::vector<Builtin> table = {
      {"vasp_tet", {"tet"}, "ISMEAR=0, SIGMA=0.05", tet},
      {"vasp_brmix", {"brmix"},
       "1: ISTART=1 (rerun); 2: IMIX=1 (Kerker); 3: KPOINTS Gamma <-> Monkhorst-Pack (an even mesh made odd for "
       "Gamma), IMIX removed (KSPACING: KGAMMA=.TRUE.); 4: ISYM=0 and a Gamma mesh",
       brmix},
      {"vasp_zbrent", {"zbrent"},
       "POSCAR from CONTCAR, EDIFF 1e-06 (or /10 down to 1e-08), NELMIN=8; attempt 2 also IBRION=1", zbrent},
      {"vasp_edddav", {"edddav"}, "POSCAR from CONTCAR, ALGO=All, ISEARCH=1", edddav},
      {"vasp_subspacematrix", {"subspacematrix"}, "1: LREAL=.FALSE.; 2: PREC=Accurate", subspacematrix},
      {"vasp_too_few_bands", {"too_few_bands"},
       "NBANDS = max(int(1.1 x NBANDS), NBANDS + 1), NBANDS from INCAR, the result (`nbands`) or an OUTCAR",
       too_few_bands},
      {"vasp_eddrmm", {"eddrmm"}, "POSCAR from CONTCAR; ALGO Fast/VeryFast -> Normal, else POTIM halved", eddrmm},
      {"vasp_pricel", {"pricel"}, "SYMPREC=1e-08, ISYM=0", pricel},
      {"vasp_symprec", {"pricelv", "posmap"}, "1: SYMPREC/10; 2: SYMPREC x100 (10x the original); 3: ISYM=0",
       symprec_ladder},
      {"vasp_zpotrf", {"zpotrf"},
       "ISYM=0; fewer than 5 atoms with NCORE/NPAR > 1: NCORE=1, NPAR removed; else relaxation: failed on the "
       "first ionic step -> POSCAR scaled by 1.2 (20% strain), later -> POTIM halved",
       zpotrf},
      {"vasp_lreal_off", {"real_optlay", "rspher", "nicht_konv"}, "LREAL=.FALSE.", lreal_off},
      {"vasp_unconverged", {"scf_not_converged"},
       "ALGO VeryFast -> Fast -> Normal -> All (+ISEARCH=1; All only with ISMEAR >= 0), meta-GGA/hybrid: All then "
       "Damped (TIME=0.5); last: ISTART=1, ALGO=Normal, NELMDL=-6, BMIX=0.001, AMIX_MAG=0.8, BMIX_MAG=0.001",
       scf_not_converged},
      {"vasp_geometry_continue", {"geometry_not_converged"}, "IBRION=1, POSCAR from CONTCAR", geometry_not_converged},
      {"vasp_amin", {"amin"}, "AMIN=0.01", amin},
      {"vasp_inv_rot_mat", {"inv_rot_mat"}, "SYMPREC=1e-08", inv_rot_mat},
      {"vasp_ibzkpt", {"ibzkpt"}, "1: ISYM=0; 2: SYMPREC=1e-06", ibzkpt},
      {"vasp_rot_matrix", {"rot_matrix"}, "KPOINTS Monkhorst-Pack -> Gamma, else ISYM=0", rot_matrix},
      {"vasp_gamma_mesh", {"tetirr", "incorrect_shift"}, "KPOINTS Monkhorst-Pack -> Gamma", gamma_mesh},
      {"vasp_algo_normal", {"pssyevx", "pdsyevx"}, "ALGO=Normal", algo_normal},
      {"vasp_zheev", {"zheev", "eddiag"}, "POSCAR from CONTCAR; ALGO Fast -> Normal, Normal -> Exact", zheev},
      {"vasp_elf_kpar", {"elf_kpar"}, "KPAR=1", elf_kpar},
      {"vasp_rhosyg", {"rhosyg"}, "SYMPREC=1e-4 when below, else ISYM=0", rhosyg},
      {"vasp_symmetry_off", {"point_group", "hnform"}, "ISYM=0", symmetry_off},
      {"vasp_dfpt_ncore", {"dfpt_ncore"}, "NCORE and NPAR removed", dfpt_ncore},
      {"vasp_bravais", {"bravais"}, "SYMPREC = min(SYMPREC/10, 1e-6) when above 1e-6, else ISYM=0", bravais},
      {"vasp_brions", {"brions"},
       "POSCAR from CONTCAR, POTIM +0.1; attempt 2 with IBRION=1: IBRION=2, POTIM=0.5", brions},
      {"vasp_algo_tet", {"algo_tet"},
       "1: ALGO All/Damped (or IALGO 5x) with ISMEAR < 0 -> ALGO=Fast; 2: ISMEAR=0, SIGMA=0.05", algo_tet},
      {"vasp_grad_not_orth", {"grad_not_orth"},
       "ALGO All/Conjugate/Damped -> Fast (Normal for meta-GGA or hybrid)", grad_not_orth},
  };
  return table;
}

}  // namespace xrun::campaign::detail
