// Quantum ESPRESSO pw.x standard output (scf, nscf, bands, relax, vc-relax,
// md). Lines are dispatched on their first non-blank character so most are
// rejected after one comparison.
#include <algorithm>
#include <cmath>

#include "parse/code_parser.h"
#include "parse/qe_messages.h"
#include "parse/text_scan.h"
#include "parse/units.h"

namespace xrun::parse {

namespace {

constexpr int kMaxErrorLines = 40;

enum class Block { none, axes, sites, cell, positions, forces, stress, error };

// The starts of every line dispatch() acts on outside a block: keep in step
// with its switch (test_parse_robust parses the corpus and every fixture
// with and without this filter and requires the same result).
const LinePrefilter& qe_prefilter() {
  static const LinePrefilter filter = [] {
    LinePrefilter f({{"!", "%%"},
                     {"Pr", "PW", "la", "cr", "co", "c_", "CE", "AT", "th", "to", "hi", "Fo", "Fi", "To", "Th", "JO",
                      "Ma", "En", "Er", "bf", "BF", "si", "so", "ab", "nu"}});
    add_common_message_prefixes(f);
    return f;
  }();
  return filter;
}

class QeParser final : public CodeParser {
 public:
  QeParser() { set_prefilter(&qe_prefilter()); }

  void line(std::string_view raw, int64_t no) override {
    dispatch(raw, no);
    set_every_line(block_ != Block::none);
  }

 private:
  void dispatch(std::string_view raw, int64_t no) {
    std::string_view t = ltrim(raw);
    if (block_ != Block::none && in_block(t, no)) return;
    if (t.empty()) return;
    scan_common_messages(t, no, picker_);
    switch (t[0]) {
      case '!': on_bang(t); break;
      case 'P':
        if (starts(t, "Program PWSCF")) on_program(t);
        else if (starts(t, "PWSCF") && contains(t, "WALL")) on_timing(t);
        break;
      case 'l':
        if (starts(t, "lattice parameter (alat)")) {
          if (auto v = number_after(t, "=")) alat_bohr_ = *v;
        }
        break;
      case 'c':
        if (starts(t, "crystal axes:")) start(Block::axes);
        else if (starts(t, "convergence has been achieved")) on_scf_done(t);
        else if (starts(t, "convergence NOT achieved")) {
          d_.scf_converged = false;
          picker_.report("scf_not_converged", no, t);
        } else if (starts(t, "c_bands:") && contains(t, "not converged")) {
          picker_.warn("eigenvalues_not_converged", no, t);
        }
        break;
      case 'C':
        if (starts(t, "CELL_PARAMETERS")) on_cell_header(t);
        break;
      case 'A':
        if (starts(t, "ATOMIC_POSITIONS")) on_positions_header(t);
        break;
      case 't':
        if (starts(t, "the Fermi energy is")) {
          if (auto v = number_after(t, "is")) d_.fermi_energy_ev = *v;
        } else if (starts(t, "the spin up/dw Fermi energies are")) {
          double v[2];
          if (numbers_in(t.substr(33), v, 2) == 2) {
            d_.extra["fermi_energy_up_ev"] = v[0];
            d_.extra["fermi_energy_down_ev"] = v[1];
          }
        } else if (starts(t, "total   stress")) {
          if (auto p = number_after(t, "P=")) d_.extra["pressure_kbar"] = *p;
          start(Block::stress);
        } else if (starts(t, "total magnetization")) {
          on_total_magnetization(t);
        }
        break;
      case 'h':
        if (starts(t, "highest occupied, lowest unoccupied level")) {
          double v[2];
          size_t colon = t.find(':');
          if (colon != std::string_view::npos && numbers_in(t.substr(colon + 1), v, 2) == 2) {
            d_.homo_ev = v[0];
            d_.lumo_ev = v[1];
            d_.band_gap_ev = v[1] - v[0];
          }
        } else if (starts(t, "highest occupied level")) {
          size_t colon = t.find(':');
          double v;
          std::string_view rest = colon == std::string_view::npos ? std::string_view() : t.substr(colon + 1);
          if (next_number(rest, &v)) d_.homo_ev = v;
        } else if (starts(t, "history already reset")) {
          picker_.report("bfgs_history_failure", no, t);
        }
        break;
      case 'F':
        if (starts(t, "Forces acting on atoms")) {
          start(Block::forces);
          pending_vectors_.clear();
        } else if (starts(t, "Final energy")) {
          if (auto v = number_after(t, "=")) d_.extra["final_energy_native"] = *v;
        } else if (starts(t, "Final enthalpy")) {
          if (auto v = number_after(t, "=")) d_.extra["final_enthalpy_native"] = *v;
        }
        break;
      case 'T':
        if (starts(t, "Total force")) {
          if (auto v = number_after(t, "=")) d_.extra["total_force_ry_per_bohr"] = *v;
        } else if (starts(t, "The maximum number of steps has been reached")) {
          max_steps_line_ = no;
        }
        break;
      case 'a':
        if (starts(t, "absolute magnetization")) {
          if (auto v = number_after(t, "=")) d_.absolute_magnetization = *v;
        }
        break;
      case 'n':
        if (starts(t, "number of k points=")) {
          if (auto v = as_count(number_after(t, "="))) d_.n_kpoints = *v;
        }
        break;
      case 'J':
        if (starts(t, "JOB DONE")) job_done_ = true;
        break;
      case 'M':
        if (starts(t, "Maximum CPU time exceeded")) picker_.report("walltime_exceeded", no, t);
        break;
      case 'E':
        if (starts(t, "End of BFGS")) bfgs_ended_ = relax_ = true;
        else if (starts(t, "End of band structure calculation")) {
          if (!d_.scf_converged) d_.scf_converged = true;
        } else if (starts(t, "Error in routine")) on_error_routine(t, no);
        break;
      case 'b':
        if (starts(t, "bfgs converged")) d_.geometry_converged = true;
        break;
      case 'B':
        if (starts(t, "BFGS Geometry Optimization")) relax_ = true;
        break;
      case 's':
        if (starts(t, "site n.") && contains(t, "(alat units)")) {
          start(Block::sites);
          pending_vectors_.clear();
          pending_symbols_.clear();
        } else if (starts(t, "some nodes have no k-points")) {
          picker_.report("npools_too_high", no, t);
        }
        break;
      case '%':
        if (starts(t, "%%%%")) start(Block::error);
        break;
      default:
        break;
    }
  }

