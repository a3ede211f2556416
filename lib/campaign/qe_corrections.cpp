// pw.x corrections, after aiida-quantumespresso's PwBaseWorkChain handlers
// (workflows/pw/base.py) and its defaults (delta_factor_mixing_beta 0.8,
// delta_factor_trust_radius_min 0.1, delta_factor_nbnd 0.05,
// delta_minimum_nbnd 4, cell_factor doubled; pw.x defaults mixing_beta 0.7,
// electron_maxstep 100, trust_radius_min 1e-3). docs/CORRECTIONS.md states
// each rule and where xrun departs from the work chain.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "campaign/correction_table.h"
#include "campaign/pw_namelist.h"
#include "util/error.h"

namespace xrun::campaign::detail {

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The job's pw.x input, with every edit recorded as it is made.
class PwFile {
 public:
  explicit PwFile(InputFiles& files) : files_(files), name_(find_pw_input(files.text)) {
    if (name_.empty()) {
      // A file that looks like a pw.x input but does not parse: say why.
      for (const auto& [name, text] : files.text) {
        std::string low = text;
        for (char& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (low.find("&control") == std::string::npos) continue;
        try {
          PwInput probe(text);
        } catch (const Error& e) {
          throw Error(XRUN_E_PARSE, name + ": " + e.what());
        }
      }
      return;
    }
    input_.emplace(files.text[name_]);
  }
  bool ok() const { return input_.has_value(); }

  std::string word(const char* nl, const char* key, const char* fallback) const {
    const auto v = input_->get(nl, key);
    std::string s = v ? fortran_string_value(*v).value_or(*v) : fallback;
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  double number(const char* nl, const char* key, double fallback) const {
    const auto v = input_->get(nl, key);
    return v ? fortran_number_value(*v).value_or(fallback) : fallback;
  }
  bool has(const char* nl, const char* key) const { return input_->get(nl, key).has_value(); }

  void set(const char* nl, const char* key, const std::string& value, AppliedCorrection& out) {
    const auto old = input_->get(nl, key);
    if (old && *old == value) return;
    input_->set(nl, key, value);
    out.edits.push_back(name_ + ": &" + upper(nl) + " " + key + " " + old.value_or("(unset)") + " -> " + value);
    files_.text[name_] = input_->text();
  }
  void remove(const char* nl, const char* key, AppliedCorrection& out) {
    const auto old = input_->get(nl, key);
    if (!old || !input_->remove(nl, key)) return;
    out.edits.push_back(name_ + ": &" + upper(nl) + " " + key + " " + *old + " removed");
    files_.text[name_] = input_->text();
  }
  void note(const std::string& what, AppliedCorrection& out) { out.edits.push_back(name_ + ": " + what); }

 private:
  InputFiles& files_;
  std::string name_;
  std::optional<PwInput> input_;
};

// aiida's RestartType.FULL: restart_mode='restart', no startingpot/startingwfc.
void restart_full(PwFile& pw, AppliedCorrection& out) {
  pw.set("control", "restart_mode", fortran_string("restart"), out);
  pw.remove("electrons", "startingpot", out);
  pw.remove("electrons", "startingwfc", out);
  out.restart = true;
}

// aiida's RestartType.FROM_CHARGE_DENSITY: from scratch, startingpot='file'.
void restart_from_charge_density(PwFile& pw, AppliedCorrection& out) {
  if (pw.word("control", "restart_mode", "from_scratch") != "from_scratch")
    pw.set("control", "restart_mode", fortran_string("from_scratch"), out);
  pw.set("electrons", "startingpot", fortran_string("file"), out);
  pw.remove("electrons", "startingwfc", out);
}

constexpr double kMixingFactor = 0.8;  // delta_factor_mixing_beta
constexpr double kMixingFloor = 0.1;
constexpr int kMaxElectronSteps = 1000;

bool scf_not_converged(Request& r, AppliedCorrection& out) {
  PwFile pw(r.files);
  if (!pw.ok()) return false;
  const double beta = pw.number("electrons", "mixing_beta", 0.7);
  const double steps = pw.number("electrons", "electron_maxstep", 100);
  const double new_beta = std::max(std::round(beta * kMixingFactor * 1e4) / 1e4, kMixingFloor);
  const double new_steps = std::min(std::max(2 * steps, 100.0), double(kMaxElectronSteps));
  const bool lower_beta = new_beta < beta, more_steps = new_steps > steps;
  if (!lower_beta && !more_steps) return false;  // at the floor and the cap
  if (lower_beta) pw.set("electrons", "mixing_beta", number_text(new_beta), out);
  if (more_steps) pw.set("electrons", "electron_maxstep", number_text(new_steps), out);
  restart_full(pw, out);
  return true;
}

bool walltime_exceeded(Request& r, AppliedCorrection& out) {
  PwFile pw(r.files);
  if (!pw.ok()) return false;
  restart_full(pw, out);
  if (out.edits.empty()) pw.note("&CONTROL restart_mode is already 'restart': continue from the last step", out);
  return true;
}

// aiida tries the algorithms not yet used, cg last (the slowest, the most
// stable). The state is the input itself: each value has one successor.
bool diagonalization(Request& r, AppliedCorrection& out) {
  PwFile pw(r.files);
  if (!pw.ok()) return false;
  const std::string now = pw.word("electrons", "diagonalization", "david");
  std::string next;
  if (now == "david") next = "ppcg";
  else if (now == "ppcg" || now == "paro") next = "cg";
  else if (now == "rmm-davidson" || now == "rmm-paro") next = "david";
  if (next.empty()) return false;  // cg: nothing left to try
  pw.set("electrons", "diagonalization", fortran_string(next), out);
  return true;
}

bool bfgs_history_failure(Request& r, AppliedCorrection& out) {
  PwFile pw(r.files);
  if (!pw.ok()) return false;
  const std::string calc = pw.word("control", "calculation", "scf");
  if (calc == "relax") {
    if (pw.word("ions", "ion_dynamics", "bfgs") == "damp") return false;
    pw.set("ions", "ion_dynamics", fortran_string("damp"), out);
  } else if (calc == "vc-relax") {
    const double trm = pw.number("ions", "trust_radius_min", 1e-3);
    if (trm > 1e-4) {
      pw.set("ions", "trust_radius_ini", number_text(trm), out);
      pw.set("ions", "trust_radius_min", number_text(trm * 0.1), out);
    } else {
      pw.set("ions", "ion_dynamics", fortran_string("damp"), out);
      pw.set("cell", "cell_dynamics", fortran_string("damp-w"), out);
      if (out.edits.empty()) return false;
    }
  } else {
    return false;
  }
  restart_full(pw, out);
  return true;
}

bool geometry_not_converged(Request& r, AppliedCorrection& out) {
  PwFile pw(r.files);
  if (!pw.ok()) return false;
  const std::string calc = pw.word("control", "calculation", "scf");
  if (calc != "relax" && calc != "vc-relax" && calc != "md" && calc != "vc-md") return false;
  const double nstep = pw.number("control", "nstep", 50);
  pw.set("control", "nstep", number_text(2 * nstep), out);
  restart_full(pw, out);
  return true;
}

bool volume_contraction(Request& r, AppliedCorrection& out) {
  PwFile pw(r.files);
  if (!pw.ok()) return false;
  const double factor = pw.number("cell", "cell_factor", 2.0);
  pw.set("cell", "cell_factor", number_text(2 * factor), out);
  if (pw.has("control", "restart_mode")) pw.set("control", "restart_mode", fortran_string("from_scratch"), out);
  pw.remove("electrons", "startingpot", out);
  pw.remove("electrons", "startingwfc", out);
  return true;
}

bool charge_is_wrong(Request& r, AppliedCorrection& out) {
  PwFile pw(r.files);
  if (!pw.ok()) return false;
  if (pw.word("system", "occupations", "fixed") != "smearing") {
    pw.set("system", "occupations", fortran_string("smearing"), out);
    if (!pw.has("system", "smearing")) pw.set("system", "smearing", fortran_string("cold"), out);
    if (!pw.has("system", "degauss")) pw.set("system", "degauss", "0.01", out);
    return true;
  }
  if (!pw.has("system", "nbnd")) return false;  // pw.x chose the bands; nothing known to raise
  const double nbnd = pw.number("system", "nbnd", 0);
  const double more = std::max(std::floor(nbnd * 0.05), 4.0);
  pw.set("system", "nbnd", number_text(nbnd + more), out);
  restart_from_charge_density(pw, out);
  return true;
}

}  // namespace

const std::vector<Builtin>& qe_builtins() {
  static const std::vector<Builtin> table = {
      {"qe_scf_not_converged", {"scf_not_converged"},
       "&ELECTRONS mixing_beta x0.8 (not below 0.1), electron_maxstep x2 (at least 100, at most 1000), "
       "restart_mode='restart'; none when both are at their limit",
       scf_not_converged},
      {"qe_walltime_restart", {"walltime_exceeded"},
       "restart_mode='restart', startingpot/startingwfc removed (a full restart from the last step)",
       walltime_exceeded},
      {"qe_diagonalization",
       {"cholesky_failed", "too_many_bands_not_converged", "eigenvectors_not_converged",
        "s_matrix_not_positive_definite", "zhegvd_failed", "qr_failed", "broyden_factorization_failed"},
       "&ELECTRONS diagonalization david -> ppcg -> cg (rmm-* -> david, paro -> cg); none once cg failed",
       diagonalization},
      {"qe_bfgs_history", {"bfgs_history_failure"},
       "relax: ion_dynamics='damp'; vc-relax: trust_radius_ini=trust_radius_min, trust_radius_min x0.1 while "
       "above 1e-4, then ion_dynamics='damp', cell_dynamics='damp-w'; restart_mode='restart'",
       bfgs_history_failure},
      {"qe_geometry_more_steps", {"geometry_not_converged"},
       "relax/vc-relax/md: &CONTROL nstep x2 (default 50), restart_mode='restart'", geometry_not_converged},
      {"qe_cell_factor", {"radial_fft_volume_contraction"},
       "&CELL cell_factor x2 (default 2), restart from scratch", volume_contraction},
      {"qe_charge_is_wrong", {"charge_is_wrong"},
       "fixed occupations: occupations='smearing' (cold, degauss 0.01 unless set); smearing already: "
       "nbnd + max(5%, 4) and restart from the charge density",
       charge_is_wrong},
  };
  return table;
}

}  // namespace xrun::campaign::detail
