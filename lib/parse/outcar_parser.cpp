// VASP OUTCAR.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "parse/code_parser.h"
#include "parse/text_scan.h"
#include "parse/vasp_messages.h"

namespace xrun::parse {

namespace {

enum class Block { none, cell, ions, eigenvalues };

class OutcarParser final : public CodeParser {
 public:
  void line(std::string_view raw, int64_t no) override {
    std::string_view t = ltrim(raw);
    if (block_ != Block::none && in_block(t)) return;
    if (t.empty()) return;
    scan_common_messages(t, no, picker_);
    switch (t[0]) {
      case 'v':
        if (!d_.program_version && starts(t, "vasp.")) {
          std::string_view rest = t.substr(5);
          set_version(d_, rest.substr(0, std::min({rest.find(' '), rest.size(), size_t{64}})));
        }
        break;
      case 'N':
        if (starts(t, "NELM") && !nelm_) nelm_ = number_after(t, "=");
        else if (starts(t, "NSW") && !nsw_) nsw_ = number_after(t, "=");
        break;
      case 'I':
        if (starts(t, "IBRION") && !ibrion_) ibrion_ = number_after(t, "=");
        break;
      case 'd':
        if (starts(t, "direct lattice vectors")) start(Block::cell);
        break;
      case 'P':
        if (starts(t, "POSITION") && contains(t, "TOTAL-FORCE")) start(Block::ions);
        else if (starts(t, "POTCAR:")) on_potcar_title(t.substr(7), potcar_types_);
        break;
      case 'i':
        if (starts(t, "in kB")) on_stress(t);
        else if (starts(t, "ions per type")) on_ions_per_type(t);
        break;
      case 'k':
        if (starts(t, "k-points") && contains(t, "NKPTS")) {
          if (auto v = as_count(number_after(t, "NKPTS ="))) d_.n_kpoints = *v;
          // The bands VASP used (it may raise the INCAR's): too_few_bands corrections start from it.
          if (auto v = as_count(number_after(t, "NBANDS="))) d_.extra["nbands"] = static_cast<double>(*v);
        }
        break;
      case 'n':
        if (starts(t, "number of electron")) on_magnetization(t);
        break;
      case 'f':
        if (starts(t, "free  energy   TOTEN")) on_toten(t, no);
        break;
      case 't':
        if (starts(t, "total energy-change")) on_energy_change(t, no);
        break;
      case 'e':
        if (starts(t, "energy  without entropy")) {
          if (auto v = number_after(t, "energy(sigma->0) =")) d_.extra["energy_sigma0_ev"] = *v;
        }
        break;
      case '-':
        if (contains(t, "Iteration")) {
          size_t open = t.find('(');
          double n;
          std::string_view rest = open == std::string_view::npos ? std::string_view() : t.substr(open + 1);
          if (next_number(rest, &n) && as_count(n)) electronic_in_step_ = *as_count(n);
        } else if (contains(t, "aborting loop because EDIFF is reached")) {
          ediff_reached_ = true;
        } else if (contains(t, "EDIFF was not reached")) {
          ediff_reached_ = false;
        }
        break;
      case 'E':
        if (starts(t, "EDIFF ") && !ediff_) {
          ediff_ = number_after(t, "=");
        } else if (starts(t, "E-fermi")) {
          if (auto v = number_after(t, "E-fermi")) d_.fermi_energy_ev = *v;
          // The eigenvalues and occupations of this step follow.
          start(Block::eigenvalues);
          vbm_.reset();
          cbm_.reset();
        } else if (starts(t, "Elapsed time (sec)")) {
          if (auto v = number_after(t, ":")) d_.wall_time_s = *v;
        } else {
          scan_vasp_messages(t, no, picker_);
        }
        break;
      case 'r':
        if (starts(t, "reached required accuracy")) d_.geometry_converged = true;
        break;
      case 'G':
        if (starts(t, "General timing and accounting")) completed_ = true;
        break;
      case 'T':
        if (starts(t, "TITEL")) {
          on_potcar_title(t.substr(5), titel_types_);
        } else if (starts(t, "Total CPU time used (sec)")) {
          if (auto v = number_after(t, ":")) d_.cpu_time_s = *v;
        } else {
          scan_vasp_messages(t, no, picker_);
        }
        break;
      default:
        scan_vasp_messages(t, no, picker_);
        break;
    }
  }