 public:
  ResultData finish() override {
    if (in_error_) close_error_block();
    finish_block();
    restore_energy_structure();
    read_kept_blocks();
    d_.code = "qe";
    d_.file_type = "pw.x stdout";
    d_.native_unit = "Ry";
    // Hybrid functionals print the EXX-converged energy on '!!' lines; the
    // '!' lines are then inner cycles.
    const bool hybrid = n_double_bang_ > 0;
    d_.total_energy_native = hybrid ? last_double_bang_ : last_bang_;
    d_.n_ionic_steps = hybrid ? n_double_bang_ : n_bang_;
    d_.ionic_energies_ev = hybrid ? std::move(double_bang_ev_) : std::move(bang_ev_);
    d_.ionic_energies_truncated = d_.n_ionic_steps > static_cast<int64_t>(d_.ionic_energies_ev.size());
    if (relax_ && !d_.geometry_converged) {
      d_.geometry_converged = false;
      if (max_steps_line_ > 0) {
        picker_.report("geometry_not_converged", max_steps_line_,
                       "The maximum number of steps has been reached.");
      } else if (job_done_ && bfgs_ended_) {
        picker_.report("geometry_not_converged", last_number_, "End of BFGS Geometry Optimization without convergence");
      }
    }
    if (!job_done_) report_truncated(picker_, "no 'JOB DONE.' line: the output ends early");
    picker_.finish(d_);
    // A run that failed before any SCF converged did not converge.
    if (!d_.scf_converged && diagnosis_is_failure(d_.diagnosis.code)) d_.scf_converged = false;
    return std::move(d_);
  }

 private:
  void start(Block b) {
    finish_block();
    block_ = b;
    rows_ = 0;
    if (b == Block::error) {
      in_error_ = true;
      error_routine_.clear();
      error_routine_line_ = 0;
    }
  }

