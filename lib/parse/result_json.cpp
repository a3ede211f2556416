// Rebuilding a Result from its JSON, for results stored by the job store.
#include <cmath>
#include <set>

#include "parse/text_scan.h"
#include "parse/parse.h"
#include "parse/result_data.h"
#include "util/error.h"
#include "util/json.h"

namespace xrun::parse {

namespace {

std::optional<double> number_or_null(const cJSON* obj, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!item || cJSON_IsNull(item)) return std::nullopt;
  if (!cJSON_IsNumber(item)) throw Error(XRUN_E_INVALID, std::string("result JSON: '") + key + "' is not a number");
  return item->valuedouble;
}

std::optional<bool> bool_or_null(const cJSON* obj, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!item || cJSON_IsNull(item)) return std::nullopt;
  if (!cJSON_IsBool(item)) throw Error(XRUN_E_INVALID, std::string("result JSON: '") + key + "' is not a boolean");
  return cJSON_IsTrue(item);
}

std::string string_or_empty(const cJSON* obj, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!item || cJSON_IsNull(item)) return "";
  if (!cJSON_IsString(item)) throw Error(XRUN_E_INVALID, std::string("result JSON: '") + key + "' is not a string");
  return item->valuestring;
}

bool present(const cJSON* obj, const char* key) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, key);
  return item && !cJSON_IsNull(item);
}

std::vector<Vec3> rows(const cJSON* obj, const char* key) {
  std::vector<Vec3> out;
  const cJSON* arr = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!arr || cJSON_IsNull(arr)) return out;
  if (!cJSON_IsArray(arr)) throw Error(XRUN_E_INVALID, std::string("result JSON: '") + key + "' is not an array");
  const cJSON* row;
  cJSON_ArrayForEach(row, arr) {
    if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != 3)
      throw Error(XRUN_E_INVALID, std::string("result JSON: '") + key + "' rows must have 3 numbers");
    Vec3 v{};
    for (int k = 0; k < 3; ++k) {
      const cJSON* x = cJSON_GetArrayItem(row, k);
      if (!cJSON_IsNumber(x)) throw Error(XRUN_E_INVALID, std::string("result JSON: '") + key + "' holds a non-number");
      v[k] = x->valuedouble;
    }
    out.push_back(v);
  }
  return out;
}

std::optional<Mat3> matrix(const cJSON* obj, const char* key) {
  auto r = rows(obj, key);
  if (r.empty()) return std::nullopt;
  if (r.size() != 3) throw Error(XRUN_E_INVALID, std::string("result JSON: '") + key + "' must be 3x3");
  return Mat3{r[0], r[1], r[2]};
}

Diagnosis diagnosis_from(const cJSON* node) {
  Diagnosis d;
  if (!node || !cJSON_IsObject(node)) return d;
  d.code = string_or_empty(node, "code");
  if (d.code.empty()) d.code = "ok";
  if (auto l = as_count(number_or_null(node, "line"))) d.line = *l;
  d.text = string_or_empty(node, "text");
  d.file = string_or_empty(node, "file");
  return d;
}

// Keys with a fixed meaning; any other numeric key is an extra.
const std::set<std::string>& known_keys() {
  static const std::set<std::string> keys = {
      "code", "file_type", "program_version", "total_energy_ev", "total_energy_native", "native_unit",
      "fermi_energy_ev", "homo_ev", "lumo_ev", "band_gap_ev", "final_cell_angstrom", "final_positions_angstrom",
      "symbols", "forces_ev_per_angstrom", "stress_kbar", "species", "final_forces_ev_per_angstrom",
      "final_stress_kbar", "total_magnetization", "absolute_magnetization", "n_kpoints", "n_scf_iterations",
      "n_ionic_steps",
      "ionic_energies_ev", "ionic_energies_truncated", "scf_converged", "geometry_converged", "wall_time_s",
      "cpu_time_s", "diagnosis", "warnings"};
  return keys;
}

}  // namespace

