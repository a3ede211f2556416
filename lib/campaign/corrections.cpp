// STUB (see corrections.h): applies nothing.
#include "campaign/corrections.h"

namespace xrun::campaign {

std::optional<AppliedCorrection> apply_builtin_correction(const std::string&, const std::string&, int,
                                                          const std::string&, InputFiles&) {
  return std::nullopt;
}

std::vector<std::string> correction_inputs(const std::string& code) {
  if (code == "vasp") return {"INCAR"};
  return {};
}

std::string find_pw_input(const std::map<std::string, std::string>&) { return ""; }

}  // namespace xrun::campaign
