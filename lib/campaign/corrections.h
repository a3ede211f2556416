// STUB of the campaign corrections library, with its agreed interface only:
// the real library replaces this file and corrections.cpp at merge.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xrun::campaign {

struct InputFiles {
  std::map<std::string, std::string> text;
};
struct AppliedCorrection {
  std::string name;
  std::string diagnosis;
  std::vector<std::string> edits;
  bool restart = false;
};
std::optional<AppliedCorrection> apply_builtin_correction(const std::string& code, const std::string& diagnosis,
                                                          int attempt, const std::string& result_json,
                                                          InputFiles& files);
std::vector<std::string> correction_inputs(const std::string& code);
std::string find_pw_input(const std::map<std::string, std::string>& candidates);

}  // namespace xrun::campaign