  // Handles a line inside a block; false if the block ended and the line
  // should be dispatched normally.
  bool in_block(std::string_view t, int64_t no) {
    switch (block_) {
      case Block::axes: {
        if (t.empty()) return true;
        if (!starts(t, "a(") || rows_ >= 3) break;
        double v[4];
        if (numbers_in(t.substr(2), v, 4) == 4 && alat_bohr_ && !cell_from_parameters_) {
          Mat3& c = axes_;
          for (int k = 0; k < 3; ++k) c[rows_][k] = v[k + 1] * *alat_bohr_ * units::kAngstromPerBohr;
        }
        if (++rows_ == 3 && alat_bohr_ && !cell_from_parameters_) d_.final_cell_angstrom = axes_;
        return true;
      }
      case Block::sites: {
        if (t.empty() || !contains(t, "tau(")) break;
        if (pending_vectors_.size() >= kMaxAtoms) return true;
        double v[4];
        size_t eq = t.find('=');
        std::string_view rest = t.substr(eq == std::string_view::npos ? t.size() : eq + 1);
        if (numbers_in(rest, v, 3) == 3 && alat_bohr_) {
          const double s = *alat_bohr_ * units::kAngstromPerBohr;
          pending_vectors_.push_back({v[0] * s, v[1] * s, v[2] * s});
          std::string_view after_index = ltrim(t.substr(std::min(t.find(' '), t.size())));
          pending_symbols_.emplace_back(after_index.substr(0, std::min({after_index.find(' '), after_index.size(), kMaxSymbol})));
        }
        return true;
      }
      case Block::cell: {
        if (rows_ >= 3) break;
        double v[3];
        if (numbers_in(t, v, 3) != 3) break;
        for (int k = 0; k < 3; ++k) pending_cell_[rows_][k] = v[k] * cell_scale_;
        if (++rows_ == 3) {
          d_.final_cell_angstrom = pending_cell_;
          cell_from_parameters_ = true;
        }
        return true;
      }
      case Block::positions: {
        if (t.empty() || starts(t, "End") || starts(t, "CELL_") || starts(t, "ATOMIC_")) break;
        keep_raw_row(t);
        return true;
      }
      case Block::forces: {
        if (t.empty() && raw_rows_ == 0) return true;
        if (!starts(t, "atom") || !contains(t, "force")) break;
        keep_raw_row(t);
        return true;
      }
      case Block::stress: {
        double v[6];
        if (rows_ >= 3 || numbers_in(t, v, 6) != 6) break;
        for (int k = 0; k < 3; ++k) pending_cell_[rows_][k] = v[k + 3];
        if (++rows_ == 3) d_.stress_kbar = pending_cell_;
        return true;
      }
      case Block::error: {
        // A stray "%%%%" must not swallow the rest of the file.
        if (++rows_ > kMaxErrorLines) {
          close_error_block();
          break;
        }
        if (starts(t, "%%%%")) {
          close_error_block();
          block_ = Block::none;
          return true;
        }
        if (t.empty() || starts(t, "task #")) return true;
        if (starts(t, "Error in routine") || starts(t, "from ")) {
          error_routine_ = std::string(t.substr(0, 120));
          error_routine_line_ = no;
          return true;
        }
        on_error_message(t, no);
        if (error_outside_block_) {
          close_error_block();
          block_ = Block::none;
        }
        return true;
      }
      case Block::none: break;
    }
    finish_block();
    block_ = Block::none;
    return false;
  }

  // Positions and forces are printed at every ionic step but only the last
  // block counts: its rows are kept as text and read once, in finish().
  void keep_raw_row(std::string_view t) {
    if (raw_rows_ >= kMaxAtoms) return;
    raw_.append(t.data(), std::min(t.size(), kMaxRawRow));
    raw_.push_back('\n');
    ++raw_rows_;
  }

  // Commits what a finished block collected.
  void finish_block() {
    if (block_ == Block::sites) {
      if (!pending_vectors_.empty()) {
        d_.final_positions_angstrom = std::move(pending_vectors_);
        d_.symbols = std::move(pending_symbols_);
        positions_raw_.clear();
      }
    } else if (block_ == Block::positions && raw_rows_ > 0) {
      positions_raw_.swap(raw_);
      positions_cell_ = d_.final_cell_angstrom;
      positions_alat_ = alat_bohr_;
      positions_raw_unit_ = positions_unit_;
    } else if (block_ == Block::forces && raw_rows_ > 0) {
      forces_raw_.swap(raw_);
    }
    raw_.clear();
    raw_rows_ = 0;
    pending_vectors_.clear();
    pending_symbols_.clear();
    block_ = Block::none;
  }

