// The plain data every parser fills, and the Result built on it. Values a
// file does not print stay empty (std::optional / empty vectors) and come out
// as JSON null, never as 0.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parse/parse.h"

namespace xrun::parse {

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<Vec3, 3>;  // rows are lattice vectors

struct Diagnosis {
  std::string code = "ok";
  int64_t line = 0;  // 1-based line in `file`, 0 if none
  std::string text;  // the line that shows it (trimmed, bounded)
  std::string file;  // "" = the parsed file itself; else a sibling (e.g. X.err)
};

// Caps that keep a result bounded whatever the file size.
constexpr size_t kMaxIonicEnergies = 1 << 20;
constexpr size_t kMaxAtoms = 100000;
constexpr size_t kMaxWarnings = 32;
constexpr size_t kMaxSymbol = 16;    // an element label never needs more
constexpr size_t kMaxRawRow = 256;   // a position/force row never needs more

struct ResultData {
  std::string code;       // "qe", "vasp", "crystal"
  std::string file_type;  // e.g. "pw.x stdout", "OUTCAR", "vasprun.xml"
  std::optional<std::string> program_version;
  std::optional<double> total_energy_native;
  std::string native_unit;  // "Ry", "eV", "Ha"
  std::optional<double> fermi_energy_ev, homo_ev, lumo_ev, band_gap_ev;
  std::optional<Mat3> final_cell_angstrom;
  std::vector<std::string> symbols;          // JSON "species", one per atom
  std::vector<Vec3> final_positions_angstrom;
  std::vector<Vec3> forces_ev_per_angstrom;  // JSON "final_forces_ev_per_angstrom"
  std::optional<Mat3> stress_kbar;           // JSON "final_stress_kbar"

  std::optional<double> total_magnetization, absolute_magnetization;  // Bohr magnetons per cell
  std::optional<int64_t> n_kpoints;
  std::optional<int64_t> n_scf_iterations;  // of the last SCF cycle
  int64_t n_ionic_steps = 0;
  std::vector<double> ionic_energies_ev;
  bool ionic_energies_truncated = false;
  std::optional<bool> scf_converged, geometry_converged;
  std::optional<double> wall_time_s, cpu_time_s;
  Diagnosis diagnosis;
  std::vector<Diagnosis> warnings;
  // Further numbers by key (energy_sigma0_ev, band_gap_alpha_ev, ...).
  std::map<std::string, double> extra;

  std::optional<double> total_energy_ev() const;
  void add_ionic_energy(double ev);
};

// Records a version string; an empty one is no version.
inline void set_version(ResultData& d, std::string_view v) {
  if (!v.empty()) d.program_version = std::string(v);
}

class ParsedResult final : public Result {
 public:
  explicit ParsedResult(ResultData data) : data_(std::move(data)) {}
  std::string code() const override { return data_.code; }
  std::string to_json() const override;
  bool number(std::string_view key, double* out) const override;
  std::string diagnosis() const override { return data_.diagnosis.code; }
  int64_t diagnosis_line() const override { return data_.diagnosis.line; }
  std::string diagnosis_text() const override { return data_.diagnosis.text; }
  bool array(std::string_view key, std::vector<double>* out) const override;
  const std::string* string_at(std::string_view key, size_t index) const override;
  const ResultData& data() const { return data_; }

 private:
  ResultData data_;
};

}  // namespace xrun::parse
