// VASP vasprun.xml, read line by line: VASP writes one element per line, so
// no XML tree is built and memory stays bounded.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "parse/code_parser.h"
#include "parse/text_scan.h"

namespace xrun::parse {

namespace {

enum class Block { none, basis, positions, forces, stress, eigenvalues, kpoints };

// The text between the first '>' and the next '<'.
std::string_view element_text(std::string_view t) {
  size_t gt = t.find('>');
  if (gt == std::string_view::npos) return {};
  std::string_view rest = t.substr(gt + 1);
  return trim(rest.substr(0, std::min(rest.find('<'), rest.size())));
}

std::optional<double> element_number(std::string_view t) {
  std::string_view text = element_text(t);
  double v;
  if (!next_number(text, &v)) return std::nullopt;
  return v;
}

class VasprunParser final : public CodeParser {
 public:
  void line(std::string_view raw, int64_t no) override {
    std::string_view t = ltrim(raw);
    if (t.size() < 2 || t[0] != '<') return;
    if (block_ != Block::none && in_block(t)) return;
    switch (t[1]) {
      case 'i':
        if (starts(t, "<i ")) on_item(t);
        else if (starts(t, "<incar")) in_incar_ = true;
        break;
      case 'c':
        if (starts(t, "<calculation")) {
          ++d_.n_ionic_steps;
          scsteps_ = 0;
        }
        break;
      case 's':
        if (starts(t, "<scstep")) {
          ++scsteps_;
          in_scstep_ = true;
        } else if (starts(t, "<separator")) {
          on_separator(t);
        } else if (starts(t, "<structure")) {
          in_structure_ = !contains(t, "primitive_cell");
          have_basis_ = false;
          pending_positions_.clear();
        }
        break;
      case 'v':
        if (starts(t, "<varray")) on_varray(t);
        break;
      case 'e':
        if (starts(t, "<eigenvalues") && projected_depth_ == 0) {
          start(Block::eigenvalues);
          vbm_.reset();
          cbm_.reset();
        }
        break;
      case 'a':
        if (starts(t, "<array")) {
          in_atoms_ = contains(t, "name=\"atoms\"");
          in_atomtypes_ = contains(t, "name=\"atomtypes\"");
        }
        break;
      case 'r':
        if (in_atoms_ && starts(t, "<rc><c>")) on_atom_row(t);
        else if (in_atomtypes_ && starts(t, "<rc><c>")) on_atomtype_row(t);
        break;
      case 'p':
        if (starts(t, "<projected")) ++projected_depth_;
        else if (starts(t, "<parameters")) in_parameters_ = true;
        break;
      case '/':
        on_close(t, no);
        break;
      default:
        break;
    }
  }

  ResultData finish() override {
    d_.code = "vasp";
    d_.file_type = "vasprun.xml";
    d_.native_unit = "eV";
    d_.total_energy_native = last_energy_;
    if (!nelm_) nelm_ = incar_nelm_;
    if (!nsw_) nsw_ = incar_nsw_;
    if (!ibrion_) ibrion_ = incar_ibrion_;
    if (nelm_) d_.extra["nelm"] = *nelm_;
    if (type_species_.size() == d_.final_positions_angstrom.size()) d_.symbols = std::move(type_species_);
    else if (species_.size() == d_.final_positions_angstrom.size()) d_.symbols = std::move(species_);
    if (d_.n_ionic_steps > 0 && nelm_) {
      // The last electronic loop used all NELM steps: not converged (the
      // rule of pymatgen's Vasprun.converged_electronic).
      d_.scf_converged = last_scsteps_ < *nelm_;
      d_.n_scf_iterations = last_scsteps_;
    }
    const bool relaxing = ibrion_ && *ibrion_ >= 1 && *ibrion_ <= 3 && nsw_ && *nsw_ > 1;
    if (relaxing && completed_) d_.geometry_converged = d_.n_ionic_steps < *nsw_;
    if (vbm_ && cbm_) {
      d_.extra["vbm_ev"] = *vbm_;
      d_.extra["cbm_ev"] = *cbm_;
      d_.band_gap_ev = std::max(*cbm_ - *vbm_, 0.0);
    }
    if (d_.scf_converged == false) {
      picker_.report("scf_not_converged", last_calc_line_, "the last electronic loop reached NELM");
    }
    if (d_.geometry_converged == false) {
      picker_.report("geometry_not_converged", last_calc_line_, "NSW ionic steps done");
    }
    if (!completed_) report_truncated(picker_, "no '</modeling>': the run did not finish");
    picker_.finish(d_);
    return std::move(d_);
  }