  void read_kept_blocks() {
    if (!positions_raw_.empty()) {
      std::vector<Vec3> positions;
      std::vector<std::string> symbols;
      for_each_row(positions_raw_, [&](std::string_view row) {
        size_t sp = row.find_first_of(" \t");
        if (sp == std::string_view::npos) return;
        double v[3];
        if (numbers_in(row.substr(sp), v, 3) != 3) return;
        positions.push_back(convert_position({v[0], v[1], v[2]}));
        symbols.emplace_back(row.substr(0, std::min(sp, kMaxSymbol)));
      });
      if (!positions.empty()) {
        d_.final_positions_angstrom = std::move(positions);
        d_.symbols = std::move(symbols);
      }
    }
    if (!forces_raw_.empty()) {
      std::vector<Vec3> forces;
      for_each_row(forces_raw_, [&](std::string_view row) {
        size_t eq = row.find('=');
        double v[3];
        if (eq == std::string_view::npos || numbers_in(row.substr(eq + 1), v, 3) != 3) return;
        const double s = units::kEvPerAngstromPerRyPerBohr;
        forces.push_back({v[0] * s, v[1] * s, v[2] * s});
      });
      if (!forces.empty()) d_.forces_ev_per_angstrom = std::move(forces);
    }
  }

  template <typename Fn>
  static void for_each_row(std::string_view text, Fn fn) {
    while (!text.empty()) {
      size_t nl = text.find('\n');
      fn(text.substr(0, nl));
      if (nl == std::string_view::npos) break;
      text.remove_prefix(nl + 1);
    }
  }

  Vec3 convert_position(Vec3 p) const {
    switch (positions_raw_unit_) {
      case 'a':  // alat
        if (positions_alat_) {
          for (double& x : p) x *= *positions_alat_ * units::kAngstromPerBohr;
        }
        break;
      case 'b':
        for (double& x : p) x *= units::kAngstromPerBohr;
        break;
      case 'c':  // crystal: fractions of the cell current at that block
        if (positions_cell_) {
          const Mat3& c = *positions_cell_;
          Vec3 f = p;
          for (int k = 0; k < 3; ++k) p[k] = f[0] * c[0][k] + f[1] * c[1][k] + f[2] * c[2][k];
        }
        break;
      default:  // angstrom
        break;
    }
    return p;
  }

  // The final structure is the one whose energy was computed last: pw.x
  // prints the next step's ATOMIC_POSITIONS after an energy, and a run cut
  // short (or an MD) ends with positions no energy belongs to. Each '!'
  // line keeps the structure it belongs to (ASE and pymatgen do the same).
  void keep_energy_structure() {
    energy_.have = true;
    energy_.positions_raw = positions_raw_;
    energy_.positions_cell = positions_cell_;
    energy_.positions_alat = positions_alat_;
    energy_.positions_unit = positions_raw_unit_;
    energy_.sites = d_.final_positions_angstrom;
    energy_.symbols = d_.symbols;
    energy_.cell = d_.final_cell_angstrom;
  }

  void restore_energy_structure() {
    if (!energy_.have) return;
    positions_raw_ = std::move(energy_.positions_raw);
    positions_cell_ = energy_.positions_cell;
    positions_alat_ = energy_.positions_alat;
    positions_raw_unit_ = energy_.positions_unit;
    d_.final_positions_angstrom = std::move(energy_.sites);
    d_.symbols = std::move(energy_.symbols);
    d_.final_cell_angstrom = energy_.cell;
  }

  void on_bang(std::string_view t) {
    const bool dbl = starts(t, "!!");
    if (!contains(t, "total energy")) return;
    auto v = number_after(t, "=");
    if (!v) return;
    keep_energy_structure();
    if (dbl) {
      ++n_double_bang_;
      last_double_bang_ = *v;
      if (double_bang_ev_.size() < kMaxIonicEnergies) double_bang_ev_.push_back(*v * units::kEvPerRydberg);
    } else {
      ++n_bang_;
      last_bang_ = *v;
      if (bang_ev_.size() < kMaxIonicEnergies) bang_ev_.push_back(*v * units::kEvPerRydberg);
    }
  }

  void on_program(std::string_view t) {
    size_t v = t.find("v.");
    if (v != std::string_view::npos) {
      std::string_view rest = t.substr(v + 2);
      set_version(d_, rest.substr(0, std::min({rest.find(' '), rest.size(), size_t{64}})));
    }
    cell_from_parameters_ = false;  // a new run starts (concatenated outputs)
  }

