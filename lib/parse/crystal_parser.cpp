// CRYSTAL14/17 main output (SCF and OPTGEOM runs).
#include <algorithm>

#include "parse/code_parser.h"
#include "parse/crystal_messages.h"
#include "parse/text_scan.h"
#include "parse/units.h"

namespace xrun::parse {

namespace {

enum class Block { none, cell, positions, forces };

class CrystalParser final : public CodeParser {
 public:
  void line(std::string_view raw, int64_t no) override {
    std::string_view t = ltrim(raw);
    if (block_ != Block::none && in_block(t)) return;
    if (t.empty()) return;
    scan_common_messages(t, no, picker_);
    switch (t[0]) {
      case '*':
        if (starts(t, "* OPT END")) on_opt_end(t, no);
        else if (!d_.program_version) on_banner(t);
        break;
      case '=':
        if (starts(t, "== SCF ENDED")) on_scf_ended(t, no);
        break;
      case 'T':
        if (starts(t, "TOTAL ENERGY(")) on_total_energy(t);
        else if (starts(t, "TTTTTTTTTT")) on_timing(t);
        else if (starts(t, "TOP OF VALENCE BANDS")) fermi_pending_.reset();
        break;
      case 'P':
        if (starts(t, "POSSIBLY CONDUCTING STATE - EFERMI(AU)")) {
          if (auto v = number_after(t, "EFERMI(AU)")) fermi_pending_ = *v * units::kEvPerHartree;
        }
        break;
      case 'D':
        if (starts(t, "DIRECT LATTICE VECTORS CARTESIAN COMPONENTS (ANGSTROM)")) start(Block::cell);
        else if (starts(t, "DIRECT ENERGY BAND GAP:")) on_cycle_gap(t);
        break;
      case 'I':
        if (starts(t, "INDIRECT ENERGY BAND GAP:")) on_cycle_gap(t);
        else if (contains(t, "OPTIMIZATION - POINT")) ++opt_points_;
        break;
      case 'B':
        if (starts(t, "BAND GAP:")) on_summary_gap(t, "band_gap_summary_ev");
        else if (starts(t, "BETA BAND GAP:")) on_summary_gap(t, "band_gap_beta_ev");
        else check_messages(t, no);
        break;
      case 'A':
        if (starts(t, "ALPHA BAND GAP:")) on_summary_gap(t, "band_gap_alpha_ev");
        else if (contains(t, "OPTIMIZATION - POINT")) ++opt_points_;
        break;
      case 'C':
        if (starts(t, "CARTESIAN COORDINATES - PRIMITIVE CELL")) start(Block::positions);
        else if (starts(t, "CARTESIAN FORCES IN HARTREE/BOHR")) start(Block::forces);
        else if (contains(t, "OPTIMIZATION - POINT")) ++opt_points_;
        else if (starts(t, "CONVERGENCE TESTS UNSATISFIED")) picker_.report("geometry_not_converged", no, t);
        break;
      case 'F':
        if (contains(t, "OPTIMIZATION - POINT")) ++opt_points_;
        break;
      case 'E':
        if (starts(t, "EEEEEEEEEE TERMINATION")) terminated_ = true;
        else if (starts(t, "ERROR")) check_messages(t, no);
        break;
      case 'S':
        if (starts(t, "SCF abnormal end")) {
          picker_.report("scf_abnormal_end", no, t);
        } else if (starts(t, "SHRINK.") && contains(t, "K POINTS IN THE IBZ")) {
          if (auto n = as_count(number_after(t, "K POINTS IN THE IBZ"))) d_.n_kpoints = *n;
        }
        break;
      case 'W':
        if (starts(t, "Wavefunction file can not be found")) picker_.report("missing_file", no, t);
        break;
      case 'a':
        if (starts(t, "application called MPI_Abort")) picker_.report("mpi_abort", no, t);
        break;
      default:
        break;
    }
  }