 private:
  void start(Block b) {
    block_ = b;
    rows_ = 0;
    pending_.clear();
  }

  void on_item(std::string_view t) {
    if (contains(t, "name=\"e_fr_energy\"")) {
      if (auto v = element_number(t)) {
        last_energy_ = *v;
        if (!in_scstep_) step_energy_ = *v;
      }
    } else if (contains(t, "name=\"e_0_energy\"")) {
      // VASP 5 writes a wrong e_0_energy in the block that closes a
      // calculation (pymatgen reads it from the last electronic step too).
      if (in_scstep_) {
        if (auto v = element_number(t)) d_.extra["energy_sigma0_ev"] = *v;
      }
    } else if (contains(t, "name=\"efermi\"")) {
      if (auto v = element_number(t)) d_.fermi_energy_ev = *v;
    } else if (contains(t, "name=\"version\"")) {
      std::string_view v = element_text(t);
      set_version(d_, v.substr(0, 80));
    } else if (in_parameters_) {
      // A parameter counts only in its own separator: NELM also appears in
      // "response functions" (the GW block), with another meaning.
      if (contains(t, "name=\"NELM\"") && in_separator("electronic convergence")) nelm_ = element_number(t);
      else if (contains(t, "name=\"NSW\"") && in_separator("ionic")) nsw_ = element_number(t);
      else if (contains(t, "name=\"IBRION\"") && in_separator("ionic")) ibrion_ = element_number(t);
    } else if (in_incar_) {
      // What the user asked for; <parameters> (the values VASP used) wins.
      if (contains(t, "name=\"NELM\"")) incar_nelm_ = element_number(t);
      else if (contains(t, "name=\"NSW\"")) incar_nsw_ = element_number(t);
      else if (contains(t, "name=\"IBRION\"")) incar_ibrion_ = element_number(t);
    }
  }

  // <rc><c>Fe</c><c>   1</c></rc> in <atominfo>'s "atoms" array.
  void on_atom_row(std::string_view t) {
    std::string_view rest = t.substr(7);
    std::string_view name = trim(rest.substr(0, std::min(rest.find('<'), rest.size())));
    if (species_.size() < kMaxAtoms) species_.emplace_back(name.substr(0, kMaxSymbol));
  }

  // <rc><c>   8</c><c>X </c><c> 131.294</c><c> 8.0</c><c> PAW_PBE Xe 07Sep2000 </c></rc>
  // in "atomtypes": the count and the element of the POTCAR, which is right
  // where the short name is not (VASP writes "X" for Xe).
  void on_atomtype_row(std::string_view t) {
    std::string_view cells[5];
    size_t n = 0;
    for (size_t at = t.find("<c>"); at != std::string_view::npos && n < 5; at = t.find("<c>", at)) {
      at += 3;
      size_t end = t.find("</c>", at);
      if (end == std::string_view::npos) break;
      cells[n++] = trim(t.substr(at, end - at));
    }
    if (n < 5) return;
    double count;
    std::string_view c0 = cells[0];
    if (!next_number(c0, &count) || !as_count(count)) return;
    std::string_view title = cells[4];  // "PAW_PBE Xe 07Sep2000"
    title = ltrim(title.substr(std::min(title.find(' '), title.size())));
    std::string_view element = title.substr(0, std::min({title.find(' '), title.find('_'), title.find('.'), title.size()}));
    if (element.empty()) element = cells[1];
    for (int64_t i = 0; i < *as_count(count) && type_species_.size() < kMaxAtoms; ++i)
      type_species_.emplace_back(element.substr(0, kMaxSymbol));
  }

  // <separator name="electronic convergence" >: entered; </separator> leaves.
  void on_separator(std::string_view t) {
    if (separators_.size() >= kMaxSeparatorDepth) {
      ++separators_overflow_;
      return;
    }
    size_t at = t.find("name=\"");
    std::string_view name;
    if (at != std::string_view::npos) {
      name = t.substr(at + 6);
      name = name.substr(0, std::min({name.find('"'), name.size(), size_t{64}}));
    }
    separators_.emplace_back(name);
  }

  bool in_separator(std::string_view name) const { return !separators_.empty() && separators_.back() == name; }

  void on_varray(std::string_view t) {
    if (contains(t, "name=\"basis\"") && in_structure_) start(Block::basis);
    else if (contains(t, "name=\"positions\"") && in_structure_) start(Block::positions);
    else if (contains(t, "name=\"forces\"")) start(Block::forces);
    else if (contains(t, "name=\"stress\"")) start(Block::stress);
    else if (contains(t, "name=\"kpointlist\"") && !d_.n_kpoints) start(Block::kpoints);
  }

