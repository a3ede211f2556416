#include "parse/crystal_messages.h"

#include "parse/text_scan.h"

namespace xrun::parse {

namespace {

// Error texts and the class they show, most important first: the order and
// the texts follow aiida-crystal17 (parsers/raw/crystal_stdout.py
// KNOWN_ERRORS) and the fort.87 checks of aiida-crystal's parser.
struct CrystalMessage {
  std::string_view marker;
  std::string_view code;
  bool generic;  // also printed by other programs: not evidence of CRYSTAL
};
constexpr CrystalMessage kCrystalMessages[] = {
    {"END OF DATA IN INPUT DECK", "input_error", false},
    {"FORMAT ERROR IN INPUT DECK", "input_error", false},
    {"GEOMETRY DATA FILE NOT FOUND", "missing_file", false},
    {"Wavefunction file can not be found", "missing_file", false},
    {"SCF ENDED - TOO MANY CYCLES", "scf_not_converged", false},
    {"SCF FAILED", "scf_not_converged", false},
    {"TOO MANY ITERATIONS", "scf_not_converged", true},
    {"GEOMETRY OPTIMIZATION FAILED", "geometry_not_converged", false},
    {"CONVERGENCE TESTS UNSATISFIED", "geometry_not_converged", false},
    {"OPT END - FAILED", "geometry_not_converged", false},
    {"BASIS SET LINEARLY DEPENDENT", "basis_set_linearly_dependent", false},
    {"UNIT CELL NOT NEUTRAL", "unit_cell_not_neutral", false},
    {"NEIGHBOR LIST TOO BIG", "neighbour_list_too_big", false},
    {"ALL G-VECTORS USED", "no_g_vectors_left", false},
    {"SMALLDIST", "geometry_collapsed", false},
    {"PARAMETERS FOR MODEL HESSIAN NOT DEFINED", "model_hessian_undefined", false},
    {"SCF abnormal end", "scf_abnormal_end", false},
    {"MPI_Abort", "mpi_abort", true},
};

}  // namespace

std::string_view crystal_message_code(std::string_view line) {
  for (const auto& m : kCrystalMessages) {
    if (contains(line, m.marker)) return m.code;
  }
  return {};
}

bool is_crystal_error_line(std::string_view line) {
  std::string_view t = ltrim(line);
  if (starts(t, "ERROR **** ") && contains(t.substr(11), " **** ")) return true;
  for (const auto& m : kCrystalMessages) {
    if (!m.generic && contains(line, m.marker)) return true;
  }
  return false;
}

}  // namespace xrun::parse
