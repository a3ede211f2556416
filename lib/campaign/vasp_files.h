// The VASP inputs a correction touches, each edit recorded as it is made:
// INCAR through the Incar editor; the style and mesh lines of an automatic
// KPOINTS; POSCAR's scale and atom counts; CONTCAR copied over POSCAR.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "campaign/corrections.h"
#include "campaign/incar.h"

namespace xrun::campaign::detail {

class VaspFiles {
 public:
  // Throws Error(XRUN_E_PARSE) naming INCAR's line when it is malformed.
  explicit VaspFiles(InputFiles& files);
  bool ok() const { return incar_.has_value(); }

  // INCAR values; the fallback is VASP's (or custodian's) default.
  std::string word(const char* key, const char* fallback) const;  // lower case; ALGO letters spelt out
  double number(const char* key, double fallback) const;
  bool flag(const char* key, bool fallback) const;
  bool has(const char* key) const { return incar_->get(key).has_value(); }

  void set(const char* key, const std::string& value, AppliedCorrection& out);
  void remove(const char* key, AppliedCorrection& out);

  // An automatic mesh KPOINTS (line 2 is 0): 'g' Gamma, 'm' Monkhorst-Pack,
  // 0 for anything else or no KPOINTS.
  char kpoints_style() const;
  // Rewrites the style line; with `odd_mesh`, an all-even mesh going to
  // Gamma becomes the next odd one (custodian's brmix step).
  void set_kpoints_style(char style, AppliedCorrection& out, bool odd_mesh = false);

  // Ions in POSCAR (the counts line), 0 if unknown.
  int atoms() const;
  // POSCAR := CONTCAR when a CONTCAR with a structure is among the files.
  void continue_from_contcar(AppliedCorrection& out);

 private:
  InputFiles& files_;
  std::optional<Incar> incar_;
};

}  // namespace xrun::campaign::detail
