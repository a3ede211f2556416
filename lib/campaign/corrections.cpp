#include "campaign/corrections.h"

#include <cmath>

#include "campaign/correction_table.h"
#include "campaign/pw_namelist.h"
#include "util/error.h"
#include "util/json.h"

namespace xrun::campaign {

namespace detail {

std::optional<double> result_number(const cJSON* result, const char* key) {
  const cJSON* node = result ? cJSON_GetObjectItemCaseSensitive(result, key) : nullptr;
  if (!cJSON_IsNumber(node) || !std::isfinite(node->valuedouble)) return std::nullopt;
  return node->valuedouble;
}

std::string number_text(double v) { return fortran_number(v); }

}  // namespace detail

namespace {

// "qe" or "vasp" for a parser name; "" for anything else.
std::string code_family(const std::string& code, const InputFiles& files) {
  if (code == "qe") return "qe";
  if (code == "vasp" || code.rfind("vasp-", 0) == 0) return "vasp";
  if (code == "auto" || code.empty()) {
    if (files.text.count("INCAR")) return "vasp";
    if (!find_pw_input(files.text).empty()) return "qe";
  }
  return "";
}

}  // namespace

std::optional<AppliedCorrection> apply_builtin_correction(const std::string& code, const std::string& diagnosis,
                                                          int attempt, const std::string& result_json,
                                                          InputFiles& files) {
  const std::string family = code_family(code, files);
  if (family.empty()) return std::nullopt;
  json::Ptr result;
  if (!result_json.empty()) {
    try {
      result = json::parse(result_json, "result");
    } catch (const Error&) {
      result.reset();  // a result we cannot read only loses the values it would give
    }
  }
  detail::Request request{diagnosis, attempt < 1 ? 1 : attempt, result.get(), files};
  const auto& table = family == "qe" ? detail::qe_builtins() : detail::vasp_builtins();
  for (const auto& b : table) {
    bool answers = false;
    for (auto d : b.diagnoses) answers = answers || d == diagnosis;
    if (!answers) continue;
    AppliedCorrection out;
    out.name = std::string(b.name);
    out.diagnosis = diagnosis;
    // A correction that gives up or throws leaves the files as they were.
    InputFiles before = files;
    try {
      if (b.apply(request, out) && !out.edits.empty()) return out;
    } catch (...) {
      files = std::move(before);
      throw;
    }
    files = std::move(before);
  }
  return std::nullopt;
}

std::vector<std::string> correction_inputs(const std::string& code) {
  if (code == "vasp" || code.rfind("vasp-", 0) == 0) return {"INCAR", "KPOINTS", "POSCAR", "CONTCAR"};
  return {};
}

std::string find_pw_input(const std::map<std::string, std::string>& candidates) {
  for (const auto& [name, text] : candidates) {
    // A cheap look before a parse: most candidates are not namelists at all.
    bool has_control = false;
    for (size_t at = text.find('&'); at != std::string::npos && !has_control; at = text.find('&', at + 1)) {
      std::string word;
      for (size_t i = at + 1; i < text.size() && i < at + 8; ++i)
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
      has_control = word == "control";
    }
    if (!has_control) continue;
    try {
      if (PwInput(text).has_namelist("control")) return name;
    } catch (const Error&) {
      continue;
    }
  }
  return "";
}

const std::vector<CorrectionInfo>& builtin_corrections() {
  static const std::vector<CorrectionInfo> table = [] {
    std::vector<CorrectionInfo> rows;
    for (const auto* group : {&detail::qe_builtins(), &detail::vasp_builtins()}) {
      const std::string code = group == &detail::qe_builtins() ? "qe" : "vasp";
      for (const auto& b : *group) {
        for (auto d : b.diagnoses)
          rows.push_back({std::string(b.name), code, std::string(d), std::string(b.description)});
      }
    }
    return rows;
  }();
  return table;
}

}  // namespace xrun::campaign
