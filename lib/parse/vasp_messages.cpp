#include "parse/vasp_messages.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

#include "parse/text_scan.h"

namespace xrun::parse {

namespace {

struct VaspMessage {
  std::string_view marker;
  std::string_view code;
};

constexpr VaspMessage kVaspMessages[] = {
    {"Tetrahedron method fails", "tet"},
    {"tetrahedron method fails", "tet"},
    {"Fatal error detecting k-mesh", "tet"},
    {"Fatal error: unable to match k-point", "tet"},
    {"Routine TETIRR needs special values", "tetirr"},
    {"rotation matrix was not found (increase SYMPREC)", "inv_rot_mat"},
    {"BRMIX: very serious problems", "brmix"},
    {"Sub-Space-Matrix is not hermitian", "subspacematrix"},
    {"Could not get correct shifts", "incorrect_shift"},
    {"REAL_OPTLAY: internal error", "real_optlay"},
    {"REAL_OPT: internal ERROR", "real_optlay"},
    {"ERROR RSPHER", "rspher"},
    {"DENTET", "dentet"},
    {"TOO FEW BANDS", "too_few_bands"},
    {"ERROR: the triple product of the basis vectors", "triple_product"},
    {"Found some non-integer element in rotation matrix", "rot_matrix"},
    {"SGRCON", "rot_matrix"},
    {"BRIONS problems: POTIM should be increased", "brions"},
    {"internal error in subroutine PRICEL", "pricel"},
    {"PRICELV: current lattice and primitive lattice are incommensurate", "pricelv"},
    {"LAPACK: Routine ZPOTRF failed", "zpotrf"},
    {"Routine ZPOTRF ZTRTRI", "zpotrf"},
    {"One of the lattice vectors is very long (>50 A), but AMIN", "amin"},
    {"ZBRENT: fatal internal in", "zbrent"},
    {"ZBRENT: fatal error in bracketing", "zbrent"},
    {"ZBRENT:  can not reach accuracy", "zbrent"},
    {"ERROR in subspace rotation PSSYEVX", "pssyevx"},
    {"ERROR in subspace rotation PDSYEVX", "pdsyevx"},
    {"EDDRMM: call to ZHEGV failed", "eddrmm"},
    {"EDDDAV: Call to ZHEGV failed", "edddav"},
    {"ALGO=A and IALGO=5X tend to fail", "algo_tet"},
    {"EDWAV: internal error, the gradient is not orthogonal", "grad_not_orth"},
    {"ERROR: SBESSELITER : nicht konvergent", "nicht_konv"},
    {"ERROR EDDIAG: Call to routine ZHEEV failed", "zheev"},
    {"ERROR in EDDIAG: call to ZHEEV/ZHEEVX/DSYEV/DSYEVX failed", "eddiag"},
    {"ELF: KPAR>1 not implemented", "elf_kpar"},
    {"ELF not implemented for non collinear case", "elf_ncl"},
    {"RHOSYG", "rhosyg"},
    {"POSMAP", "posmap"},
    {"group operation missing", "point_group"},
    {"determination of the symmetry of your systems shows a strong", "symprec_noise"},
    {"PEAD routines do not work for NCORE", "dfpt_ncore"},
    {"remove the tag NPAR from the INCAR file", "dfpt_ncore"},
    {"Inconsistent Bravais lattice", "bravais"},
    {"number of bands is not sufficient", "nbands_not_sufficient"},
    {"HNFORM: k-point generating", "hnform"},
    {"while reading plane", "coef"},
    {"while reading WAVECAR", "coef"},
    {"internal error in SET_CORE_WF", "set_core_wf"},
    {"Error reading item", "read_error"},
    {"Error code was IERR= 5", "read_error"},
    {"internal error in subroutine IBZKPT", "ibzkpt"},
    {"not all point group operations", "ibzkpt"},
    {"LRF_COMMUTATOR internal error", "lrf_comm"},
    {"LRF_COMMUTATOR", "lrf_comm"},
    {"GENERATE_KPOINTS_TRANS", "kpoints_trans"},
    {"Reciprocal lattice and k-lattice belong to different class of lattices", "mesh_symmetry"},
    {"small aliasing (wrap around) errors must be expected", "aliasing"},
    {"Your FFT grids (NGX,NGY,NGZ) are not sufficient for an accurate", "aliasing_incar"},
};

// The markers are custodian's texts, cut to the part that names the routine
// where VASP 6 wraps the line inside its error box.

// VASP can keep going after these; they are kept as warnings.
bool is_warning(std::string_view code) {
  return code == "aliasing" || code == "aliasing_incar" || code == "symprec_noise" || code == "dentet";
}

// One pass over a line finds every marker in it: the first two bytes of
// each marker are indexed (a 64K-bit set, then the markers with that pair),
// so a line costs a bit test per byte instead of a search per marker.
class MarkerIndex {
 public:
  MarkerIndex() {
    for (uint16_t i = 0; i < std::size(kVaspMessages); ++i) {
      const std::string_view m = kVaspMessages[i].marker;
      const unsigned pair = key(m[0], m[1]);
      bits_[pair >> 6] |= uint64_t{1} << (pair & 63);
      by_pair_.push_back({pair, i});
    }
    std::sort(by_pair_.begin(), by_pair_.end());
  }

  // The index of the first marker of the table found in `line`, or -1.
  int find(std::string_view line) const {
    int best = -1;
    for (size_t at = 0; at + 1 < line.size(); ++at) {
      const unsigned pair = key(line[at], line[at + 1]);
      if (!((bits_[pair >> 6] >> (pair & 63)) & 1)) continue;
      auto it = std::lower_bound(by_pair_.begin(), by_pair_.end(), std::pair<unsigned, uint16_t>{pair, 0});
      for (; it != by_pair_.end() && it->first == pair; ++it) {
        const std::string_view m = kVaspMessages[it->second].marker;
        if ((best < 0 || it->second < best) && line.compare(at, m.size(), m) == 0) best = it->second;
      }
    }
    return best;
  }

 private:
  static unsigned key(char a, char b) {
    return (static_cast<unsigned>(static_cast<unsigned char>(a)) << 8) | static_cast<unsigned char>(b);
  }
  uint64_t bits_[65536 / 64] = {};
  std::vector<std::pair<unsigned, uint16_t>> by_pair_;
};

const MarkerIndex& marker_index() {
  static const MarkerIndex index;
  return index;
}

}  // namespace

std::string_view vasp_message_code(std::string_view line) {
  const int i = marker_index().find(line);
  return i < 0 ? std::string_view() : kVaspMessages[i].code;
}


bool is_vasp_error_box(std::string_view line) {
  return contains(line, "EEEEEEE  RRRRRR   RRRRRR   OOOOOOO  RRRRRR");
}

bool scan_vasp_messages(std::string_view line, int64_t number, DiagnosisPicker& picker) {
  std::string_view code = vasp_message_code(line);
  if (code.empty()) return false;
  if (is_warning(code)) {
    picker.warn(code, number, line);
  } else {
    picker.report(code, number, line);
  }
  return true;
}

}  // namespace xrun::parse
