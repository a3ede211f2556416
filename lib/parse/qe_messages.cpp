#include "parse/qe_messages.h"

#include "parse/text_scan.h"

namespace xrun::parse {

namespace {

// Messages of pw.x that name a failure class, as matched by
// aiida-quantumespresso's PwParser (parsers/parse_raw/pw.py) and its exit
// codes (calculations/pw.py).
struct QeMessage {
  std::string_view marker;
  std::string_view code;
};
constexpr QeMessage kQeMessages[] = {
    {"Maximum CPU time exceeded", "walltime_exceeded"},
    {"convergence NOT achieved", "scf_not_converged"},
    {"history already reset at previous step: stopping", "bfgs_history_failure"},
    {"problems computing cholesky", "cholesky_failed"},
    {"charge is wrong", "charge_is_wrong"},
    {"not orthogonal operation", "symmetry_non_orthogonal_operation"},
    {"dexx is negative", "dexx_negative"},
    {"too many bands are not converged", "too_many_bands_not_converged"},
    {"S matrix not positive definite", "s_matrix_not_positive_definite"},
    {"zhegvd failed", "zhegvd_failed"},
    {"[Q, R] = qr(X, 0) failed", "qr_failed"},
    {"G_par is NOT a reciprocal lattice vector", "g_par_not_reciprocal"},
    {"eigenvectors failed to converge", "eigenvectors_not_converged"},
    {"Not enough space allocated for radial FFT", "radial_fft_volume_contraction"},
    {"some nodes have no k-points", "npools_too_high"},
    {"invalid number of pools", "npools_too_high"},
};

}  // namespace

std::string_view classify_qe_error(std::string_view routine, std::string_view message) {
  for (const auto& m : kQeMessages) {
    if (contains(message, m.marker)) return m.code;
  }
  const std::string_view r = routine;
  if (contains(r, "broyden")) return "broyden_factorization_failed";
  if (contains(r, "readpp") || contains(r, "read_pseudo") || contains(r, "upf") ||
      ((contains(message, ".UPF") || contains(message, ".upf")) && contains(message, "not found")))
    return "missing_pseudopotential";
  if (contains(r, "namelist") || contains(r, "card") || contains(r, "iosys") || contains(r, "read_input") ||
      contains(message, "namelist"))
    return "input_error";
  if (contains(message, "not found")) return "missing_file";
  return "crashed";
}

bool is_qe_error_line(std::string_view line) {
  std::string_view t = ltrim(line);
  if (starts(t, "Error in routine ")) return true;
  if (starts(t, "from ") && contains(t, " : error #")) return true;
  for (const auto& m : kQeMessages) {
    if (contains(t, m.marker)) return true;
  }
  return false;
}

}  // namespace xrun::parse
