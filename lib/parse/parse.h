// Output parsers for Quantum ESPRESSO, VASP and CRYSTAL. Streaming: a file
// is read in blocks and fed line by line, memory bounded whatever its size.
// A truncated or failed run gives a result with a diagnosis, never an error.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace xrun::parse {

// A parsed result. The JSON keys are a contract (lib/parse/DIAGNOSES.md):
// code, program_version, total_energy_ev, total_energy_native, native_unit,
// fermi_energy_ev, homo_ev, lumo_ev, band_gap_ev, final_cell_angstrom,
// final_positions_angstrom, final_forces_ev_per_angstrom, final_stress_kbar,
// species, total_magnetization, absolute_magnetization, n_kpoints,
// n_scf_iterations, n_ionic_steps, ionic_energies_ev, scf_converged,
// geometry_converged, wall_time_s, diagnosis {code, line, text}. The keys of
// v0.1 forces_ev_per_angstrom, stress_kbar and symbols stay as aliases.
class Result {
 public:
  virtual ~Result() = default;
  virtual std::string code() const = 0;            // "qe", "vasp", "crystal"
  virtual std::string to_json() const = 0;
  // A number by its JSON key; false if not printed by the file.
  virtual bool number(std::string_view key, double* out) const = 0;
  virtual std::string diagnosis() const = 0;       // "ok", "scf_not_converged", ...
  virtual int64_t diagnosis_line() const = 0;      // 1-based, 0 if none
  virtual std::string diagnosis_text() const = 0;
  // An array by its JSON key, flattened row-major (N×3 positions/forces,
  // 3×3 cell/stress, one energy per ionic step); false if not printed.
  virtual bool array(std::string_view key, std::vector<double>* out) const = 0;
  // The index-th string of a string array ("species"), or null if there is
  // no such key or index. Valid for the Result's life.
  virtual const std::string* string_at(std::string_view key, size_t index) const = 0;
};

// parser: "qe", "vasp", "crystal", "auto" or "" (auto). Throws
// Error(XRUN_E_INVALID) for an unknown parser, Error(XRUN_E_IO) if the file
// cannot be read, Error(XRUN_E_PARSE) if auto-detection recognises nothing.
std::unique_ptr<Result> parse_file(const std::string& path, const std::string& parser);
std::unique_ptr<Result> parse_buffer(std::string_view data, const std::string& parser);

// Rebuilds a Result from the JSON that Result::to_json() produced (e.g. a
// job's stored result). Throws Error(XRUN_E_INVALID) if `json` is not such
// an object.
std::unique_ptr<Result> result_from_json(const std::string& json);

// parse_file also reads "X.err", "X.CRASH" and "CRASH" next to a cut-off
// output "X.out": when they tell why the run stopped (an allocation failure,
// an MPI abort), their diagnosis is used, with diagnosis.file naming them.

// Whether a diagnosis code means the run failed (anything but "ok" and
// warnings such as "ok_with_warnings").
bool diagnosis_is_failure(const std::string& code);

}  // namespace xrun::parse
