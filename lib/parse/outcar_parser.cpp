// VASP OUTCAR.
#include <algorithm>

#include "parse/code_parser.h"
#include "parse/text_scan.h"
#include "parse/vasp_messages.h"

namespace xrun::parse {

namespace {

enum class Block { none, cell, ions };

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
        break;
      case 'i':
        if (starts(t, "in kB")) on_stress(t);
        break;
      case 'f':
        if (starts(t, "free  energy   TOTEN")) on_toten(t, no);
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
          if (next_number(rest, &n)) electronic_in_step_ = static_cast<int64_t>(n);
        } else if (contains(t, "aborting loop because EDIFF is reached")) {
          ediff_reached_ = true;
        } else if (contains(t, "EDIFF was not reached")) {
          ediff_reached_ = false;
        }
        break;
      case 'E':
        if (starts(t, "E-fermi")) {
          if (auto v = number_after(t, "E-fermi")) d_.fermi_energy_ev = *v;
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
        if (starts(t, "Total CPU time used (sec)")) {
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
    if (d_.total_energy_native && *d_.total_energy_native > 0)
      picker_.warn("positive_energy", last_energy_line_, "final energy is positive");
    if (d_.scf_converged == false) {
      picker_.report("scf_not_converged", last_energy_line_,
                     "electronic loop of the last ionic step ended without reaching EDIFF");
    }
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
    d_.scf_converged = ediff_reached_;
    if (electronic_in_step_ > 0) d_.n_scf_iterations = electronic_in_step_;
    ediff_reached_ = false;
  }

  ResultData d_;
  DiagnosisPicker picker_;
  Block block_ = Block::none;
  int rows_ = 0;
  Mat3 cell_{};
  std::vector<Vec3> pending_positions_, pending_forces_;
  std::optional<double> last_energy_, nelm_, nsw_, ibrion_;
  int64_t last_energy_line_ = 0;
  int64_t electronic_in_step_ = 0;
  bool ediff_reached_ = false;
  bool completed_ = false;
};

}  // namespace

std::unique_ptr<CodeParser> make_outcar_parser() { return std::make_unique<OutcarParser>(); }

}  // namespace xrun::parse