std::unique_ptr<Result> result_from_json(const std::string& text) {
  json::Ptr root = json::parse(text, "parse result", XRUN_E_INVALID);
  const cJSON* o = root.get();
  if (!cJSON_IsObject(o)) throw Error(XRUN_E_INVALID, "result JSON is not an object");
  ResultData d;
  d.code = string_or_empty(o, "code");
  if (d.code.empty()) throw Error(XRUN_E_INVALID, "result JSON has no 'code'");
  d.file_type = string_or_empty(o, "file_type");
  if (const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, "program_version"); cJSON_IsString(v)) {
    d.program_version = std::string(v->valuestring);
  }
  d.native_unit = string_or_empty(o, "native_unit");
  d.total_energy_native = number_or_null(o, "total_energy_native");
  d.fermi_energy_ev = number_or_null(o, "fermi_energy_ev");
  d.homo_ev = number_or_null(o, "homo_ev");
  d.lumo_ev = number_or_null(o, "lumo_ev");
  d.band_gap_ev = number_or_null(o, "band_gap_ev");
  d.final_cell_angstrom = matrix(o, "final_cell_angstrom");
  d.final_positions_angstrom = rows(o, "final_positions_angstrom");
  // The names of v0.2 first; a result stored by v0.1 has only the old ones.
  d.forces_ev_per_angstrom = rows(o, present(o, "final_forces_ev_per_angstrom") ? "final_forces_ev_per_angstrom"
                                                                                 : "forces_ev_per_angstrom");
  d.stress_kbar = matrix(o, present(o, "final_stress_kbar") ? "final_stress_kbar" : "stress_kbar");
  d.total_magnetization = number_or_null(o, "total_magnetization");
  d.absolute_magnetization = number_or_null(o, "absolute_magnetization");
  if (auto n = as_count(number_or_null(o, "n_kpoints"))) d.n_kpoints = *n;
  const char* species_key = present(o, "species") ? "species" : "symbols";
  if (const cJSON* sym = cJSON_GetObjectItemCaseSensitive(o, species_key); cJSON_IsArray(sym)) {
    const cJSON* s;
    cJSON_ArrayForEach(s, sym) d.symbols.push_back(cJSON_IsString(s) ? s->valuestring : "");
  }
  if (auto n = as_count(number_or_null(o, "n_scf_iterations"))) d.n_scf_iterations = *n;
  if (auto n = as_count(number_or_null(o, "n_ionic_steps"))) d.n_ionic_steps = *n;
  if (const cJSON* arr = cJSON_GetObjectItemCaseSensitive(o, "ionic_energies_ev"); cJSON_IsArray(arr)) {
    const cJSON* e;
    cJSON_ArrayForEach(e, arr) {
      if (cJSON_IsNumber(e)) d.add_ionic_energy(e->valuedouble);
    }
  }
  d.ionic_energies_truncated = bool_or_null(o, "ionic_energies_truncated").value_or(false);
  d.scf_converged = bool_or_null(o, "scf_converged");
  d.geometry_converged = bool_or_null(o, "geometry_converged");
  d.wall_time_s = number_or_null(o, "wall_time_s");
  d.cpu_time_s = number_or_null(o, "cpu_time_s");
  d.diagnosis = diagnosis_from(cJSON_GetObjectItemCaseSensitive(o, "diagnosis"));
  if (const cJSON* w = cJSON_GetObjectItemCaseSensitive(o, "warnings"); cJSON_IsArray(w)) {
    const cJSON* item;
    cJSON_ArrayForEach(item, w) d.warnings.push_back(diagnosis_from(item));
  }
  const cJSON* item;
  cJSON_ArrayForEach(item, o) {
    if (item->string && cJSON_IsNumber(item) && !known_keys().count(item->string)) {
      d.extra[item->string] = item->valuedouble;
    }
  }
  return std::make_unique<ParsedResult>(std::move(d));
}

}  // namespace xrun::parse
