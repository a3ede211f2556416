// The corrections of each code, as data: corrections.cpp dispatches over
// them and lists them; qe_corrections.cpp and vasp_corrections.cpp fill
// them.
#pragma once
#include <cjson/cJSON.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "campaign/corrections.h"

namespace xrun::campaign::detail {

struct Request {
  const std::string& diagnosis;
  int attempt;             // >= 1
  const cJSON* result;     // the failed attempt's result, or null
  InputFiles& files;
};

// Fills `edits` (and `restart`) and returns true when it changed something.
using ApplyFn = bool (*)(Request&, AppliedCorrection&);

struct Builtin {
  std::string_view name;
  std::vector<std::string_view> diagnoses;
  std::string_view description;
  ApplyFn apply;
};

const std::vector<Builtin>& qe_builtins();
const std::vector<Builtin>& vasp_builtins();

// A number from the result JSON, if it has one under `key`.
std::optional<double> result_number(const cJSON* result, const char* key);

// "1e-06", "0.56", "100": the shortest text that reads back as `v`.
std::string number_text(double v);

}  // namespace xrun::campaign::detail