  ResultData finish() override {
    finish_block();
    d_.code = "crystal";
    d_.file_type = "CRYSTAL output";
    d_.native_unit = "Ha";
    d_.total_energy_native = last_energy_;
    d_.fermi_energy_ev = fermi_pending_;
    if (opt_end_points_ > 0) {
      d_.n_ionic_steps = opt_end_points_;
    } else if (opt_points_ > 0) {
      d_.n_ionic_steps = opt_points_;
    } else {
      d_.n_ionic_steps = last_energy_ ? 1 : 0;
    }
    // The summary after an optimisation is the final word on the gap; a
    // spin-polarised run prints one per spin, and the smaller is the gap.
    auto& x = d_.extra;
    if (x.count("band_gap_summary_ev")) {
      d_.band_gap_ev = x["band_gap_summary_ev"];
    } else if (x.count("band_gap_alpha_ev") && x.count("band_gap_beta_ev")) {
      d_.band_gap_ev = std::min(x["band_gap_alpha_ev"], x["band_gap_beta_ev"]);
    } else if (last_cycle_gap_) {
      d_.band_gap_ev = last_cycle_gap_;
    }
    if (opt_points_ > 0 && !d_.geometry_converged) d_.geometry_converged = false;
    if (!terminated_) report_truncated(picker_, "no 'EEEEEEEEEE TERMINATION' line: the output ends early");
    picker_.finish(d_);
    if (!d_.scf_converged && diagnosis_is_failure(d_.diagnosis.code)) d_.scf_converged = false;
    return std::move(d_);
  }

 private:
  void start(Block b) {
    finish_block();
    block_ = b;
    rows_ = 0;
    pending_.clear();
    pending_symbols_.clear();
  }

  bool in_block(std::string_view t) {
    switch (block_) {
      case Block::cell: {
        if (starts(t, "X") || t.empty()) {
          if (rows_ == 0) return true;
        }
        double v[3];
        if (rows_ < 3 && numbers_in(t, v, 3) == 3) {
          for (int k = 0; k < 3; ++k) cell_[rows_][k] = v[k];
          if (++rows_ == 3) {
            d_.final_cell_angstrom = cell_;
            block_ = Block::none;
          }
          return true;
        }
        break;
      }
      case Block::positions:
      case Block::forces: {
        if (t.empty() && pending_.empty()) return true;
        if (starts(t, "*") || starts(t, "ATOM")) return pending_.empty();
        if (t.empty() || t[0] < '0' || t[0] > '9') break;
        if (pending_.size() >= kMaxAtoms) return true;
        double v[6];
        size_t n = numbers_in(t, v, 6);
        if (n < 5) break;
        const double s = block_ == Block::forces ? units::kEvPerAngstromPerHaPerBohr : 1.0;
        pending_.push_back({v[n - 3] * s, v[n - 2] * s, v[n - 1] * s});
        if (block_ == Block::positions) {
          // "1    12 MG    x y z": the symbol is the third field.
          std::string_view rest = t;
          for (int field = 0; field < 2; ++field) {
            rest = ltrim(rest.substr(std::min(rest.find(' '), rest.size())));
          }
          // CRYSTAL prints "MG": the element is written "Mg".
          std::string symbol(rest.substr(0, std::min({rest.find(' '), rest.size(), kMaxSymbol})));
          for (size_t k = 1; k < symbol.size(); ++k) {
            if (symbol[k] >= 'A' && symbol[k] <= 'Z') symbol[k] = static_cast<char>(symbol[k] - 'A' + 'a');
          }
          pending_symbols_.push_back(std::move(symbol));
        }
        return true;
      }
      case Block::none: break;
    }
    finish_block();
    return false;
  }

  void finish_block() {
    if (block_ == Block::positions && !pending_.empty()) {
      d_.final_positions_angstrom = std::move(pending_);
      d_.symbols = std::move(pending_symbols_);
    } else if (block_ == Block::forces && !pending_.empty()) {
      d_.forces_ev_per_angstrom = std::move(pending_);
    }
    pending_.clear();
    pending_symbols_.clear();
    block_ = Block::none;
  }