  ResultData finish() override {
    block_ = Block::none;
    d_.code = "vasp";
    d_.file_type = "OUTCAR";
    d_.native_unit = "eV";
    d_.total_energy_native = last_energy_;
    if (nelm_) d_.extra["nelm"] = *nelm_;
    set_species();
    if (vbm_ && cbm_) {
      d_.extra["vbm_ev"] = *vbm_;
      d_.extra["cbm_ev"] = *cbm_;
      d_.band_gap_ev = std::max(*cbm_ - *vbm_, 0.0);
    }
    if (d_.total_energy_native && *d_.total_energy_native > 0)
      picker_.warn("positive_energy", last_energy_line_, "final energy is positive");
    if (d_.scf_converged == false) report_unconverged_loop();
    const bool relaxing = ibrion_ && *ibrion_ >= 1 && *ibrion_ <= 3 && nsw_ && *nsw_ > 1;
    if (relaxing && !d_.geometry_converged) {
      d_.geometry_converged = false;
      if (completed_) picker_.report("geometry_not_converged", last_number_, "NSW ionic steps done without 'reached required accuracy'");
    }
    if (!completed_) report_truncated(picker_, "no 'General timing and accounting' block: the run did not finish");
    picker_.finish(d_);
    return std::move(d_);
  }

 private:
  void start(Block b) {
    block_ = b;
    rows_ = 0;
    pending_positions_.clear();
    pending_forces_.clear();
  }

  bool in_block(std::string_view t) {
    if (block_ == Block::eigenvalues) {
      if (t.empty() || starts(t, "spin component") || starts(t, "k-point") || starts(t, "band No.")) return true;
      double v[4];
      if (t[0] >= '0' && t[0] <= '9' && numbers_in(t, v, 4) == 3) {
        // pymatgen's rule (Vasprun.eigenvalue_band_properties): occupied
        // above 1e-8.
        if (v[2] > 1e-8) {
          if (!vbm_ || v[1] > *vbm_) vbm_ = v[1];
        } else if (!cbm_ || v[1] < *cbm_) {
          cbm_ = v[1];
        }
        return true;
      }
      block_ = Block::none;
      return false;
    }
    if (block_ == Block::cell) {
      double v[6];
      if (rows_ < 3 && numbers_in(t, v, 3) == 3) {
        for (int k = 0; k < 3; ++k) cell_[rows_][k] = v[k];
        if (++rows_ == 3) {
          d_.final_cell_angstrom = cell_;
          block_ = Block::none;
        }
        return true;
      }
    } else if (block_ == Block::ions) {
      if (starts(t, "---")) {
        if (pending_positions_.empty()) return true;
        d_.final_positions_angstrom = std::move(pending_positions_);
        d_.forces_ev_per_angstrom = std::move(pending_forces_);
        block_ = Block::none;
        return true;
      }
      double v[6];
      if (numbers_in(t, v, 6) == 6) {
        if (pending_positions_.size() < kMaxAtoms) {
          pending_positions_.push_back({v[0], v[1], v[2]});
          pending_forces_.push_back({v[3], v[4], v[5]});
        }
        return true;
      }
    }
    block_ = Block::none;
    return false;
  }

  // "TITEL  = PAW_PBE Fe_pv 06Sep2000" (once per type) or "POTCAR:
  // PAW_PBE Fe_pv 06Sep2000" (listed twice): the element is the second
  // word up to '_' or '.'.
  static void on_potcar_title(std::string_view rest, std::vector<std::string>& types) {
    rest = ltrim(rest);
    if (starts(rest, "=")) rest = ltrim(rest.substr(1));
    rest = ltrim(rest.substr(std::min(rest.find(' '), rest.size())));
    std::string_view word = rest.substr(0, std::min({rest.find(' '), rest.find('_'), rest.find('.'), rest.size()}));
    if (!word.empty() && types.size() < kMaxTypes) types.emplace_back(word.substr(0, kMaxSymbol));
  }

  void on_ions_per_type(std::string_view t) {
    size_t eq = t.find('=');
    if (eq == std::string_view::npos) return;
    std::string_view rest = t.substr(eq + 1);
    ions_per_type_.clear();
    double n;
    while (ions_per_type_.size() < kMaxTypes && next_number(rest, &n) && as_count(n))
      ions_per_type_.push_back(static_cast<size_t>(*as_count(n)));
  }

  // "number of electron  28.0000000 magnetization  1.2000000" (three
  // components in a noncollinear run: the length); nothing when ISPIN=1.
  void on_magnetization(std::string_view t) {
    size_t at = t.find("magnetization");
    if (at == std::string_view::npos) return;
    double v[3];
    size_t n = numbers_in(t.substr(at + 13), v, 3);
    if (n == 3) d_.total_magnetization = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    else if (n >= 1) d_.total_magnetization = v[0];
  }