  bool in_block(std::string_view t) {
    if (block_ == Block::eigenvalues) {
      if (starts(t, "</eigenvalues")) {
        block_ = Block::none;
        return true;
      }
      if (starts(t, "<r>")) {
        double v[3];
        if (numbers_in(t.substr(3), v, 3) == 2) {
          // pymatgen's occupation tolerance for band edges.
          if (v[1] > 1e-8) {
            if (!vbm_ || v[0] > *vbm_) vbm_ = v[0];
          } else {
            if (!cbm_ || v[0] < *cbm_) cbm_ = v[0];
          }
        }
      }
      return true;
    }
    if (starts(t, "<v")) {
      double v[3];
      if (numbers_in(element_text(t), v, 3) == 3) {
        if (block_ == Block::kpoints) {
          ++rows_;
        } else if (block_ == Block::basis && rows_ < 3) {
          basis_[rows_++] = {v[0], v[1], v[2]};
          if (rows_ == 3) have_basis_ = true;
        } else if (pending_.size() < kMaxAtoms) {
          pending_.push_back({v[0], v[1], v[2]});
        }
      }
      return true;
    }
    if (starts(t, "</varray")) {
      switch (block_) {
        case Block::positions: pending_positions_ = std::move(pending_); break;
        case Block::kpoints: d_.n_kpoints = rows_; break;
        case Block::forces: d_.forces_ev_per_angstrom = std::move(pending_); break;
        case Block::stress:
          if (pending_.size() == 3) d_.stress_kbar = Mat3{pending_[0], pending_[1], pending_[2]};
          break;
        default: break;
      }
      pending_.clear();
      block_ = Block::none;
      return true;
    }
    return false;
  }

  void on_close(std::string_view t, int64_t no) {
    if (starts(t, "</array")) {
      in_atoms_ = in_atomtypes_ = false;
    } else if (starts(t, "</separator")) {
      if (separators_overflow_ > 0) --separators_overflow_;
      else if (!separators_.empty()) separators_.pop_back();
    } else if (starts(t, "</parameters")) {
      in_parameters_ = false;
      separators_.clear();
    } else if (starts(t, "</incar")) {
      in_incar_ = false;
    } else if (starts(t, "</scstep")) {
      in_scstep_ = false;
    } else if (starts(t, "</calculation")) {
      last_scsteps_ = scsteps_;
      last_calc_line_ = no;
      if (step_energy_) d_.add_ionic_energy(*step_energy_);
      step_energy_.reset();
    } else if (starts(t, "</structure")) {
      if (in_structure_ && have_basis_) {
        d_.final_cell_angstrom = basis_;
        if (!pending_positions_.empty()) {
          // positions are fractions of the basis
          for (auto& p : pending_positions_) {
            Vec3 f = p;
            for (int k = 0; k < 3; ++k) p[k] = f[0] * basis_[0][k] + f[1] * basis_[1][k] + f[2] * basis_[2][k];
          }
          d_.final_positions_angstrom = std::move(pending_positions_);
        }
      }
      pending_positions_.clear();
      in_structure_ = false;
    } else if (starts(t, "</projected")) {
      if (projected_depth_ > 0) --projected_depth_;
    } else if (starts(t, "</modeling")) {
      completed_ = true;
    }
  }

  ResultData d_;
  DiagnosisPicker picker_;
  Block block_ = Block::none;
  int rows_ = 0;
  Mat3 basis_{};
  bool have_basis_ = false, in_structure_ = false, in_scstep_ = false, completed_ = false;
  int projected_depth_ = 0;
  static constexpr size_t kMaxSeparatorDepth = 16;
  std::vector<std::string> separators_;  // the path inside <parameters>
  size_t separators_overflow_ = 0;
  bool in_parameters_ = false, in_incar_ = false, in_atoms_ = false;
  bool in_atomtypes_ = false;
  std::vector<std::string> species_, type_species_;
  std::optional<double> incar_nelm_, incar_nsw_, incar_ibrion_;
  std::vector<Vec3> pending_, pending_positions_;
  std::optional<double> last_energy_, step_energy_, nelm_, nsw_, ibrion_, vbm_, cbm_;
  int64_t scsteps_ = 0, last_scsteps_ = 0, last_calc_line_ = 0;
};

}  // namespace

std::unique_ptr<CodeParser> make_vasprun_parser() { return std::make_unique<VasprunParser>(); }

}  // namespace xrun::parse