  void on_banner(std::string_view t) {
    size_t at = t.find("CRYSTAL");
    if (at == std::string_view::npos || at + 9 > t.size()) return;
    std::string_view name = t.substr(at, 9);
    if (name[7] >= '0' && name[7] <= '9' && name[8] >= '0' && name[8] <= '9') {
      d_.program_version = std::string(name);
    }
  }

  void on_scf_ended(std::string_view t, int64_t no) {
    if (auto e = number_after(t, "E(AU)")) last_energy_ = *e;
    auto c = number_after(t, "CYCLES");
    if (auto n = as_count(c)) d_.n_scf_iterations = *n;
    after_scf_ended_ = true;
    scf_ended_had_count_ = c.has_value();
    if (contains(t, "CONVERGENCE")) {
      d_.scf_converged = true;
    } else {
      d_.scf_converged = false;
      picker_.report("scf_not_converged", no, t);
    }
  }

  void on_total_energy(std::string_view t) {
    size_t at = t.find("(AU)(");
    if (at == std::string_view::npos) return;
    size_t close = t.find(')', at + 5);
    if (close == std::string_view::npos) return;
    std::string_view rest = t.substr(close + 1);
    double e;
    if (!next_number(rest, &e)) return;
    last_energy_ = e;
    d_.add_ionic_energy(e * units::kEvPerHartree);
    // "TOTAL ENERGY(HF)(AU)(  10)": the SCF that just ended took 10 cycles;
    // "SCF ENDED - TOO MANY CYCLES" itself gives no count.
    if (after_scf_ended_ && !scf_ended_had_count_) {
      std::string_view count = t.substr(at + 5);
      double n;
      if (next_number(count, &n) && as_count(n)) d_.n_scf_iterations = *as_count(n);
    }
    after_scf_ended_ = false;
  }

  void on_opt_end(std::string_view t, int64_t no) {
    if (auto p = as_count(number_after(t, "POINTS"))) opt_end_points_ = *p;
    if (contains(t, "CONVERGED")) {
      d_.geometry_converged = true;
    } else {
      d_.geometry_converged = false;
      picker_.report("geometry_not_converged", no, t);
    }
  }

  void on_timing(std::string_view t) {
    std::string_view rest = ltrim(t.substr(std::min(t.find(' '), t.size())));
    if (!starts(rest, "END ")) return;
    if (auto w = number_after(rest, "TELAPSE")) d_.wall_time_s = *w;
    if (auto c = number_after(rest, "TCPU")) d_.cpu_time_s = *c;
  }

  void on_cycle_gap(std::string_view t) {
    if (auto g = number_after(t, "GAP:")) last_cycle_gap_ = *g;
  }

  void on_summary_gap(std::string_view t, const char* key) {
    if (auto g = number_after(t, "GAP:")) d_.extra[key] = *g;
  }

  void check_messages(std::string_view t, int64_t no) {
    std::string_view code = crystal_message_code(t);
    if (!code.empty()) {
      picker_.report(code, no, t);
    } else if (starts(t, "ERROR")) {
      picker_.report("crashed", no, t);
    }
  }

  ResultData d_;
  DiagnosisPicker picker_;
  Block block_ = Block::none;
  int rows_ = 0;
  Mat3 cell_{};
  std::vector<Vec3> pending_;
  std::vector<std::string> pending_symbols_;
  std::optional<double> last_energy_, fermi_pending_, last_cycle_gap_;
  int64_t opt_points_ = 0, opt_end_points_ = 0;
  bool terminated_ = false;
  bool after_scf_ended_ = false, scf_ended_had_count_ = false;
};

}  // namespace

std::unique_ptr<CodeParser> make_crystal_parser() { return std::make_unique<CrystalParser>(); }

}  // namespace xrun::parse