  // One species per atom, from the POTCAR titles and "ions per type".
  void set_species() {
    std::vector<std::string>& types = !titel_types_.empty() ? titel_types_ : potcar_types_;
    // The POTCAR: lines list every type twice (header and POTCAR read).
    if (types == potcar_types_ && types.size() == 2 * ions_per_type_.size()) types.resize(ions_per_type_.size());
    if (types.size() != ions_per_type_.size()) return;
    std::vector<std::string> species;
    for (size_t k = 0; k < types.size(); ++k) {
      for (size_t i = 0; i < ions_per_type_[k] && species.size() < kMaxAtoms; ++i) species.push_back(types[k]);
    }
    if (species.size() == d_.final_positions_angstrom.size()) d_.symbols = std::move(species);
  }

  void on_stress(std::string_view t) {
    double v[6];
    if (numbers_in(t.substr(5), v, 6) != 6) return;
    // VASP order: XX YY ZZ XY YZ ZX.
    d_.stress_kbar = Mat3{Vec3{v[0], v[3], v[5]}, Vec3{v[3], v[1], v[4]}, Vec3{v[5], v[4], v[2]}};
  }

  void on_toten(std::string_view t, int64_t no) {
    auto v = number_after(t, "=");
    if (!v) return;
    last_energy_ = *v;
    last_energy_line_ = no;
    ++d_.n_ionic_steps;
    d_.add_ionic_energy(*v);
    d_.scf_converged = electronic_loop_converged();
    loop_change_ = last_change_;
    loop_change_line_ = change_line_;
    loop_change_text_ = change_text_;
    loop_steps_ = electronic_in_step_;
    if (electronic_in_step_ > 0) d_.n_scf_iterations = electronic_in_step_;
    ediff_reached_ = false;
    last_change_.reset();
  }

  // "total energy-change (2. order) : 0.12E-03  (-0.40E-04)": the change of
  // the free energy in this electronic step. A value VASP could not print
  // ("*****") is a large change.
  void on_energy_change(std::string_view t, int64_t no) {
    size_t colon = t.find(':');
    if (colon == std::string_view::npos) return;
    std::string_view rest = t.substr(colon + 1);
    double v;
    last_change_ = next_number(rest, &v) ? std::fabs(v) : HUGE_VAL;
    change_line_ = no;
    change_text_.assign(t.substr(0, std::min(t.size(), size_t{120})));
  }

  // Points at the last energy change of the last loop, with the evidence.
  void report_unconverged_loop() {
    const int64_t line = loop_change_line_ > 0 ? loop_change_line_ : last_energy_line_;
    char why[160];
    snprintf(why, sizeof why, " -- electronic loop of the last ionic step: %lld steps (NELM %g), |dE| %.3g vs EDIFF %g",
             static_cast<long long>(loop_steps_), nelm_.value_or(NAN), loop_change_.value_or(NAN),
             ediff_.value_or(NAN));
    picker_.report("scf_not_converged", line, loop_change_text_ + why);
  }

  // Whether the electronic loop that just ended reached EDIFF, from the
  // evidence: its last energy change against EDIFF, else its step count
  // against NELM. VASP 5.4 prints "aborting loop because EDIFF is reached"
  // also when the loop stopped at NELM far above EDIFF, so its words are
  // the last resort.
  bool electronic_loop_converged() const {
    if (last_change_ && ediff_) return *last_change_ < *ediff_;
    if (nelm_ && electronic_in_step_ > 0) return electronic_in_step_ < *nelm_;
    return ediff_reached_;
  }

  ResultData d_;
  DiagnosisPicker picker_;
  Block block_ = Block::none;
  int rows_ = 0;
  Mat3 cell_{};
  std::vector<Vec3> pending_positions_, pending_forces_;
  std::optional<double> last_energy_, nelm_, nsw_, ibrion_, ediff_, last_change_;
  int64_t last_energy_line_ = 0;
  int64_t change_line_ = 0, loop_change_line_ = 0, loop_steps_ = 0;
  std::string change_text_, loop_change_text_;
  std::optional<double> loop_change_;
  static constexpr size_t kMaxTypes = 128;
  std::vector<std::string> titel_types_, potcar_types_;
  std::vector<size_t> ions_per_type_;
  std::optional<double> vbm_, cbm_;  // of the last eigenvalue block
  int64_t electronic_in_step_ = 0;
  bool ediff_reached_ = false;
  bool completed_ = false;
};

}  // namespace

std::unique_ptr<CodeParser> make_outcar_parser() { return std::make_unique<OutcarParser>(); }

}  // namespace xrun::parse