  void on_timing(std::string_view t) {
    size_t colon = t.find(':');
    size_t cpu = t.find("CPU");
    size_t wall = t.find("WALL");
    if (colon == std::string_view::npos || cpu == std::string_view::npos || wall == std::string_view::npos ||
        !(colon < cpu && cpu < wall))
      return;
    if (auto c = parse_duration(t.substr(colon + 1, cpu - colon - 1))) d_.cpu_time_s = *c;
    if (auto w = parse_duration(t.substr(cpu + 3, wall - cpu - 3))) d_.wall_time_s = *w;
  }

  // "= 2.03 Bohr mag/cell", or three components in a noncollinear run:
  // then the length of the vector.
  void on_total_magnetization(std::string_view t) {
    size_t eq = t.find('=');
    if (eq == std::string_view::npos) return;
    double v[3];
    size_t n = numbers_in(t.substr(eq + 1), v, 3);
    if (n == 3) d_.total_magnetization = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    else if (n >= 1) d_.total_magnetization = v[0];
  }

  void on_scf_done(std::string_view t) {
    d_.scf_converged = true;
    if (auto n = as_count(number_after(t, "in"))) d_.n_scf_iterations = *n;
  }

  void on_cell_header(std::string_view t) {
    start(Block::cell);
    cell_scale_ = 1.0;
    if (contains(t, "bohr")) {
      cell_scale_ = units::kAngstromPerBohr;
    } else if (contains(t, "alat")) {
      if (auto a = number_after(t, "alat=")) alat_bohr_ = *a;
      cell_scale_ = alat_bohr_ ? *alat_bohr_ * units::kAngstromPerBohr : NAN;
    }
  }

  void on_positions_header(std::string_view t) {
    start(Block::positions);
    if (contains(t, "crystal")) positions_unit_ = 'c';
    else if (contains(t, "bohr")) positions_unit_ = 'b';
    else if (contains(t, "alat")) positions_unit_ = 'a';
    else positions_unit_ = 'A';
  }

  void on_error_routine(std::string_view t, int64_t no) {
    // An "Error in routine" outside a %%%% block (e.g. on stderr).
    error_routine_ = std::string(t.substr(0, 120));
    error_routine_line_ = no;
    finish_block();
    in_error_ = true;
    error_outside_block_ = true;
    rows_ = 0;
    block_ = Block::error;
  }

  void on_error_message(std::string_view t, int64_t no) {
    std::string text = error_routine_.empty() ? std::string(t) : error_routine_ + " " + std::string(t);
    std::string_view code = classify_qe_error(error_routine_, t);
    picker_.report(code, no, text);
    error_reported_ = true;
  }

  void close_error_block() {
    if (!error_reported_ && !error_routine_.empty()) {
      picker_.report("crashed", error_routine_line_, error_routine_);
    }
    in_error_ = false;
    error_outside_block_ = false;
    error_reported_ = false;
    error_routine_.clear();
  }

  ResultData d_;
  DiagnosisPicker picker_;
  Block block_ = Block::none;
  int rows_ = 0;
  std::optional<double> alat_bohr_;
  Mat3 axes_{};
  Mat3 pending_cell_{};
  double cell_scale_ = 1.0;
  bool cell_from_parameters_ = false;
  char positions_unit_ = 'A';
  std::vector<Vec3> pending_vectors_;
  std::vector<std::string> pending_symbols_;
  std::string raw_, positions_raw_, forces_raw_;
  size_t raw_rows_ = 0;
  std::optional<Mat3> positions_cell_;
  std::optional<double> positions_alat_;
  char positions_raw_unit_ = 'A';
  struct EnergyStructure {
    bool have = false;
    std::string positions_raw;
    std::optional<Mat3> positions_cell, cell;
    std::optional<double> positions_alat;
    char positions_unit = 'A';
    std::vector<Vec3> sites;
    std::vector<std::string> symbols;
  } energy_;
  int64_t n_bang_ = 0, n_double_bang_ = 0;
  std::optional<double> last_bang_, last_double_bang_;
  std::vector<double> bang_ev_, double_bang_ev_;
  bool job_done_ = false, relax_ = false, bfgs_ended_ = false;
  int64_t max_steps_line_ = 0;
  bool in_error_ = false, error_reported_ = false, error_outside_block_ = false;
  std::string error_routine_;
  int64_t error_routine_line_ = 0;
};

}  // namespace

std::unique_ptr<CodeParser> make_qe_parser() { return std::make_unique<QeParser>(); }

}  // namespace xrun::parse
